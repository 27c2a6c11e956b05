#include "connectors/api/import_body.h"

#include <array>

#include "connectors/api/customer_json.h"
#include "connectors/api/import_rejection.h"
#include "connectors/normalize/ascii.h"

namespace eddy {
namespace {

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

constexpr auto kNdjsonTypes = std::to_array<std::string_view>({
    "application/x-ndjson",
    "application/ndjson",
    "application/jsonl",
    "application/jsonlines",
    "application/x-jsonlines",
    "application/json-lines",
    "application/json",
});

// CustomerCsvReader starts its messages with "line N: " for callers that have no other place for
// the line; a rejection carries it in a field of its own.
std::string without_line_prefix(const std::string& message) {
  if (!message.starts_with("line ")) return message;
  const size_t colon = message.find(": ");
  return colon == std::string::npos ? message : message.substr(colon + 2);
}

ImportRow refused(size_t line, std::string_view code, std::string message) {
  return {line, Status(Errc::kInvalidArgument, std::move(message)), code};
}

}  // namespace

std::optional<ImportFormat> import_format_of(std::string_view content_type) {
  const std::string media =
      ascii_lower(trim_ascii_whitespace(content_type.substr(0, content_type.find(';'))));
  if (media == "text/csv" || media == "application/csv") return ImportFormat::kCsv;
  for (std::string_view ndjson : kNdjsonTypes)
    if (media == ndjson) return ImportFormat::kNdjson;
  return std::nullopt;
}

ImportBodyReader::ImportBodyReader(std::string_view body, ImportFormat format,
                                   uint32_t max_json_depth)
    : format_(format), csv_(format == ImportFormat::kCsv ? body : std::string_view()) {
  if (format_ == ImportFormat::kNdjson) {
    rest_ = body.starts_with(kByteOrderMark) ? body.substr(kByteOrderMark.size()) : body;
    json_ = std::make_unique<JsonReader>(max_json_depth);
  }
}

Status ImportBodyReader::start() {
  if (format_ == ImportFormat::kCsv) {
    Status header = csv_.read_header();
    started_ok_ = header.is_ok();
    return header;
  }
  const std::string_view body = trim_ascii_whitespace(rest_);
  if (body.starts_with('[')) {
    return {Errc::kInvalidArgument,
            "the body is a JSON array; an import takes one JSON object per line (NDJSON)"};
  }
  started_ok_ = true;
  return {};
}

std::optional<ImportRow> ImportBodyReader::next() {
  if (!started_ok_) return std::nullopt;
  return format_ == ImportFormat::kCsv ? next_csv() : next_json_line();
}

std::optional<ImportRow> ImportBodyReader::next_csv() {
  std::optional<CustomerCsvRow> row = csv_.next();
  if (!row) return std::nullopt;
  if (!row->record) {
    return refused(row->line, kMalformedLine, without_line_prefix(row->record.status().message()));
  }
  return ImportRow{row->line, std::move(row->record), {}};
}

std::optional<ImportRow> ImportBodyReader::next_json_line() {
  while (!rest_.empty()) {
    const size_t end = rest_.find('\n');
    std::string_view line = rest_.substr(0, end);
    rest_ = end == std::string_view::npos ? std::string_view() : rest_.substr(end + 1);
    ++line_;
    line = trim_ascii_whitespace(line);
    if (line.empty()) continue;  // blank lines, such as a final one, are no record
    IngestError error;
    const boost::json::value* value = json_->read(line, error);
    if (value == nullptr) return refused(line_, kMalformedLine, error.message);
    if (!value->is_object()) return refused(line_, kMalformedLine, "the line is not a JSON object");
    Result<RawCustomerRecord> record = customer_record_from_json(value->get_object());
    if (!record) return refused(line_, kInvalidField, record.status().message());
    return ImportRow{line_, std::move(record), {}};
  }
  return std::nullopt;
}

}  // namespace eddy
