#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/status.h"

namespace eddy {

// A path into a JSON document, as webhook mappings write it: object keys joined by dots, with array
// elements as "[n]" or as a numeric step ("line_items[0].price" and "line_items.0.price" are the
// same path). A numeric step on an object is an ordinary key. Keys that contain '.', '[' or ']'
// cannot be addressed; no sender we map uses them.
class JsonPath {
 public:
  static Result<JsonPath> parse(std::string_view text);

  // The value at the path, or nullptr when a step is missing, indexes past an array's end, or the
  // value there is JSON null: a mapping treats null as absent, because senders use both for "not
  // known" (Shopify sends "customer": null for a guest checkout).
  const boost::json::value* find(const boost::json::value& root) const;

  const std::string& text() const { return text_; }

 private:
  struct Step {
    std::string key;
    // An explicit "[n]"; a numeric key is tried as an index on arrays too.
    bool is_index = false;
    size_t index = 0;
  };

  JsonPath(std::vector<Step> steps, std::string text)
      : steps_(std::move(steps)), text_(std::move(text)) {}

  std::vector<Step> steps_;
  std::string text_;
};

}  // namespace eddy
