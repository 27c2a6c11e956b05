#include "operators/consent.h"

#include <strings.h>
#include <algorithm>

#include "runtime/event_types.h"

namespace eddy {
namespace {

Status config_error(std::string message) {
  return {Errc::kInvalidArgument, "consent: " + std::move(message)};
}

// A list of strings from the config; `out` unchanged when the key is absent.
Status read_names(const boost::json::object& config, std::string_view key,
                  std::vector<std::string>& out) {
  const auto* v = config.if_contains(key);
  if (v == nullptr) return {};
  if (!v->is_array()) return config_error("'" + std::string(key) + "' must be a list of names");
  out.clear();
  for (const auto& name : v->as_array()) {
    if (!name.is_string() || name.as_string().empty()) {
      return config_error("'" + std::string(key) + "' must be a list of names");
    }
    out.emplace_back(name.as_string());
  }
  return {};
}

// Event types by name; every name given must be accepted, a default one is dropped if it is not.
Status read_types(const OperatorArgs& args, std::string_view key, std::vector<std::string> names,
                  std::vector<EventType>& out) {
  const bool given = args.config.contains(key);
  if (Status s = read_names(args.config, key, names); !s) return s;
  for (const std::string& name : names) {
    const EventType t = args.types.find(name);
    if (t != EventTypeRegistry::kUnknown) {
      out.push_back(t);
    } else if (given) {
      return config_error("event type '" + name + "' is not accepted by the topology");
    }
  }
  return {};
}

std::optional<bool> yes_or_no(const PropValue& v) {
  if (v.kind() == PropKind::kBool) return v.as_bool();
  if (v.kind() != PropKind::kString) return std::nullopt;
  const std::string_view s = v.as_string();
  if (s == "true" || s == "yes") return true;
  if (s == "false" || s == "no") return false;
  return std::nullopt;
}

}  // namespace

Result<std::unique_ptr<Operator>> Consent::create(const OperatorArgs& args) {
  for (const auto& [key, value] : args.config) {
    if (key != "traits" && key != "category" && key != "unsubscribe_types" &&
        key != "marketing_types" && key != "default") {
      return config_error("unknown key '" + std::string(key) + "'");
    }
  }
  auto op = std::make_unique<Consent>();
  std::vector<std::string> traits{"marketing_consent", "accepts_marketing", "email_opt_in"};
  if (Status s = read_names(args.config, "traits", traits); !s) return s;
  for (const std::string& t : traits)
    op->traits_.push_back("traits." + t);
  if (const auto* c = args.config.if_contains("category")) {
    if (!c->is_string() || c->as_string().empty()) {
      return config_error("'category' must be a non-empty string");
    }
    op->category_ = "consent." + std::string(c->as_string());
  }
  if (Status s = read_types(args, "unsubscribe_types", {"Unsubscribed"}, op->unsubscribe_types_);
      !s) {
    return s;
  }
  if (Status s = read_types(args, "marketing_types", {"Cart Abandoned"}, op->marketing_types_);
      !s) {
    return s;
  }
  if (const auto* d = args.config.if_contains("default")) {
    if (!d->is_string() || (d->as_string() != "denied" && d->as_string() != "granted")) {
      return config_error("'default' must be \"denied\" or \"granted\"");
    }
    op->default_granted_ = d->as_string() == "granted";
  }
  return std::unique_ptr<Operator>(std::move(op));
}

void Consent::on_new_slot(uint32_t slot) {
  if (slot >= state_.size()) state_.resize(slot + 1);
}

Consent::Said Consent::said_by(const EventRef& event) const {
  const auto said = [](bool yes) { return yes ? Said::kGranted : Said::kDenied; };
  if (std::find(unsubscribe_types_.begin(), unsubscribe_types_.end(), event.type()) !=
      unsubscribe_types_.end()) {
    return Said::kDenied;
  }
  // On every event: most properties are neither, and their prefix says so at once.
  for (size_t i = 0; i < event.prop_count(); ++i) {
    const std::string_view name = event.prop_name(i);
    const bool speaks = name.starts_with("traits.")
                            ? std::find(traits_.begin(), traits_.end(), name) != traits_.end()
                            : name.starts_with("consent.") && name.size() == category_.size() &&
                                  ::strncasecmp(name.data(), category_.data(), name.size()) == 0;
    if (!speaks) continue;
    if (const auto yes = yes_or_no(event.prop_value(i))) return said(*yes);
  }
  return Said::kNothing;
}

bool Consent::is_marketing(const EventRef& event) const {
  if (std::find(marketing_types_.begin(), marketing_types_.end(), event.type()) !=
      marketing_types_.end()) {
    return true;
  }
  return event.prop("marketing") == PropValue::of_bool(true);
}

bool Consent::granted(const PerKey& k) const {
  return k.said == Said::kNothing ? default_granted_ : k.said == Said::kGranted;
}

Flow Consent::on_event(const EventRef& event, Context& ctx) {
  PerKey& k = state_[ctx.slot()];
  if (is_marketing(event)) {
    if (granted(k)) return Flow::kPass;
    ++k.withheld;
    ctx.side_output("consent_withheld", event);
    return Flow::kDrop;
  }
  const Said said = said_by(event);
  // The customer's latest word by event time, so that a late event does not overrule a newer one.
  if (said != Said::kNothing && event.time().value() >= k.changed_ms) {
    k.said = said;
    k.changed_ms = event.time().value();
  }
  return Flow::kPass;
}

void Consent::move_key_out(StateWriter& out, Context& ctx) {
  PerKey& k = state_[ctx.slot()];
  out.put<uint8_t>(static_cast<uint8_t>(k.said));
  out.put<int64_t>(k.changed_ms);
  out.put<uint64_t>(k.withheld);
  k = {};
}

Status Consent::merge_key_in(StateReader& in, Context& ctx) {
  const auto said = in.get<uint8_t>();
  const auto changed_ms = in.get<int64_t>();
  const auto withheld = in.get<uint64_t>();
  if (!in.ok() || said > static_cast<uint8_t>(Said::kGranted)) {
    return {Errc::kCorrupt, "moved consent is truncated or unknown"};
  }
  PerKey& k = state_[ctx.slot()];
  if (static_cast<Said>(said) != Said::kNothing &&
      (k.said == Said::kNothing || changed_ms > k.changed_ms)) {
    k.said = static_cast<Said>(said);
    k.changed_ms = changed_ms;
  }
  k.withheld += withheld;
  return {};
}

void Consent::snapshot(StateWriter& out) const {
  out.put<uint64_t>(state_.size());
  for (const PerKey& k : state_) {
    out.put<uint8_t>(static_cast<uint8_t>(k.said));
    out.put<int64_t>(k.changed_ms);
    out.put<uint64_t>(k.withheld);
  }
}

Status Consent::restore(StateReader& in, uint32_t slot_count) {
  const auto n = in.get<uint64_t>();
  if (!in.ok() || n != slot_count) {
    return {Errc::kCorrupt, "consent state holds " + std::to_string(n) + " keys, expected " +
                                std::to_string(slot_count)};
  }
  state_.assign(n, {});
  for (PerKey& k : state_) {
    const auto said = in.get<uint8_t>();
    if (said > static_cast<uint8_t>(Said::kGranted)) {
      return {Errc::kCorrupt, "consent state holds an unknown value"};
    }
    k.said = static_cast<Said>(said);
    k.changed_ms = in.get<int64_t>();
    k.withheld = in.get<uint64_t>();
  }
  if (!in.ok()) return {Errc::kCorrupt, "consent state is truncated"};
  return {};
}

Status Consent::declare_features(FeatureCatalog& catalog) {
  return catalog.add(
      "consent.marketing", FeatureValue::Kind::kBool,
      [this](uint32_t slot, EventTime) { return FeatureValue::of_bool(granted(state_[slot])); });
}

void Consent::on_query(uint32_t slot, EventTime /*now*/, boost::json::object& out) const {
  const PerKey& k = state_[slot];
  boost::json::object o{
      {"marketing", granted(k)}, {"said", k.said != Said::kNothing}, {"withheld", k.withheld}};
  if (k.said != Said::kNothing) o["changed_ms"] = k.changed_ms;
  out["consent"] = std::move(o);
}

}  // namespace eddy
