#include "connectors/api/customer_json.h"

#include <array>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "connectors/normalize/ascii.h"

namespace eddy {
namespace {

// Whether a key takes a JSON number as its text: ids, phone numbers and postcodes are often kept
// as numbers by the systems that export them; a name or an email never is.
enum class Numbers : uint8_t { kRefused, kAsText };

using Field = std::string RawCustomerRecord::*;

struct JsonKey {
  std::string_view key;
  Field field;
  Numbers numbers;
};

constexpr auto kTopLevelKeys = std::to_array<JsonKey>({
    {"id", &RawCustomerRecord::id, Numbers::kAsText},
    {"email", &RawCustomerRecord::email, Numbers::kRefused},
    {"phone", &RawCustomerRecord::phone, Numbers::kAsText},
    {"first_name", &RawCustomerRecord::first_name, Numbers::kRefused},
    {"firstName", &RawCustomerRecord::first_name, Numbers::kRefused},
    {"last_name", &RawCustomerRecord::last_name, Numbers::kRefused},
    {"lastName", &RawCustomerRecord::last_name, Numbers::kRefused},
    {"street", &RawCustomerRecord::street, Numbers::kRefused},
    {"postcode", &RawCustomerRecord::postcode, Numbers::kAsText},
    {"postalCode", &RawCustomerRecord::postcode, Numbers::kAsText},
    {"city", &RawCustomerRecord::city, Numbers::kRefused},
    {"country", &RawCustomerRecord::country, Numbers::kRefused},
});

constexpr auto kAddressKeys = std::to_array<JsonKey>({
    {"street", &RawCustomerRecord::street, Numbers::kRefused},
    {"postcode", &RawCustomerRecord::postcode, Numbers::kAsText},
    {"postalCode", &RawCustomerRecord::postcode, Numbers::kAsText},
    {"city", &RawCustomerRecord::city, Numbers::kRefused},
    {"country", &RawCustomerRecord::country, Numbers::kRefused},
});

Status key_error(std::string_view key, std::string_view why) {
  return {Errc::kInvalidArgument, "'" + std::string(key) + "' " + std::string(why)};
}

// The value as text; nullopt for null, which exports write for an empty field.
Result<std::optional<std::string>> text_of(const boost::json::value& value, std::string_view key,
                                           Numbers numbers) {
  if (value.is_null()) return std::optional<std::string>();
  if (value.is_string()) return std::optional<std::string>(std::string(value.get_string()));
  if (numbers == Numbers::kAsText) {
    if (value.is_int64()) return std::optional<std::string>(std::to_string(value.get_int64()));
    if (value.is_uint64()) return std::optional<std::string>(std::to_string(value.get_uint64()));
    return key_error(key, "must be a string or a whole number");
  }
  return key_error(key, "must be a string");
}

// Fills the record's fields from an object's known keys, remembering which key filled each field,
// so that one field given under two keys is refused rather than one of them silently winning.
class RecordFiller {
 public:
  Status fill(const boost::json::object& object, std::span<const JsonKey> keys,
              std::string_view prefix) {
    for (const JsonKey& known : keys) {
      const boost::json::value* value = object.if_contains(known.key);
      if (value == nullptr) continue;
      const std::string key = std::string(prefix) + std::string(known.key);
      auto text = text_of(*value, key, known.numbers);
      if (!text) return text.status();
      if (!text->has_value()) continue;
      if (Status s = claim(known.field, key); !s) return s;
      record_.*known.field = std::move(**text);
    }
    return {};
  }

  // "name" splits at its last space, as the CSV import's `name` column does
  // (connectors/match/customer_csv.h): "Anne Marie Smith" is "Anne Marie" and "Smith".
  Status fill_full_name(const boost::json::value& value) {
    auto text = text_of(value, "name", Numbers::kRefused);
    if (!text) return text.status();
    if (!text->has_value()) return {};
    if (filled(&RawCustomerRecord::first_name) || filled(&RawCustomerRecord::last_name)) {
      return key_error("name", "cannot be combined with first_name or last_name");
    }
    const std::string_view name = trim_ascii_whitespace(**text);
    const size_t space = name.find_last_of(" \t");
    if (space == std::string_view::npos) {
      record_.last_name = std::string(name);
    } else {
      record_.first_name = std::string(trim_ascii_whitespace(name.substr(0, space)));
      record_.last_name = std::string(name.substr(space + 1));
    }
    return {};
  }

  RawCustomerRecord take() && { return std::move(record_); }

 private:
  bool filled(Field field) const {
    for (const auto& [f, key] : filled_by_)
      if (f == field) return true;
    return false;
  }

  Status claim(Field field, const std::string& key) {
    for (const auto& [f, earlier] : filled_by_) {
      if (f == field) return key_error(key, "gives the same field as '" + earlier + "'");
    }
    filled_by_.emplace_back(field, key);
    return {};
  }

  RawCustomerRecord record_;
  std::vector<std::pair<Field, std::string>> filled_by_;
};

}  // namespace

Result<RawCustomerRecord> customer_record_from_json(const boost::json::object& object) {
  RecordFiller filler;
  if (Status s = filler.fill(object, kTopLevelKeys, ""); !s) return s;
  if (const boost::json::value* address = object.if_contains("address")) {
    if (address->is_object()) {
      if (Status s = filler.fill(address->get_object(), kAddressKeys, "address."); !s) return s;
    } else if (!address->is_null()) {
      return key_error("address", "must be an object");
    }
  }
  if (const boost::json::value* name = object.if_contains("name")) {
    if (Status s = filler.fill_full_name(*name); !s) return s;
  }
  return std::move(filler).take();
}

}  // namespace eddy
