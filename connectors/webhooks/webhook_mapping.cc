#include "connectors/webhooks/webhook_mapping.h"

#include <algorithm>
#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <optional>

#include "connectors/webhooks/mapping_condition.h"
#include "connectors/webhooks/mapping_value.h"
#include "runtime/whole_file.h"

namespace eddy {

namespace json = boost::json;

namespace {

enum class SegmentCall : uint8_t { kTrack, kIdentify };

struct Rule {
  std::string name;
  std::string where;  // "rule 0 'order_completed'", the prefix of every message about it
  std::vector<MappingCondition> when;
  SegmentCall call = SegmentCall::kTrack;
  std::optional<ValueSpec> event;
  std::optional<ValueSpec> user_id;
  std::optional<ValueSpec> anonymous_id;
  std::optional<ValueSpec> timestamp;
  std::optional<FieldMap> properties;
  std::optional<FieldMap> traits;
  std::optional<FieldMap> context;
};

constexpr std::array<std::string_view, 3> kMappingKeys = {"name", "description", "rules"};
constexpr std::array<std::string_view, 11> kRuleKeys = {
    "name",        "description", "when",       "type",   "event",  "userId",
    "anonymousId", "timestamp",   "properties", "traits", "context"};
// eddy fills context.webhook with the delivery's source and id.
const std::vector<std::string_view> kReservedContext = {"webhook"};

Status error(const std::string& where, const std::string& why) {
  return {Errc::kInvalidArgument, where + ": " + why};
}

template <size_t N>
Status check_keys(const json::object& object, const std::array<std::string_view, N>& allowed,
                  const std::string& where) {
  for (const auto& entry : object) {
    if (std::find(allowed.begin(), allowed.end(), entry.key()) != allowed.end()) continue;
    std::string names;
    for (std::string_view k : allowed)
      names += (names.empty() ? "" : ", ") + std::string(k);
    return error(where, "unknown key '" + std::string(entry.key()) + "' (expected " + names + ")");
  }
  return Status::ok();
}

Status parse_value(const json::object& rule, std::string_view key, const std::string& where,
                   ValueType default_type, std::optional<ValueSpec>& out) {
  const json::value* spec = rule.if_contains(key);
  if (spec == nullptr) return Status::ok();
  auto value = ValueSpec::parse(*spec, where + ": " + std::string(key), default_type);
  if (!value) return value.status();
  out = std::move(value).value();
  return Status::ok();
}

// An event written as a bare string is the name itself, not a path as everywhere else: rules
// nearly always name a constant event, and "Order Completed" read as a path would fail every
// webhook at run time instead of loading.
Status parse_event(const json::object& rule, const std::string& where,
                   std::optional<ValueSpec>& out) {
  const json::value* spec = rule.if_contains("event");
  if (spec == nullptr) return Status::ok();
  const json::object* object = spec->if_object();
  const json::value* constant = spec->is_string()   ? spec
                                : object != nullptr ? object->if_contains("const")
                                                    : nullptr;
  if (constant != nullptr && (!constant->is_string() || constant->get_string().empty()))
    return error(where, "event: a constant event name is a non-empty string");
  const json::value wrapped =
      spec->is_string() ? json::value(json::object{{"const", *spec}}) : *spec;
  auto value = ValueSpec::parse(wrapped, where + ": event", ValueType::kString);
  if (!value) return value.status();
  out = std::move(value).value();
  return Status::ok();
}

Status parse_fields(const json::object& rule, std::string_view key, const std::string& where,
                    std::optional<FieldMap>& out,
                    const std::vector<std::string_view>& reserved = {}) {
  const json::value* spec = rule.if_contains(key);
  if (spec == nullptr) return Status::ok();
  auto fields = FieldMap::parse(*spec, where + ": " + std::string(key), reserved);
  if (!fields) return fields.status();
  out = std::move(fields).value();
  return Status::ok();
}

Status parse_call(const json::object& rule, const std::string& where, Rule& out) {
  const json::value* type = rule.if_contains("type");
  if (type != nullptr && *type == json::value("track")) {
    out.call = SegmentCall::kTrack;
    if (!rule.contains("event")) return error(where, "a track rule needs \"event\"");
    if (rule.contains("traits"))
      return error(where, "\"traits\" belong to identify; a track carries them as context.traits");
  } else if (type != nullptr && *type == json::value("identify")) {
    out.call = SegmentCall::kIdentify;
    if (rule.contains("event")) return error(where, "an identify rule has no \"event\"");
    if (rule.contains("properties"))
      return error(where, "an identify rule has \"traits\", not \"properties\"");
  } else {
    return error(where, "\"type\" is \"track\" or \"identify\"");
  }
  if (!rule.contains("userId") && !rule.contains("anonymousId"))
    return error(where, "needs \"userId\" or \"anonymousId\" (Segment requires one)");
  return Status::ok();
}

Result<Rule> parse_rule(const json::value& spec, size_t index) {
  std::string where = "rule " + std::to_string(index);
  const json::object* object = spec.if_object();
  if (object == nullptr) return error(where, "a rule is an object");
  const json::value* name = object->if_contains("name");
  if (name == nullptr || !name->is_string() || name->get_string().empty())
    return error(where, "\"name\" is a non-empty string");
  Rule rule;
  rule.name = std::string(name->get_string());
  where += " '" + rule.name + "'";
  rule.where = where;
  if (Status s = check_keys(*object, kRuleKeys, where); !s) return s;
  if (Status s = parse_call(*object, where, rule); !s) return s;
  if (const json::value* when = object->if_contains("when")) {
    auto conditions = MappingCondition::parse_all(*when, where + ": when");
    if (!conditions) return conditions.status();
    rule.when = std::move(conditions).value();
  }
  for (Status s :
       {parse_event(*object, where, rule.event),
        parse_value(*object, "userId", where, ValueType::kString, rule.user_id),
        parse_value(*object, "anonymousId", where, ValueType::kString, rule.anonymous_id),
        parse_value(*object, "timestamp", where, ValueType::kAsIs, rule.timestamp),
        parse_fields(*object, "properties", where, rule.properties),
        parse_fields(*object, "traits", where, rule.traits),
        parse_fields(*object, "context", where, rule.context, kReservedContext)}) {
    if (!s) return s;
  }
  return rule;
}

// The message of one rule, or why there is none (skip), or why the webhook is refused (error).
struct RuleOutcome {
  std::optional<json::object> message;
  std::string skip_reason;
};

class RuleApplier {
 public:
  RuleApplier(const Rule& rule, const json::value& payload) : rule_(rule), payload_(payload) {}

