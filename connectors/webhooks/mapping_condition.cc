#include "connectors/webhooks/mapping_condition.h"

#include "connectors/webhooks/mapping_value.h"

namespace eddy {

namespace json = boost::json;

namespace {

Status error(const std::string& where, const std::string& why) {
  return {Errc::kInvalidArgument, where + ": " + why};
}

bool json_equal(const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_double() || b.is_double()) {
      boost::system::error_code ea, eb;
      return a.to_number<double>(ea) == b.to_number<double>(eb) && !ea && !eb;
    }
    if (a.is_int64() && b.is_int64()) return a.get_int64() == b.get_int64();
    if (a.is_uint64() && b.is_uint64()) return a.get_uint64() == b.get_uint64();
    const json::value& i = a.is_int64() ? a : b;
    const json::value& u = a.is_int64() ? b : a;
    return i.get_int64() >= 0 && static_cast<uint64_t>(i.get_int64()) == u.get_uint64();
  }
  return a == b;
}

}  // namespace

Result<MappingCondition> MappingCondition::parse(const json::value& spec,
                                                 const std::string& where) {
  const json::object* object = spec.if_object();
  if (object == nullptr) return error(where, "a condition is an object");
  for (const auto& entry : *object) {
    const std::string_view key = entry.key();
    if (key != "field" && key != "equals" && key != "one_of" && key != "exists")
      return error(where, "unknown key '" + std::string(key) +
                              "' (expected field and one of equals, one_of, exists)");
  }
  const json::value* field = object->if_contains("field");
  if (field == nullptr || !field->is_string()) return error(where, "\"field\" is a path string");
  auto path = JsonPath::parse(std::string_view(field->get_string()));
  if (!path) return error(where, path.status().message());
  if (object->size() != 2) return error(where, "needs exactly one of equals, one_of, exists");
  MappingCondition c(std::move(path).value(), Op::kEquals);
  if (const json::value* v = object->if_contains("equals")) {
    if (v->is_null()) return error(where, "null is absent; write {\"exists\": false}");
    c.values_.push_back(*v);
  } else if (const json::value* list = object->if_contains("one_of")) {
    if (!list->is_array() || list->get_array().empty())
      return error(where, "\"one_of\" is a non-empty array");
    c.op_ = Op::kOneOf;
    c.values_.assign(list->get_array().begin(), list->get_array().end());
  } else {
    const json::value& exists = object->at("exists");
    if (!exists.is_bool()) return error(where, "\"exists\" is true or false");
    c.op_ = Op::kExists;
    c.exists_ = exists.get_bool();
  }
  return c;
}

Result<std::vector<MappingCondition>> MappingCondition::parse_all(const json::value& spec,
                                                                  const std::string& where) {
  std::vector<MappingCondition> out;
  if (const json::array* all = spec.if_array()) {
    for (size_t i = 0; i < all->size(); ++i) {
      auto c = parse((*all)[i], where + "[" + std::to_string(i) + "]");
      if (!c) return c.status();
      out.push_back(std::move(c).value());
    }
  } else {
    auto c = parse(spec, where);
    if (!c) return c.status();
    out.push_back(std::move(c).value());
  }
  return out;
}

std::string MappingCondition::check(const json::value& payload) const {
  const json::value* v = path_.find(payload);
  const std::string field = "'" + path_.text() + "'";
  if (op_ == Op::kExists) {
    if ((v != nullptr) == exists_) return {};
    return field + (exists_ ? " is absent" : " is present");
  }
  if (v == nullptr) return field + " is absent";
  for (const json::value& want : values_)
    if (json_equal(*v, want)) return {};
  return field + " is " + quote_json(*v);
}

}  // namespace eddy
