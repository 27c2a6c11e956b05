#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace eddy {

// A line of an import (POST /v1/import) that was not taken, and why. `line` is the 1-based line of
// the body the record starts on (a CSV's header is line 1). The message names fields and lines but
// never repeats a value, which is personal data: import statuses are read by whoever may import.
struct ImportRejection {
  size_t line = 0;
  std::string code;
  std::string message;

  friend bool operator==(const ImportRejection&, const ImportRejection&) = default;
};

// The rejection codes, stable for clients (docs/import.md).
// A CSV row that cannot be split into the header's fields, or an NDJSON line that is not a JSON
// object (not JSON, not UTF-8, nested too deeply).
inline constexpr std::string_view kMalformedLine = "malformed_line";
// An NDJSON object with a known key of the wrong kind, or one field given under two keys.
inline constexpr std::string_view kInvalidField = "invalid_field";
// A record normalize_customer_record refuses: no id, or nothing left to match it by.
inline constexpr std::string_view kInvalidRecord = "invalid_record";
// An id that is too long once prefixed with the source, or holds a control character.
inline constexpr std::string_view kInvalidId = "invalid_id";
// An id an earlier line of the same import already has; the earlier line is imported.
inline constexpr std::string_view kDuplicateId = "duplicate_id";

}  // namespace eddy
