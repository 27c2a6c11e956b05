#include "connectors/match/traits_record.h"

#include <initializer_list>
#include <string>

namespace eddy {
namespace {

// The first of `names` that `o` holds as a string (or a number, when `numbers`), as text.
std::string text(const boost::json::object& o, std::initializer_list<std::string_view> names,
                 bool numbers = false) {
  for (const std::string_view name : names) {
    const boost::json::value* v = o.if_contains(name);
    if (v == nullptr) continue;
    if (v->is_string()) return std::string(v->get_string());
    if (numbers && v->is_int64()) return std::to_string(v->get_int64());
    if (numbers && v->is_uint64()) return std::to_string(v->get_uint64());
  }
  return {};
}

}  // namespace

std::optional<RawCustomerRecord> customer_record_from_traits(const boost::json::object& traits,
                                                             std::string_view user_id) {
  RawCustomerRecord r;
  r.id = std::string(user_id);
  r.email = text(traits, {"email"});
  r.phone = text(traits, {"phone"}, true);
  r.first_name = text(traits, {"firstName", "first_name"});
  r.last_name = text(traits, {"lastName", "last_name"});
  if (r.first_name.empty() && r.last_name.empty()) {
    const std::string name = text(traits, {"name"});
    const size_t space = name.find_last_of(' ');
    if (space == std::string::npos) {
      r.last_name = name;
    } else {
      r.first_name = name.substr(0, space);
      r.last_name = name.substr(space + 1);
    }
  }
  if (const auto* a = traits.if_contains("address"); a != nullptr && a->is_object()) {
    const boost::json::object& address = a->get_object();
    r.street = text(address, {"street"});
    r.postcode = text(address, {"postalCode", "postal_code", "postcode"}, true);
    r.city = text(address, {"city"});
    r.country = text(address, {"country"});
  }
  if (r.email.empty() && r.phone.empty() && r.last_name.empty()) return std::nullopt;
  return r;
}

}  // namespace eddy
