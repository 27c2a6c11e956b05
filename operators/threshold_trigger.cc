#include "operators/threshold_trigger.h"

#include <algorithm>
#include <boost/json/object.hpp>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <optional>

#include "runtime/event_types.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace eddy {
namespace {

// The name becomes part of a feature path that segment rules read, so it must lex as a name there.
bool valid_name(std::string_view name) {
  if (name.empty()) return false;
  const auto c0 = static_cast<unsigned char>(name[0]);
  if (!std::isalpha(c0) && c0 != '_') return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

Status config_error(std::string message) {
  return {Errc::kInvalidArgument, "threshold trigger: " + std::move(message)};
}

std::string trigger_id(std::string_view key, std::string_view name, int64_t time,
                       uint32_t crossing) {
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  const char separator = '\0';
  XXH3_64bits_update(&state, key.data(), key.size());
  XXH3_64bits_update(&state, &separator, 1);
  XXH3_64bits_update(&state, name.data(), name.size());
  XXH3_64bits_update(&state, &separator, 1);
  XXH3_64bits_update(&state, &time, sizeof time);
  XXH3_64bits_update(&state, &crossing, sizeof crossing);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(XXH3_64bits_digest(&state)));
  return hex;
}

}  // namespace

Result<std::unique_ptr<Operator>> ThresholdTrigger::create(const OperatorArgs& args) {
  auto op = std::make_unique<ThresholdTrigger>();
  bool has_threshold = false;
  bool has_marketing = false;
  for (const auto& [key, value] : args.config) {
    if (key == "name" || key == "feature" || key == "unless") {
      if (!value.is_string() || value.as_string().empty()) {
        return config_error("'" + std::string(key) + "' must be a non-empty string");
      }
      std::string text(value.as_string());
      if (key == "name") {
        op->name_ = std::move(text);
      } else if (key == "feature") {
        op->feature_path_ = std::move(text);
      } else {
        op->unless_path_ = std::move(text);
      }
    } else if (key == "above" || key == "at_least") {
      if (has_threshold) return config_error("give either 'above' or 'at_least', not both");
      if (!value.is_number() || !std::isfinite(value.to_number<double>())) {
        return config_error("'" + std::string(key) + "' must be a finite number");
      }
      has_threshold = true;
      op->threshold_ = value.to_number<double>();
      op->comparison_ = key == "above" ? Comparison::kAbove : Comparison::kAtLeast;
    } else if (key == "marketing") {
      if (!value.is_bool()) return config_error("'marketing' must be true or false");
      has_marketing = true;
      op->marketing_ = value.as_bool();
    } else {
      return config_error("unknown config key '" + std::string(key) + "'");
    }
  }
  if (!valid_name(op->name_)) {
    return config_error("'name' is required and must match [A-Za-z_][A-Za-z0-9_]*");
  }
  if (op->feature_path_.empty()) return config_error("'feature' is required");
  if (!has_threshold) return config_error("one of 'above' or 'at_least' is required");
  if (!has_marketing) return config_error("'marketing' (true or false) is required");
  op->fired_type_ = args.types.find("Trigger Fired");
  if (op->fired_type_ == EventTypeRegistry::kUnknown) {
    return config_error("the topology must accept 'Trigger Fired'");
  }
  return std::unique_ptr<Operator>(std::move(op));
}

Status ThresholdTrigger::declare_features(FeatureCatalog& catalog) {
  return catalog.add(
      "triggers." + name_ + ".active", FeatureValue::Kind::kBool,
      [this](uint32_t slot, EventTime) { return FeatureValue::of_bool(active_[slot] != 0); });
}

Status ThresholdTrigger::bind_features(const FeatureCatalog& catalog) {
  const auto* feature = catalog.find(feature_path_);
  if (feature == nullptr) return {Errc::kNotFound, "unknown feature '" + feature_path_ + "'"};
  if (feature->kind != FeatureValue::Kind::kNumber) {
    return {Errc::kInvalidArgument, "feature '" + feature_path_ + "' is not a number"};
  }
  feature_ = feature->get;
  if (unless_path_.empty()) return {};
  const auto* unless = catalog.find(unless_path_);
  if (unless == nullptr) return {Errc::kNotFound, "unknown feature '" + unless_path_ + "'"};
  if (unless->kind != FeatureValue::Kind::kBool) {
    return {Errc::kInvalidArgument, "feature '" + unless_path_ + "' is not a boolean"};
  }
  unless_ = unless->get;
  return {};
}

void ThresholdTrigger::on_new_slot(uint32_t slot) {
  if (slot >= active_.size()) {
    active_.resize(slot + 1, 0);
    fired_.resize(slot + 1, 0);
  }
}

