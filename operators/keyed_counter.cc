#include "operators/keyed_counter.h"

#include <algorithm>
#include <boost/json/array.hpp>

#include "runtime/event_types.h"

namespace eddy {

Result<std::unique_ptr<Operator>> KeyedCounter::create(const OperatorArgs& args) {
  auto op = std::make_unique<KeyedCounter>();
  if (const auto* types = args.config.if_contains("types")) {
    if (!types->is_array())
      return {Errc::kInvalidArgument, "'types' must be a list of event names"};
    for (const auto& t : types->as_array()) {
      if (!t.is_string()) return {Errc::kInvalidArgument, "'types' must be a list of event names"};
      const EventType id = args.types.find(t.as_string());
      if (id == EventTypeRegistry::kUnknown) {
        return {Errc::kInvalidArgument,
                "event type '" + std::string(t.as_string()) + "' is not accepted by the topology"};
      }
      op->types_.push_back(id);
    }
  }
  if (const auto* label = args.config.if_contains("label")) {
    if (!label->is_string() || label->as_string().empty()) {
      return {Errc::kInvalidArgument, "'label' must be a non-empty string"};
    }
    op->label_ = label->as_string();
  }
  return std::unique_ptr<Operator>(std::move(op));
}

void KeyedCounter::on_new_slot(uint32_t slot) {
  if (slot >= state_.size()) state_.resize(slot + 1);
}

Flow KeyedCounter::on_event(const EventRef& event, Context& ctx) {
  if (!types_.empty() && std::find(types_.begin(), types_.end(), event.type()) == types_.end()) {
    return Flow::kPass;
  }
  PerKey& k = state_[ctx.slot()];
  ++k.count;
  k.sum += event.amount();
  k.last_time = std::max(k.last_time, event.time().value());
  return Flow::kPass;
}

void KeyedCounter::snapshot(StateWriter& out) const {
  out.put<uint64_t>(state_.size());
  for (const PerKey& k : state_) {
    out.put<uint64_t>(k.count);
    out.put<double>(k.sum);
    out.put<int64_t>(k.last_time);
  }
}

Status KeyedCounter::restore(StateReader& in, uint32_t slot_count) {
  const auto n = in.get<uint64_t>();
  if (!in.ok() || n != slot_count) {
    return {Errc::kCorrupt, "counter state holds " + std::to_string(n) + " keys, expected " +
                                std::to_string(slot_count)};
  }
  state_.assign(n, {});
  for (PerKey& k : state_) {
    k.count = in.get<uint64_t>();
    k.sum = in.get<double>();
    k.last_time = in.get<int64_t>();
  }
  if (!in.ok()) return {Errc::kCorrupt, "counter state is truncated"};
  return {};
}

void KeyedCounter::move_key_out(StateWriter& out, Context& ctx) {
  PerKey& k = state_[ctx.slot()];
  out.put<uint64_t>(k.count);
  out.put<double>(k.sum);
  out.put<int64_t>(k.last_time);
  k = {};
}

Status KeyedCounter::merge_key_in(StateReader& in, Context& ctx) {
  const auto count = in.get<uint64_t>();
  const auto sum = in.get<double>();
  const auto last_time = in.get<int64_t>();
  if (!in.ok()) return {Errc::kCorrupt, "a moved counter is truncated"};
  PerKey& k = state_[ctx.slot()];
  k.count += count;
  k.sum += sum;
  k.last_time = std::max(k.last_time, last_time);
  return {};
}

Status KeyedCounter::declare_features(FeatureCatalog& catalog) {
  using Kind = FeatureValue::Kind;
  if (Status s =
          catalog.add(label_ + ".count", Kind::kNumber,
                      [this](uint32_t slot, EventTime) {
                        return FeatureValue::of_number(static_cast<double>(state_[slot].count));
                      });
      !s) {
    return s;
  }
  if (Status s = catalog.add(
          label_ + ".sum", Kind::kNumber,
          [this](uint32_t slot, EventTime) { return FeatureValue::of_number(state_[slot].sum); });
      !s) {
    return s;
  }
  return catalog.add(label_ + ".last_time_ms", Kind::kNumber, [this](uint32_t slot, EventTime) {
    const PerKey& k = state_[slot];
    return k.count == 0 ? FeatureValue::missing()
                        : FeatureValue::of_number(static_cast<double>(k.last_time));
  });
}

void KeyedCounter::on_query(uint32_t slot, EventTime /*now*/, boost::json::object& out) const {
  const PerKey& k = state_[slot];
  boost::json::object o;
  o["count"] = k.count;
  o["sum"] = k.sum;
  if (k.count != 0) o["last_time_ms"] = k.last_time;
  out[label_] = std::move(o);
}

}  // namespace eddy
