#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "connectors/ingest/json_reader.h"
#include "connectors/match/customer_csv.h"
#include "connectors/match/customer_record.h"
#include "runtime/status.h"

namespace eddy {

// The two body formats of POST /v1/import.
enum class ImportFormat : uint8_t {
  kCsv,     // text/csv: CustomerCsvReader's format, a header line naming the columns
  kNdjson,  // application/x-ndjson (or json): one JSON object per line, customer_json.h's keys
};

// The format a Content-Type names ("text/csv; charset=utf-8" is CSV), or nullopt when it names
// neither. application/json counts as NDJSON: a body of one object per line is what clients that
// know no other type send it as.
std::optional<ImportFormat> import_format_of(std::string_view content_type);

// One record of an import body as written, or why its line cannot be read (`code` is one of
// import_rejection.h's and the status's message says what is wrong without the line number).
struct ImportRow {
  size_t line = 0;
  Result<RawCustomerRecord> record = RawCustomerRecord{};
  std::string_view code;
};

// Reads an import body record by record, in either format, reporting a bad line and going on with
// the next. Views `body` without copying it; the body must outlive the reader. Used from one
// thread.
class ImportBodyReader {
 public:
  ImportBodyReader(std::string_view body, ImportFormat format, uint32_t max_json_depth);

  // Checks what decides the whole body before any record is read: a CSV's header, an NDJSON body
  // that is a JSON array instead. Call once, before next(); after an error next() yields nothing.
  Status start();

  // The next record, or nullopt at the end of the body.
  std::optional<ImportRow> next();

 private:
  std::optional<ImportRow> next_csv();
  std::optional<ImportRow> next_json_line();

  ImportFormat format_;
  bool started_ok_ = false;
  CustomerCsvReader csv_;
  std::string_view rest_;  // the NDJSON lines not read yet
  size_t line_ = 0;        // the NDJSON line read last
  std::unique_ptr<JsonReader> json_;
};

}  // namespace eddy
