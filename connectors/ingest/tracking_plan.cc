#include "connectors/ingest/tracking_plan.h"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <cmath>

#include "runtime/whole_file.h"

namespace eddy {
namespace {

using boost::json::object;
using boost::json::value;

constexpr std::pair<std::string_view, JsonType> kTypeNames[] = {
    {"string", JsonType::kString},   {"number", JsonType::kNumber}, {"integer", JsonType::kInteger},
    {"boolean", JsonType::kBoolean}, {"object", JsonType::kObject}, {"array", JsonType::kArray},
    {"null", JsonType::kNull},
};

bool has(uint8_t types, JsonType t) {
  return (types & static_cast<uint8_t>(t)) != 0;
}

// How a violation names what was sent. An integral JSON number is an integer; 2.0 is a number
// that an integer field still takes, as JSON Schema does.
std::string_view kind_name(const value& v) {
  switch (v.kind()) {
    case boost::json::kind::null:
      return "null";
    case boost::json::kind::bool_:
      return "boolean";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
      return "integer";
    case boost::json::kind::double_:
      return "number";
    case boost::json::kind::string:
      return "string";
    case boost::json::kind::array:
      return "array";
    case boost::json::kind::object:
      return "object";
  }
  return "null";
}

bool matches(uint8_t types, const value& v) {
  if (types == 0) return true;
  switch (v.kind()) {
    case boost::json::kind::null:
      return has(types, JsonType::kNull);
    case boost::json::kind::bool_:
      return has(types, JsonType::kBoolean);
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
      return has(types, JsonType::kNumber) || has(types, JsonType::kInteger);
    case boost::json::kind::double_: {
      const double d = v.get_double();
      return has(types, JsonType::kNumber) ||
             (has(types, JsonType::kInteger) && std::isfinite(d) && d == std::trunc(d));
    }
    case boost::json::kind::string:
      return has(types, JsonType::kString);
    case boost::json::kind::array:
      return has(types, JsonType::kArray);
    case boost::json::kind::object:
      return has(types, JsonType::kObject);
  }
  return false;
}

// "expected string or null, got number"
std::string mismatch(uint8_t types, const value& v) {
  std::string out = "expected ";
  bool first = true;
  for (const auto& [name, type] : kTypeNames) {
    if (!has(types, type)) continue;
    if (!first) out += " or ";
    out += name;
    first = false;
  }
  return out.append(", got ").append(kind_name(v));
}

const object* object_at(const object* parent, std::string_view key) {
  const value* v = parent != nullptr ? parent->if_contains(key) : nullptr;
  return v != nullptr && v->is_object() ? &v->get_object() : nullptr;
}

template <typename Named>
void sort_by_name(std::vector<Named>& items) {
  std::sort(items.begin(), items.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
}

template <typename Named>
auto find_named(const std::vector<Named>& items, std::string_view name)
    -> decltype(&items[0].second) {
  auto it = std::lower_bound(items.begin(), items.end(), name,
                             [](const auto& item, std::string_view n) { return item.first < n; });
  return it != items.end() && it->first == name ? &it->second : nullptr;
}

}  // namespace

// Reads a plan file. Every key must be one the format has: a misspelt "requried" would otherwise
// make a required field optional without a word.
class TrackingPlan::Parser {
 public:
  Status plan(const value& root, TrackingPlan& out) {
    if (!root.is_object()) return wrong("the plan", "must be a JSON object");
    for (const auto& [key, v] : root.get_object()) {
      Status s;
      if (key == "events") {
        s = events(v, out.events_);
      } else if (key == "traits") {
        s = rules("'traits'", "trait", v, out.traits_);
      } else if (key == "allow_unplanned_events") {
        s = boolean("'allow_unplanned_events'", v, out.allow_unplanned_events_);
      } else {
        s = unknown("the plan", key, "events, traits and allow_unplanned_events");
      }
      if (!s) return s;
    }
    return {};
  }

 private:
  static Status wrong(std::string_view where, std::string_view what) {
    return {Errc::kInvalidArgument,
            std::string("tracking plan: ").append(where).append(" ").append(what)};
  }
  static Status unknown(std::string_view where, std::string_view key, std::string_view known) {
    return wrong(where, std::string("has an unknown key '")
                            .append(key)
                            .append("' (it may have ")
                            .append(known)
                            .append(")"));
  }
  static std::string named(std::string_view what, std::string_view name) {
    return std::string(what).append(" '").append(name).append("'");
  }

  static Status boolean(std::string_view where, const value& v, bool& out) {
    if (!v.is_bool()) return wrong(where, "must be true or false");
    out = v.get_bool();
    return {};
  }

  Status events(const value& v, std::vector<std::pair<std::string, EventRules>>& out) {
    if (!v.is_object()) return wrong("'events'", "must be an object of event names");
    for (const auto& [name, entry] : v.get_object()) {
      EventRules rules_of_event;
      if (Status s = event(named("event", name), entry, rules_of_event); !s) return s;
      out.emplace_back(std::string(name), std::move(rules_of_event));
    }
    sort_by_name(out);
    return {};
  }

  Status event(const std::string& where, const value& v, EventRules& out) {
    if (!v.is_object()) return wrong(where, "must be an object");
    for (const auto& [key, item] : v.get_object()) {
      Status s;
      if (key == "properties") {
        s = rules(where + ":", "property", item, out.properties);
      } else if (key == "allow_other_properties") {
        s = boolean(where + ": 'allow_other_properties'", item, out.allow_other_properties);
      } else if (key != "description") {
        s = unknown(where, key, "properties, allow_other_properties and description");
      }
      if (!s) return s;
    }
    return {};
  }

