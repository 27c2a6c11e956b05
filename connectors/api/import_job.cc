#include "connectors/api/import_job.h"

#include <algorithm>
#include <optional>
#include <variant>

#include "connectors/api/import_census.h"
#include "connectors/match/customer_record_event.h"
#include "runtime/batch_builder.h"
#include "runtime/identity_fields.h"

namespace eddy {

bool is_import_source(std::string_view source) {
  if (source.empty() || source.size() > 32) return false;
  return std::all_of(source.begin(), source.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

namespace {

// A record that can be submitted: as written, and normalised with its id prefixed.
struct PreparedRecord {
  RawCustomerRecord raw;
  CustomerRecord record;
};

bool has_control_character(std::string_view id) {
  return std::any_of(id.begin(), id.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
  });
}

// The phone number of each row the first pass prepared, in row order (none for a row it refused):
// the second pass takes it instead of asking libphonenumber again.
using PreparedPhones = std::vector<std::optional<std::string>>;

// The record of `row`, ready to submit, or why it cannot be. `phone`: its normalised phone number
// when the first pass prepared it.
std::variant<PreparedRecord, ImportRejection> prepare(ImportRow& row, const ImportRequest& request,
                                                      const std::string* phone = nullptr) {
  if (!row.record) {
    return ImportRejection{row.line, std::string(row.code), row.record.status().message()};
  }
  Result<CustomerRecord> record =
      normalize_customer_record(*row.record, request.default_phone_region, phone);
  if (!record)
    return ImportRejection{row.line, std::string(kInvalidRecord), record.status().message()};
  record->id = request.source + ":" + record->id;
  if (record->id.size() > kMaxIdentifierBytes) {
    return ImportRejection{row.line, std::string(kInvalidId),
                           "the id is " + std::to_string(record->id.size()) +
                               " bytes long with its source prefix; at most " +
                               std::to_string(kMaxIdentifierBytes) + " are taken"};
  }
  // Control characters are refused in every id ingest takes; one here could forge the index key.
  if (has_control_character(record->id)) {
    return ImportRejection{row.line, std::string(kInvalidId), "the id holds a control character"};
  }
  return PreparedRecord{std::move(row.record).value(), std::move(record).value()};
}

std::string stopped_message(const Status& why) {
  return "submission stopped: " + why.message() +
         "; the records submitted before are kept and matched, and importing the same body "
         "again completes the import (known record ids are updated, not duplicated)";
}

// The first pass: counts the lines and takes the census of the records that will be submitted.
// False when stopped.
bool take_census(const ImportRequest& request, ImportProgress& progress, ImportCensus& census,
                 PreparedPhones& phones, const std::stop_token& stop) {
  ImportBodyReader reader(request.body, request.format, request.max_json_depth);
  if (!reader.start()) return true;  // checked before the job started; nothing to count
  while (std::optional<ImportRow> row = reader.next()) {
    if (stop.stop_requested()) return false;
    progress.count_line();
    auto prepared = prepare(*row, request);
    auto* record = std::get_if<PreparedRecord>(&prepared);
    phones.push_back(record != nullptr ? std::optional(record->record.phone) : std::nullopt);
    if (record != nullptr) census.add(row->line, record->record);
  }
  return true;
}

// The second pass: rejects what cannot be taken and submits the rest in batches.
Status submit_records(const ImportRequest& request, const ImportSettings& settings,
                      const std::shared_ptr<ImportProgress>& progress, const ImportCensus& census,
                      const PreparedPhones& phones, const Clock& clock,
                      const std::stop_token& stop) {
  RecordSubmitter submitter(
      request.submit, settings.pacing,
      [progress](size_t events) { progress->count_submitted(events); }, stop);
  BatchBuilder batch;
  EventTime batch_time(clock.now().value());
  ImportBodyReader reader(request.body, request.format, request.max_json_depth);
  if (!reader.start()) return submitter.drain();
  for (size_t ordinal = 0; std::optional<ImportRow> row = reader.next(); ++ordinal) {
    const std::string* phone =
        ordinal < phones.size() && phones[ordinal] ? &*phones[ordinal] : nullptr;
    auto prepared = prepare(*row, request, phone);
    if (auto* rejection = std::get_if<ImportRejection>(&prepared)) {
      progress->reject(std::move(*rejection));
      continue;
    }
    if (auto first = census.earlier_line_with_id(row->line)) {
      progress->reject({row->line, std::string(kDuplicateId),
                        "line " + std::to_string(*first) + " has the same id and is imported"});
      continue;
    }
    const auto& [raw, record] = std::get<PreparedRecord>(prepared);
    CustomerRecordOrigin origin;
    origin.import_id = progress->id();
    origin.match_email = !census.is_placeholder_email(record.email);
    origin.match_phone = !census.is_placeholder_phone(record.phone);
    add_customer_record_event(batch, request.record_type, record, raw, origin, batch_time);
    if (batch.size() >= settings.batch_events) {
      if (Status s = submitter.submit(batch.finish()); !s) return s;
      batch_time = EventTime(clock.now().value());
    }
  }
  if (!batch.empty()) {
    if (Status s = submitter.submit(batch.finish()); !s) return s;
  }
  return submitter.drain();
}

}  // namespace

void run_import(const ImportRequest& request, const ImportSettings& settings,
                const std::shared_ptr<ImportProgress>& progress, const Clock& clock,
                std::stop_token stop) {
  ImportCensus census;
  PreparedPhones phones;
  if (!take_census(request, *progress, census, phones, stop)) {
    progress->fail(stopped_message({Errc::kStopped, "eddy is shutting down"}));
    return;
  }
  census.seal(settings.max_records_per_key);
  progress->count_placeholders(census.placeholders());
  progress->start_submitting();
  if (Status s = submit_records(request, settings, progress, census, phones, clock, stop); !s) {
    progress->fail(stopped_message(s));
    return;
  }
  progress->finish_submitting();
}

}  // namespace eddy
