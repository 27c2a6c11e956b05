#pragma once

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string_view>

#include "connectors/ingest/ingest_errc.h"

namespace eddy {

// Parses request bodies and NDJSON lines with the HTTP edge's depth limit, without exceptions for
// bad input, into memory that is reused from one text to the next: parsing a million lines
// allocates about as often as parsing one.
//
// Not thread-safe; one reader per request. A parsed value is valid until the next read().
class JsonReader {
 public:
  explicit JsonReader(uint32_t max_depth);
  JsonReader(const JsonReader&) = delete;
  JsonReader& operator=(const JsonReader&) = delete;

  // One complete JSON text; whitespace around it is fine, anything else after it is not. Null on
  // failure, with `error` saying kMalformedJson (and where) or kJsonTooDeep.
  const boost::json::value* read(std::string_view text, IngestError& error);

 private:
  static boost::json::parse_options options(uint32_t max_depth);

  // Most messages fit here, so a line usually costs no allocation at all.
  unsigned char first_block_[16 * 1024];
  boost::json::monotonic_resource resource_;
  boost::json::parser parser_;
  std::optional<boost::json::value> value_;
};

// The size of `value` written as compact JSON, counted without building the text, and at most
// `cap + 1`: enough to tell whether a message parsed out of a batch is over the event size limit.
size_t compact_json_size(const boost::json::value& value, size_t cap);

}  // namespace eddy