  Status rules(const std::string& where, std::string_view what, const value& v, Rules& out) {
    if (!v.is_object()) return wrong(where, "must be an object of field names");
    for (const auto& [name, item] : v.get_object()) {
      FieldRule r;
      if (Status s = rule(where + " " + named(what, name), item, r); !s) return s;
      out.emplace_back(std::string(name), r);
    }
    sort_by_name(out);
    return {};
  }

  Status rule(const std::string& where, const value& v, FieldRule& out) {
    if (!v.is_object()) return wrong(where, "must be an object such as {\"type\": \"string\"}");
    for (const auto& [key, item] : v.get_object()) {
      Status s;
      if (key == "type") {
        s = types(where, item, out.types);
      } else if (key == "required") {
        s = boolean(where + ": 'required'", item, out.required);
      } else if (key != "description") {
        s = unknown(where, key, "type, required and description");
      }
      if (!s) return s;
    }
    return {};
  }

  static Status types(const std::string& where, const value& v, uint8_t& out) {
    if (v.is_string()) return type_name(where, v.get_string(), out);
    if (!v.is_array() || v.get_array().empty()) {
      return wrong(where + ":", "'type' must be a type name or a non-empty list of them");
    }
    for (const value& item : v.get_array()) {
      if (!item.is_string()) return wrong(where + ":", "'type' lists something that is not a name");
      if (Status s = type_name(where, item.get_string(), out); !s) return s;
    }
    return {};
  }

  static Status type_name(const std::string& where, std::string_view name, uint8_t& out) {
    for (const auto& [known, type] : kTypeNames) {
      if (known == name) {
        out |= static_cast<uint8_t>(type);
        return {};
      }
    }
    return wrong(where, "has an unknown type '" + std::string(name) +
                            "' (string, number, integer, boolean, object, array or null)");
  }
};

// Collects one message's violations, up to the cap.
class TrackingPlan::Checker {
 public:
  explicit Checker(std::vector<TrackingPlanViolation>& out) : out_(out) {}

  bool full() const { return out_.size() >= kMaxTrackingPlanViolations; }

  void add(std::string_view prefix, std::string_view name, std::string reason) {
    if (full()) return;
    out_.push_back({std::string(prefix).append(name), std::move(reason)});
  }

  // One planned field as sent (or not) under `prefix`.
  void field(std::string_view prefix, std::string_view name, const FieldRule& rule,
             const value* v) {
    if (v == nullptr) {
      if (rule.required) add(prefix, name, "required");
    } else if (!matches(rule.types, *v)) {
      add(prefix, name, mismatch(rule.types, *v));
    }
  }

  void properties(const EventRules& rules, const object* sent) {
    for (const auto& [name, rule] : rules.properties) {
      field("properties.", name, rule, sent != nullptr ? sent->if_contains(name) : nullptr);
    }
    if (rules.allow_other_properties || sent == nullptr) return;
    for (const auto& [name, v] : *sent) {
      if (full()) return;
      if (find(rules.properties, name) == nullptr) add("properties.", name, "not in the plan");
    }
  }

  // Segment's libraries send traits at the top of an identify call or in its context; a trait
  // found in either satisfies `required`.
  void traits(const Rules& rules, const object* top, const object* in_context) {
    for (const auto& [name, rule] : rules) {
      const value* a = top != nullptr ? top->if_contains(name) : nullptr;
      const value* b = in_context != nullptr ? in_context->if_contains(name) : nullptr;
      if (a == nullptr && b == nullptr) {
        field("traits.", name, rule, nullptr);
        continue;
      }
      if (a != nullptr) field("traits.", name, rule, a);
      if (b != nullptr) field("context.traits.", name, rule, b);
    }
  }

 private:
  std::vector<TrackingPlanViolation>& out_;
};

Result<TrackingPlan> TrackingPlan::parse(std::string_view json) {
  boost::system::error_code ec;
  const value root = boost::json::parse(json, ec);
  if (ec) return Status(Errc::kInvalidArgument, "tracking plan: not JSON: " + ec.message());
  TrackingPlan plan;
  if (Status s = Parser().plan(root, plan); !s) return s;
  return plan;
}

Result<TrackingPlan> TrackingPlan::load(const std::string& path) {
  auto text = read_whole_file(path);
  if (!text) return text.status();
  auto plan = parse(*text);
  if (!plan) return Status(plan.status().code(), path + ": " + plan.status().message());
  return plan;
}

const FieldRule* TrackingPlan::find(const Rules& rules, std::string_view name) {
  return find_named(rules, name);
}

const TrackingPlan::EventRules* TrackingPlan::find_event(std::string_view name) const {
  return find_named(events_, name);
}

std::vector<TrackingPlanViolation> TrackingPlan::validate(const object& message,
                                                          SegmentCall call) const {
  std::vector<TrackingPlanViolation> out;
  Checker check(out);
  if (call == SegmentCall::kTrack) {
    const value* event = message.if_contains("event");
    if (event == nullptr || !event->is_string()) return out;
    const EventRules* rules = find_event(event->get_string());
    if (rules == nullptr) {
      if (!allow_unplanned_events_) check.add("event", "", "not in the plan");
      return out;
    }
    check.properties(*rules, object_at(&message, "properties"));
  } else if (call == SegmentCall::kIdentify) {
    check.traits(traits_, object_at(&message, "traits"),
                 object_at(object_at(&message, "context"), "traits"));
  }
  return out;
}

}  // namespace eddy