  Result<RuleOutcome> run(const WebhookRef& ref, size_t index, size_t count) {
    for (const MappingCondition& c : rule_.when) {
      if (std::string why = c.check(payload_); !why.empty())
        return skip("condition not met: " + why);
    }
    json::object& m = message_;
    m["type"] = rule_.call == SegmentCall::kTrack ? "track" : "identify";
    m["messageId"] = webhook_message_id(ref, index, count);
    if (Status s = add_event(); !s) return s;
    if (!skip_reason_.empty()) return skip(skip_reason_);
    for (Status s :
         {add_value("userId", rule_.user_id), add_value("anonymousId", rule_.anonymous_id),
          add_value("timestamp", rule_.timestamp)}) {
      if (!s) return s;
    }
    if (!skip_reason_.empty()) return skip(skip_reason_);
    if (Status s = check_identity(); !s) return s;
    const bool track = rule_.call == SegmentCall::kTrack;
    if (Status s =
            add_fields(track ? "properties" : "traits", track ? rule_.properties : rule_.traits);
        !s)
      return s;
    if (Status s = add_fields("context", rule_.context); !s) return s;
    if (!skip_reason_.empty()) return skip(skip_reason_);
    m["context"].as_object()["webhook"] = json::object{{"source", ref.source}, {"id", ref.id}};
    return RuleOutcome{std::move(message_), {}};
  }

 private:
  RuleOutcome skip(const std::string& why) const {
    return {std::nullopt, rule_.where + ": " + why};
  }

  Status fail(std::string_view field, const std::string& why) const {
    return {Errc::kInvalidArgument, rule_.where + ": " + std::string(field) + ": " + why};
  }

  // Evaluates one top-level value. An empty string counts as absent: Segment refuses empty ids,
  // and an empty timestamp or event name means nothing either.
  Result<std::optional<json::value>> evaluate(std::string_view field,
                                              const std::optional<ValueSpec>& spec) {
    if (!spec) return std::optional<json::value>();
    auto v = spec->evaluate(payload_);
    if (!v) return fail(field, v.status().message());
    if (v->skipped()) {
      if (skip_reason_.empty()) skip_reason_ = std::string(field) + ": " + v->skip_reason;
      return std::optional<json::value>();
    }
    if (v->value && v->value->is_string() && v->value->get_string().empty())
      return std::optional<json::value>();
    return std::move(v->value);
  }

  Status add_event() {
    if (!rule_.event) return Status::ok();
    auto v = evaluate("event", rule_.event);
    if (!v) return v.status();
    if (!skip_reason_.empty()) return Status::ok();
    if (!v->has_value()) return fail("event", "no event name at " + rule_.event->describe_paths());
    if (!(*v)->is_string()) return fail("event", quote_json(**v) + " is not an event name");
    message_["event"] = std::move(**v);
    return Status::ok();
  }

