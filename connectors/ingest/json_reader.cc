#include "connectors/ingest/json_reader.h"

#include <algorithm>
#include <boost/json/serializer.hpp>

namespace eddy {
namespace {

bool is_json_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

IngestError malformed(size_t position, std::string_view what) {
  return {IngestErrc::kMalformedJson,
          "malformed JSON at byte " + std::to_string(position) + ": " + std::string(what),
          position};
}

}  // namespace

boost::json::parse_options JsonReader::options(uint32_t max_depth) {
  boost::json::parse_options o;
  o.max_depth = max_depth;
  return o;
}

JsonReader::JsonReader(uint32_t max_depth)
    : resource_(first_block_, sizeof first_block_),
      parser_(boost::json::storage_ptr(), options(max_depth)) {}

const boost::json::value* JsonReader::read(std::string_view text, IngestError& error) {
  // The previous value, and whatever a failed parse left half-built, live in the resource: both
  // must go before the resource is recycled.
  value_.reset();
  parser_.reset();
  resource_.release();
  parser_.reset(boost::json::storage_ptr(&resource_));
  boost::json::error_code ec;
  const size_t used = parser_.write_some(text.data(), text.size(), ec);
  if (ec == boost::json::error::too_deep) {
    error = {IngestErrc::kJsonTooDeep, "JSON nested deeper than the limit of this server", used};
    return nullptr;
  }
  if (ec) {
    error = malformed(used, ec.message());
    return nullptr;
  }
  for (size_t i = used; i < text.size(); ++i) {
    if (!is_json_space(text[i])) {
      error = malformed(i, "unexpected text after the JSON value");
      return nullptr;
    }
  }
  value_.emplace(parser_.release());
  return &*value_;
}

size_t compact_json_size(const boost::json::value& value, size_t cap) {
  boost::json::serializer sr;
  sr.reset(&value);
  char buf[4096];
  size_t total = 0;
  while (!sr.done() && total <= cap)
    total += sr.read(buf, sizeof buf).size();
  return std::min(total, cap + 1);
}

}  // namespace eddy
