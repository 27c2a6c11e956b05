#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>

#include "connectors/api/import_body.h"
#include "connectors/api/import_progress.h"
#include "connectors/api/import_submitter.h"
#include "connectors/match/record_match.h"
#include "runtime/clock.h"
#include "runtime/ids.h"

namespace eddy {

// One bulk import of customer records (POST /v1/import): its body and where its records go.
struct ImportRequest {
  std::string body;
  ImportFormat format = ImportFormat::kCsv;
  // Record ids are "<source>:<id>", so that two systems' customer 42 stay two records, and a
  // re-import of the same system's file finds its records again (is_import_source says which).
  std::string source = "import";
  EventType record_type;  // the topology's id of kCustomerRecordType
  std::string default_phone_region;
  uint32_t max_json_depth = 32;
  SubmitRecords submit;
};

// What every import job shares; each has a flag of the eddy binary where one is named.
struct ImportSettings {
  // Jobs reading or submitting at once (--import-max-concurrent); more are refused with 429.
  uint32_t max_concurrent = 2;
  // Rejections an import's status lists (--import-listed-rejections); the rest are counted.
  uint32_t max_listed_rejections = 1000;
  // Finished imports whose status is kept for GET /v1/imports/{id}, the newest.
  uint32_t kept_finished = 32;
  // Records per batch handed to the intake.
  uint32_t batch_events = 1000;
  // An email or phone shared by more records of one import is a placeholder (ImportCensus); the
  // master customer index's own limit, MatchSettings::max_candidates_per_key.
  size_t max_records_per_key = MatchSettings{}.max_candidates_per_key;
  SubmitPacing pacing;
};

// [a-z0-9_-]{1,32}: a source name fits in every id without quoting and cannot forge a separator.
bool is_import_source(std::string_view source);

// Runs an import to the end of its submission, on the calling thread (a thread of its own; this
// takes as long as the body is large and the log is busy), reporting to `progress`:
//
//   reading     the first pass reads and checks every record and counts, across the import, how
//               many records share each email and phone (ImportCensus)
//   submitting  the second pass reads the body again, reports each record that cannot be taken
//               (with its line), and hands the others to the intake as "Customer Record" events
//               (connectors/match/customer_record_event.h), `batch_events` at a time, with
//               back-pressure (RecordSubmitter)
//
// then leaves the import matching, or done when there was nothing to submit; the tracker sees it
// through to done. Reading twice, rather than keeping every record between the passes, keeps the
// job's memory at a few bytes per record beyond the body itself.
//
// The import fails when the intake refuses for any reason but being busy or a batch does not
// become durable; `stop` (shutdown) fails it too, after the batches in flight have settled. What
// was submitted before stays submitted: it is in the log and is matched.
void run_import(const ImportRequest& request, const ImportSettings& settings,
                const std::shared_ptr<ImportProgress>& progress, const Clock& clock,
                std::stop_token stop);

}  // namespace eddy
