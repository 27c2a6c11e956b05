#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/webhooks/json_path.h"
#include "runtime/ids.h"
#include "runtime/status.h"

namespace eddy {

// How a value read from a webhook payload is converted before it goes into a message.
enum class ValueType : uint8_t {
  kAsIs,     // copied unchanged (objects and arrays too)
  kString,   // strings unchanged; numbers and booleans as their JSON text
  kNumber,   // numbers unchanged; numeric strings ("12.50") become doubles
  kInteger,  // integers, integral doubles and integer strings become int64
  kBoolean,  // true/false and the strings "true"/"false"
  // Epoch times become ISO 8601 UTC strings with milliseconds, the Segment timestamp format, so
  // that ingest need not guess the unit of a bare number.
  kEpochSeconds,
  kEpochMillis,
};

// What a lookup table does with a value it has no entry for.
enum class Unmatched : uint8_t {
  kIgnore,  // the rule yields no message, and says why
  kError,   // the webhook is refused (400)
  kKeep,    // the value passes through unchanged
};

// The result of computing one value: the value, nothing (an optional field that is absent), or a
// reason why the rule's message is not produced. Failures are a Status beside it.
struct MappedValue {
  std::optional<boost::json::value> value;
  std::string skip_reason;

  bool skipped() const { return !skip_reason.empty(); }
};

class FieldMap;

// One value of a mapping, as declared in JSON: either a path ("customer.id") or an object
//   {"field": "total_price" | ["customer.id", "email"], "as": "number", "required": true,
//    "default": 1, "lookup": {"open": "Email Opened"}, "unmatched": "ignore",
//    "each": {<field map applied to every element of an array>}}
// or a constant {"const": "email"}. Immutable once parsed; safe to share between threads.
class ValueSpec {
 public:
  // `where` names the place in the mapping, for error messages ("rule 0 'order': properties.id").
  // `default_type` applies when the spec has no "as" (identities and event names are strings).
  static Result<ValueSpec> parse(const boost::json::value& spec, const std::string& where,
                                 ValueType default_type = ValueType::kAsIs);

  // Reads the value from `root` (the payload, or an array element under "each"). Error messages
  // and skip reasons say what is wrong; the caller prefixes where (see FieldMap::apply).
  Result<MappedValue> evaluate(const boost::json::value& root) const;

  bool is_constant() const { return constant_.has_value(); }
  bool required() const { return required_; }
  // The paths read, joined for messages: "'customer.id', 'email'".
  std::string describe_paths() const;

 private:
  ValueSpec() = default;
  struct Found {
    const boost::json::value* value = nullptr;
    const JsonPath* path = nullptr;
  };
  Found read(const boost::json::value& root) const;
  Result<MappedValue> map_each(const boost::json::value& raw, const JsonPath& path) const;
  Result<MappedValue> look_up(const boost::json::value& raw, const JsonPath& path) const;

  std::vector<JsonPath> paths_;
  std::optional<boost::json::value> constant_;
  std::optional<boost::json::value> default_;
  ValueType type_ = ValueType::kAsIs;
  bool required_ = false;
  std::optional<boost::json::object> lookup_;
  Unmatched unmatched_ = Unmatched::kIgnore;
  std::shared_ptr<const FieldMap> each_;
};

// The target fields of one object ("properties", "traits", "context", or an element of "each"):
// a JSON object from target name to ValueSpec. A dotted target ("traits.email") builds nested
// objects. Targets may not repeat or be a prefix of one another.
class FieldMap {
 public:
  // `reserved` lists target names the mapping fills itself and a user may not declare.
  static Result<FieldMap> parse(const boost::json::value& spec, const std::string& where,
                                const std::vector<std::string_view>& reserved = {});

  // The object of every present field. A skip reason from any field skips the whole object.
  // Messages start with the target that failed: "revenue: 'abc' at 'total_price' is not a number",
  // "products[1].price: ...".
  Result<MappedValue> apply(const boost::json::value& root) const;

  bool empty() const { return fields_.empty(); }

 private:
  struct Field {
    std::string name;
    std::vector<std::string> target;
    ValueSpec value;
  };

  FieldMap() = default;

  std::vector<Field> fields_;
};

// A payload value as error messages show it, cut short so that a huge field cannot make a huge
// error response.
std::string quote_json(const boost::json::value& v);

// "2024-05-02T10:15:00.000Z" for milliseconds since the epoch; nullopt outside years 0000-9999.
std::optional<std::string> format_iso8601_millis(int64_t epoch_ms);

}  // namespace eddy