std::optional<double> ThresholdTrigger::holds(uint32_t slot, EventTime now) const {
  const FeatureValue v = feature_(slot, now);
  if (v.kind != FeatureValue::Kind::kNumber) return std::nullopt;
  const bool crossed =
      comparison_ == Comparison::kAbove ? v.number > threshold_ : v.number >= threshold_;
  if (!crossed) return std::nullopt;
  if (unless_) {
    const FeatureValue u = unless_(slot, now);
    if (u.kind == FeatureValue::Kind::kBool && u.flag) return std::nullopt;
  }
  return v.number;
}

Flow ThresholdTrigger::on_event(const EventRef& event, Context& ctx) {
  evaluate(event.time(), active_[ctx.slot()] != 0, ctx);
  return Flow::kPass;
}

void ThresholdTrigger::evaluate(EventTime at, bool was_active, Context& ctx) {
  const uint32_t slot = ctx.slot();
  const std::optional<double> value = holds(slot, ctx.watermark());
  active_[slot] = value ? 1 : 0;
  if (value && !was_active) {
    ++fired_[slot];
    fire(at, ctx, *value);
  }
}

void ThresholdTrigger::fire(EventTime at, Context& ctx, double value) {
  const std::string id = trigger_id(ctx.key(), name_, at.value(), fired_[ctx.slot()]);
  const PropDraft props[] = {
      {"trigger", PropValue::of_string(name_)},
      {"value", PropValue::of_double(value)},
      {"marketing", PropValue::of_bool(marketing_)},
      {"trigger_id", PropValue::of_string(id)},
  };
  EventDraft d;
  d.type = fired_type_;
  d.time = at;
  d.props = props;
  ctx.emit(d);
}

void ThresholdTrigger::on_query(uint32_t slot, EventTime /*now*/, boost::json::object& out) const {
  boost::json::value& triggers = out["triggers"];
  if (!triggers.is_object()) triggers = boost::json::object();
  boost::json::object mine;
  mine["active"] = active_[slot] != 0;
  mine["fired"] = fired_[slot];
  triggers.as_object()[name_] = std::move(mine);
}

void ThresholdTrigger::snapshot(StateWriter& out) const {
  out.put<uint64_t>(active_.size());
  for (size_t i = 0; i < active_.size(); ++i) {
    out.put<uint8_t>(active_[i]);
    out.put<uint32_t>(fired_[i]);
  }
}

Status ThresholdTrigger::restore(StateReader& in, uint32_t slot_count) {
  const auto n = in.get<uint64_t>();
  if (!in.ok() || n != slot_count) {
    return {Errc::kCorrupt, "trigger state holds " + std::to_string(n) + " keys, expected " +
                                std::to_string(slot_count)};
  }
  std::vector<uint8_t> active(n);
  std::vector<uint32_t> fired(n);
  for (size_t i = 0; i < n && in.ok(); ++i) {
    active[i] = in.get<uint8_t>();
    fired[i] = in.get<uint32_t>();
    if (active[i] > 1) return {Errc::kCorrupt, "trigger state has a bad active flag"};
  }
  if (!in.ok()) return {Errc::kCorrupt, "trigger state is truncated"};
  active_ = std::move(active);
  fired_ = std::move(fired);
  return {};
}

void ThresholdTrigger::move_key_out(StateWriter& out, Context& ctx) {
  const uint32_t slot = ctx.slot();
  out.put<uint8_t>(active_[slot]);
  out.put<uint32_t>(fired_[slot]);
  active_[slot] = 0;
  fired_[slot] = 0;
}

Status ThresholdTrigger::merge_key_in(StateReader& in, Context& ctx) {
  const auto active = in.get<uint8_t>();
  const auto fired = in.get<uint32_t>();
  if (!in.ok()) return {Errc::kCorrupt, "a moved key's trigger state is truncated"};
  if (active > 1) return {Errc::kCorrupt, "a moved key's trigger state has a bad active flag"};
  const uint32_t slot = ctx.slot();
  const bool either_active = active_[slot] != 0 || active != 0;
  fired_[slot] =
      static_cast<uint32_t>(std::min<uint64_t>(UINT32_MAX, uint64_t{fired_[slot]} + fired));
  if (ctx.watermark() != kMinEventTime) {
    evaluate(ctx.watermark(), either_active, ctx);
    return {};
  }
  // Nothing to date a crossing with: the key's next event fires it, if it still holds then.
  active_[slot] = either_active && holds(slot, ctx.watermark()) ? 1 : 0;
  return {};
}

}  // namespace eddy
