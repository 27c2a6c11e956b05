#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <vector>

#include "connectors/webhooks/json_path.h"
#include "runtime/status.h"

namespace eddy {

// The `when` of a mapping rule: one condition on a payload field, written
//   {"field": "status", "equals": "paid"}
//   {"field": "status", "one_of": ["refunded", "partially_refunded"]}
//   {"field": "customer.id", "exists": true}
// Numbers compare by value (1 equals 1.0); an absent or null field equals nothing and does not
// exist. Immutable once parsed.
class MappingCondition {
 public:
  // `spec` is one condition or a list that must all hold. `where` prefixes errors.
  static Result<std::vector<MappingCondition>> parse_all(const boost::json::value& spec,
                                                         const std::string& where);

  // Why the condition does not hold for `payload` ("'status' is \"paid\""), or "" when it does.
  std::string check(const boost::json::value& payload) const;

 private:
  enum class Op : uint8_t { kEquals, kOneOf, kExists };

  MappingCondition(JsonPath path, Op op) : path_(std::move(path)), op_(op) {}
  static Result<MappingCondition> parse(const boost::json::value& spec, const std::string& where);

  JsonPath path_;
  Op op_;
  std::vector<boost::json::value> values_;  // kEquals: one; kOneOf: the list
  bool exists_ = true;                      // kExists
};

}  // namespace eddy