  Status add_value(std::string_view field, const std::optional<ValueSpec>& spec) {
    auto v = evaluate(field, spec);
    if (!v) return v.status();
    // Segment timestamps are ISO 8601 strings and ingest takes nothing else; a bare number has no
    // unit, so the mapping must say which one it is.
    if (field == "timestamp" && v->has_value() && (*v)->is_number())
      return fail(field, quote_json(**v) +
                             " is a number; declare \"as\": \"epoch_seconds\" or "
                             "\"epoch_millis\"");
    if (v->has_value()) message_[field] = std::move(**v);
    return Status::ok();
  }

  Status check_identity() const {
    if (message_.contains("userId") || message_.contains("anonymousId")) return Status::ok();
    std::string tried;
    if (rule_.user_id) tried += "userId from " + rule_.user_id->describe_paths();
    if (rule_.anonymous_id)
      tried += (tried.empty() ? "" : ", ") + std::string("anonymousId from ") +
               rule_.anonymous_id->describe_paths();
    return {Errc::kInvalidArgument,
            rule_.where + ": no userId or anonymousId in the payload (" + tried + ")"};
  }

  Status add_fields(std::string_view key, const std::optional<FieldMap>& fields) {
    json::value& slot = message_[key];
    slot = json::object();
    if (!fields || !skip_reason_.empty()) return Status::ok();
    auto v = fields->apply(payload_);
    if (!v)
      return {Errc::kInvalidArgument,
              rule_.where + ": " + std::string(key) + "." + v.status().message()};
    if (v->skipped()) {
      skip_reason_ = std::string(key) + "." + v->skip_reason;
      return Status::ok();
    }
    slot = std::move(*v->value);
    return Status::ok();
  }

  const Rule& rule_;
  const json::value& payload_;
  json::object message_;
  std::string skip_reason_;
};

}  // namespace

struct WebhookMapping::Spec {
  std::string name;
  std::vector<Rule> rules;
};

Result<WebhookMapping> WebhookMapping::from_json(const json::value& spec) {
  const json::object* object = spec.if_object();
  if (object == nullptr) return Status(Errc::kInvalidArgument, "a mapping is a JSON object");
  if (Status s = check_keys(*object, kMappingKeys, "mapping"); !s) return s;
  auto out = std::make_shared<Spec>();
  if (const json::value* name = object->if_contains("name")) {
    if (!name->is_string()) return error("mapping", "\"name\" is a string");
    out->name = std::string(name->get_string());
  }
  const json::value* rules = object->if_contains("rules");
  if (rules == nullptr || !rules->is_array() || rules->get_array().empty())
    return error("mapping", "\"rules\" is a non-empty array");
  for (size_t i = 0; i < rules->get_array().size(); ++i) {
    auto rule = parse_rule(rules->get_array()[i], i);
    if (!rule) return rule.status();
    for (const Rule& other : out->rules) {
      if (other.name == rule->name) return error(rule->where, "another rule has this name");
    }
    out->rules.push_back(std::move(rule).value());
  }
  return WebhookMapping(std::move(out));
}

Result<WebhookMapping> WebhookMapping::parse(std::string_view json_text) {
  boost::system::error_code ec;
  json::value spec = json::parse(json_text, ec);
  if (ec) return Status(Errc::kInvalidArgument, "a mapping is JSON: " + ec.message());
  return from_json(spec);
}

Result<WebhookMapping> WebhookMapping::load_file(const std::string& path) {
  auto text = read_whole_file(path);
  if (!text) return text.status();
  auto mapping = parse(*text);
  if (!mapping) return Status(mapping.status().code(), path + ": " + mapping.status().message());
  return mapping;
}

Result<MappedWebhook> WebhookMapping::apply(const json::value& payload,
                                            const WebhookRef& ref) const {
  MappedWebhook out;
  const size_t count = spec_->rules.size();
  for (size_t i = 0; i < count; ++i) {
    auto outcome = RuleApplier(spec_->rules[i], payload).run(ref, i, count);
    if (!outcome) return outcome.status();
    if (outcome->message) {
      out.messages.push_back(std::move(*outcome->message));
    } else {
      out.ignored.push_back(std::move(outcome->skip_reason));
    }
  }
  return out;
}

const std::string& WebhookMapping::name() const {
  return spec_->name;
}

size_t WebhookMapping::rule_count() const {
  return spec_->rules.size();
}

std::string webhook_message_id(const WebhookRef& ref, size_t rule_index, size_t rule_count) {
  std::string id;
  id.reserve(ref.source.size() + ref.id.size() + 8);
  if (!ref.source.empty()) id.append(ref.source).append(":");
  id.append(ref.id);
  if (rule_count > 1) id.append(":").append(std::to_string(rule_index));
  return id;
}

}  // namespace eddy
