#include "operators/lifecycle.h"

#include <algorithm>
#include <array>
#include <boost/json/array.hpp>
#include <cstdio>
#include <set>
#include <string>

#include "operators/derived_types.h"
#include "runtime/event_types.h"
#include "runtime/key_hash.h"

namespace eddy {
namespace {

constexpr uint32_t kSnapshotVersion = 1;
// The layout of a moved key (move_key_out); merge_key_in refuses any other.
constexpr uint32_t kMoveFormat = 1;
constexpr int64_t kMaxDurationMs = 100 * 365 * kMillisPerDay;
constexpr uint32_t kMaxConsiderationViews = 16;
constexpr std::string_view kChangedType = "Lifecycle Changed";

int64_t saturating_add(int64_t a, int64_t b) {
  int64_t out;
  if (__builtin_add_overflow(a, b, &out)) return b > 0 ? INT64_MAX : INT64_MIN;
  return out;
}

Result<int64_t> duration(const boost::json::object& config, std::string_view key,
                         int64_t fallback) {
  const auto* v = config.if_contains(key);
  if (v == nullptr) return fallback;
  int64_t ms = 0;
  if (v->is_int64()) {
    ms = v->as_int64();
  } else if (v->is_uint64() && v->as_uint64() <= static_cast<uint64_t>(kMaxDurationMs)) {
    ms = static_cast<int64_t>(v->as_uint64());
  } else {
    return {Errc::kInvalidArgument, "'" + std::string(key) + "' must be a whole number of ms"};
  }
  if (ms <= 0 || ms > kMaxDurationMs) {
    return {Errc::kInvalidArgument,
            "'" + std::string(key) + "' must be positive and at most 100 years"};
  }
  return ms;
}

// The ids of a configured list of event names, or of the defaults that the topology accepts.
Result<std::vector<EventType>> type_list(const boost::json::object& config, std::string_view key,
                                         std::string_view fallback,
                                         const EventTypeRegistry& types) {
  std::vector<EventType> out;
  const auto* v = config.if_contains(key);
  if (v == nullptr) {
    const EventType id = fallback.empty() ? EventTypeRegistry::kUnknown : types.find(fallback);
    if (id != EventTypeRegistry::kUnknown) out.push_back(id);
    return out;
  }
  if (!v->is_array()) {
    return {Errc::kInvalidArgument, "'" + std::string(key) + "' must be a list of event names"};
  }
  for (const auto& name : v->as_array()) {
    if (!name.is_string()) {
      return {Errc::kInvalidArgument, "'" + std::string(key) + "' must be a list of event names"};
    }
    const EventType id = types.find(name.as_string());
    if (id == EventTypeRegistry::kUnknown) {
      return {Errc::kInvalidArgument, "'" + std::string(key) + "': event type '" +
                                          std::string(name.as_string()) +
                                          "' is not accepted by the topology"};
    }
    if (name.as_string() == kChangedType) {
      return {Errc::kInvalidArgument,
              "'" + std::string(key) + "' cannot list the operator's own 'Lifecycle Changed'"};
    }
    out.push_back(id);
  }
  return out;
}

std::string hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

std::string_view Lifecycle::stage_name(Stage stage) {
  switch (stage) {
    case Stage::kNone:
      return "none";
    case Stage::kAwareness:
      return "awareness";
    case Stage::kConsideration:
      return "consideration";
    case Stage::kPurchase:
      return "purchase";
    case Stage::kRetention:
      return "retention";
    case Stage::kDormant:
      return "dormant";
  }
  return "none";
}

Result<std::unique_ptr<Operator>> Lifecycle::create(const OperatorArgs& args) {
  static const std::set<std::string_view> kKeys = {
      "consideration_views", "purchase_window_ms", "dormant_after_ms", "view_types",
      "cart_types",          "order_types",        "activity_types"};
  for (const auto& kv : args.config) {
    if (!kKeys.contains(kv.key())) {
      return {Errc::kInvalidArgument, "unknown setting '" + std::string(kv.key()) + "'"};
    }
  }
  auto op = std::make_unique<Lifecycle>();
  if (const auto* v = args.config.if_contains("consideration_views")) {
    if (!v->is_int64() || v->as_int64() < 1 || v->as_int64() > kMaxConsiderationViews) {
      return {Errc::kInvalidArgument, "'consideration_views' must be a whole number from 1 to " +
                                          std::to_string(kMaxConsiderationViews)};
    }
    op->consideration_views_ = static_cast<uint32_t>(v->as_int64());
  }
  auto purchase = duration(args.config, "purchase_window_ms", op->purchase_window_ms_);
  if (!purchase) return purchase.status();
  op->purchase_window_ms_ = *purchase;
  auto dormant = duration(args.config, "dormant_after_ms", op->dormant_after_ms_);
  if (!dormant) return dormant.status();
  op->dormant_after_ms_ = *dormant;

  op->changed_ = args.types.find(kChangedType);
  if (op->changed_ == EventTypeRegistry::kUnknown) {
    return {Errc::kInvalidArgument,
            "the topology must accept 'Lifecycle Changed', the events this operator emits"};
  }

  op->roles_.assign(args.types.size() + 1, Role::kOther);
  if (args.config.contains("activity_types")) {
    auto activity = type_list(args.config, "activity_types", "", args.types);
    if (!activity) return activity.status();
    for (EventType t : *activity)
      op->roles_[t.value()] = Role::kActivity;
  } else {
    for (size_t id = 1; id < op->roles_.size(); ++id) {
      const std::string_view name = args.types.name(EventType(static_cast<uint16_t>(id)));
      if (!is_derived_type(name)) op->roles_[id] = Role::kActivity;
    }
  }
  struct Kind {
    std::string_view key;
    Role role;
    std::string_view fallback;
  };
  static constexpr Kind kKinds[] = {{"view_types", Role::kView, "Product Viewed"},
                                    {"cart_types", Role::kCart, "Product Added"},
                                    {"order_types", Role::kOrder, "Order Completed"}};
  std::vector<bool> claimed(op->roles_.size(), false);
  for (const auto& [key, role, fallback] : kKinds) {
    auto ids = type_list(args.config, key, fallback, args.types);
    if (!ids) return ids.status();
    for (EventType t : *ids) {
      if (claimed[t.value()]) {
        return {Errc::kInvalidArgument, "event type '" + std::string(args.types.name(t)) +
                                            "' is listed as more than one of views, carts, orders"};
      }
      claimed[t.value()] = true;
      op->roles_[t.value()] = role;
    }
  }
  return std::unique_ptr<Operator>(std::move(op));
}

Lifecycle::Role Lifecycle::role(EventType type) const {
  return type.value() < roles_.size() ? roles_[type.value()] : Role::kOther;
}

void Lifecycle::on_new_slot(uint32_t slot) {
  if (slot >= state_.size()) {
    state_.resize(size_t{slot} + 1);
    views_.resize(state_.size() * consideration_views_, 0);
  }
}

Flow Lifecycle::on_event(const EventRef& event, Context& ctx) {
  const Role r = role(event.type());
  if (r == Role::kOther) return Flow::kPass;
  PerKey& k = state_[ctx.slot()];
  const PerKey before = k;
  const int64_t t = event.time().value();
  k.last_activity = std::max(k.last_activity, t);
  switch (r) {
    case Role::kView:
      record_view(ctx.slot(), k, event.item());
      break;
    case Role::kCart:
      k.carted = true;
      break;
    case Role::kOrder:
      if (k.orders != UINT32_MAX) ++k.orders;
      k.last_order = std::max(k.last_order, t);
      break;
    case Role::kActivity:
    case Role::kOther:
      break;
  }
  rearm_purchase(before, k, ctx);
  int64_t now = std::max(t, ctx.watermark().value());
  if (k.stage != Stage::kNone) now = std::max(now, k.since);
  transition(k, now, ctx);
  // An active customer always has one dormancy timer pending, at or before their deadline.
  if (active(k.stage) && !active(before.stage)) arm_dormancy(k, ctx);
  return Flow::kPass;
}

void Lifecycle::on_timer(const TimerFiring& timer, Context& ctx) {
  PerKey& k = state_[timer.slot];
  transition(k, std::max(timer.time.value(), k.since), ctx);
  // The dormancy timer moves forward lazily: activity does not touch it (that would cost the timer
  // set an erase and an insert per event); when it fires before the deadline, which activity has
  // pushed back since, it is set again for the new deadline.
  if (timer.tag == kDormantTimer && active(k.stage)) arm_dormancy(k, ctx);
}

bool Lifecycle::active(Stage stage) {
  return stage != Stage::kNone && stage != Stage::kDormant;
}

void Lifecycle::arm_dormancy(const PerKey& k, Context& ctx) const {
  const int64_t due = dormant_due(k);
  if (due != INT64_MAX) ctx.set_timer(EventTime(due), kDormantTimer);
}

void Lifecycle::record_view(uint32_t slot, PerKey& k, std::string_view item) {
  // A view without a product id shows activity but not which product: it counts as no new one.
  if (item.empty()) return;
  uint32_t h = static_cast<uint32_t>(hash_key(item).value());
  if (h == 0) h = 1;  // 0 marks an empty place
  record_view_hash(slot, k, h);
}

void Lifecycle::record_view_hash(uint32_t slot, PerKey& k, uint32_t h) {
  if (k.distinct_views >= consideration_views_) return;
  uint32_t* seen = views_.data() + size_t{slot} * consideration_views_;
  if (std::find(seen, seen + k.distinct_views, h) != seen + k.distinct_views) return;
  seen[k.distinct_views++] = h;
}

Lifecycle::Stage Lifecycle::evaluate(const PerKey& k, int64_t now) const {
  if (k.last_activity == INT64_MIN) return Stage::kNone;
  if (now >= saturating_add(k.last_activity, dormant_after_ms_)) return Stage::kDormant;
  if (k.orders >= 2) return Stage::kRetention;
  if (k.orders == 1 && now < saturating_add(k.last_order, purchase_window_ms_)) {
    return Stage::kPurchase;
  }
  if (k.orders == 1 || k.carted || k.distinct_views >= consideration_views_) {
    return Stage::kConsideration;
  }
  return Stage::kAwareness;
}

int64_t Lifecycle::dormant_due(const PerKey& k) const {
  return k.last_activity == INT64_MIN ? INT64_MIN
                                      : saturating_add(k.last_activity, dormant_after_ms_);
}

int64_t Lifecycle::purchase_due(const PerKey& k) const {
  return k.orders == 1 ? saturating_add(k.last_order, purchase_window_ms_) : INT64_MIN;
}

void Lifecycle::rearm_purchase(const PerKey& before, const PerKey& after, Context& ctx) const {
  const int64_t old_due = purchase_due(before);
  const int64_t new_due = purchase_due(after);
  if (old_due == new_due) return;
  // A timer that already fired is gone; cancelling it again is harmless.
  if (old_due != INT64_MIN) ctx.cancel_timer(EventTime(old_due), kPurchaseTimer);
  if (new_due != INT64_MIN && new_due != INT64_MAX) {
    ctx.set_timer(EventTime(new_due), kPurchaseTimer);
  }
}

void Lifecycle::transition(PerKey& k, int64_t now, Context& ctx) const {
  const Stage next = evaluate(k, now);
  if (next != k.stage) enter(k, next, now, ctx);
}

void Lifecycle::enter(PerKey& k, Stage next, int64_t now, Context& ctx) const {
  const std::string_view from = stage_name(k.stage);
  const std::string_view to = stage_name(next);
  // The same input gives the same id: key, change and instant identify a transition.
  std::string seed(ctx.key());
  seed.append("\x1flifecycle\x1f").append(from).append("\x1f").append(to);
  seed.append("\x1f").append(std::to_string(now));
  const std::string trigger_id = hex(hash_key(seed).value());
  const PropDraft props[] = {
      {"from", PropValue::of_string(from)},
      {"to", PropValue::of_string(to)},
      {"trigger_id", PropValue::of_string(trigger_id)},
  };
  EventDraft draft;
  draft.type = changed_;
  draft.time = EventTime(now);
  draft.props = props;
  k.stage = next;
  k.since = now;
  ctx.emit(draft);
}

void Lifecycle::on_query(uint32_t slot, EventTime /*now*/, boost::json::object& out) const {
  const PerKey& k = state_[slot];
  if (k.stage == Stage::kNone) return;
  out["lifecycle"] = stage_name(k.stage);
  out["lifecycle_since_ms"] = k.since;
}

Status Lifecycle::declare_features(FeatureCatalog& catalog) {
  using Changes = FeatureCatalog::Changes;
  // Every change of stage, on an event or a timer, is emitted after it is made: the "Lifecycle
  // Changed" that then passes the later operators is the event that changes the feature.
  Status s = catalog.add("lifecycle", FeatureValue::Kind::kString,
                         [this](uint32_t slot, EventTime) {
                           if (slot >= state_.size() || state_[slot].stage == Stage::kNone)
                             return FeatureValue::missing();
                           return FeatureValue::of_string(stage_name(state_[slot].stage));
                         },
                         Changes::kWithItsEvents, {changed_});
  if (!s) return s;
  std::vector<EventType> orders;
  for (size_t id = 1; id < roles_.size(); ++id) {
    if (roles_[id] == Role::kOrder) orders.emplace_back(static_cast<uint16_t>(id));
  }
  return catalog.add(
      "lifecycle.orders", FeatureValue::Kind::kNumber,
      [this](uint32_t slot, EventTime) {
        if (slot >= state_.size()) return FeatureValue::missing();
        return FeatureValue::of_number(state_[slot].orders);
      },
      Changes::kWithItsEvents, std::move(orders));
}

Lifecycle::StateBytes Lifecycle::state_bytes() const {
  return {state_.size() * sizeof(PerKey) + views_.size() * sizeof(uint32_t),
          state_.capacity() * sizeof(PerKey) + views_.capacity() * sizeof(uint32_t)};
}

void Lifecycle::snapshot(StateWriter& out) const {
  out.put<uint32_t>(kSnapshotVersion);
  out.put<uint32_t>(consideration_views_);
  out.put<uint64_t>(state_.size());
  for (uint32_t slot = 0; slot < state_.size(); ++slot)
    write_key(out, slot);
}

Status Lifecycle::restore(StateReader& in, uint32_t slot_count) {
  const auto version = in.get<uint32_t>();
  const auto views = in.get<uint32_t>();
  const auto n = in.get<uint64_t>();
  if (!in.ok()) return {Errc::kCorrupt, "lifecycle state is truncated"};
  if (version != kSnapshotVersion) {
    return {Errc::kCorrupt, "lifecycle state has version " + std::to_string(version)};
  }
  if (views != consideration_views_) {
    return {Errc::kCorrupt, "lifecycle state was written with consideration_views " +
                                std::to_string(views) + ", the topology says " +
                                std::to_string(consideration_views_)};
  }
  if (n != slot_count) {
    return {Errc::kCorrupt, "lifecycle state holds " + std::to_string(n) + " keys, expected " +
                                std::to_string(slot_count)};
  }
  std::vector<PerKey> state(n);
  std::vector<uint32_t> seen(n * consideration_views_, 0);
  for (size_t slot = 0; slot < n; ++slot) {
    if (Status s = read_key(in, state[slot], seen.data() + slot * consideration_views_); !s) {
      return s;
    }
  }
  state_ = std::move(state);
  views_ = std::move(seen);
  return {};
}

void Lifecycle::write_key(StateWriter& out, uint32_t slot) const {
  const PerKey& k = state_[slot];
  out.put<int64_t>(k.since);
  out.put<int64_t>(k.last_activity);
  out.put<int64_t>(k.last_order);
  out.put<uint32_t>(k.orders);
  out.put<uint8_t>(static_cast<uint8_t>(k.stage));
  out.put<uint8_t>(k.distinct_views);
  out.put<uint8_t>(k.carted ? 1 : 0);
  for (uint32_t i = 0; i < k.distinct_views; ++i) {
    out.put<uint32_t>(views_[size_t{slot} * consideration_views_ + i]);
  }
}

Status Lifecycle::read_key(StateReader& in, PerKey& k, uint32_t* seen) const {
  k.since = in.get<int64_t>();
  k.last_activity = in.get<int64_t>();
  k.last_order = in.get<int64_t>();
  k.orders = in.get<uint32_t>();
  const auto stage = in.get<uint8_t>();
  k.distinct_views = in.get<uint8_t>();
  k.carted = in.get<uint8_t>() != 0;
  if (!in.ok()) return {Errc::kCorrupt, "lifecycle state is truncated"};
  if (stage > static_cast<uint8_t>(Stage::kDormant) || k.distinct_views > consideration_views_) {
    return {Errc::kCorrupt, "lifecycle state holds an impossible stage"};
  }
  k.stage = static_cast<Stage>(stage);
  for (uint32_t i = 0; i < k.distinct_views; ++i)
    seen[i] = in.get<uint32_t>();
  if (!in.ok()) return {Errc::kCorrupt, "lifecycle state is truncated"};
  return {};
}

void Lifecycle::move_key_out(StateWriter& out, Context& ctx) {
  const uint32_t slot = ctx.slot();
  out.put<uint32_t>(kMoveFormat);
  write_key(out, slot);
  // The key goes back to "none" silently: it is the same customer, who changed no stage.
  state_[slot] = PerKey{};
  std::fill_n(views_.begin() + static_cast<ptrdiff_t>(size_t{slot} * consideration_views_),
              consideration_views_, 0);
}

Status Lifecycle::merge_key_in(StateReader& in, Context& ctx) {
  const auto format = in.get<uint32_t>();
  if (!in.ok()) return {Errc::kCorrupt, "a moved lifecycle is truncated"};
  if (format != kMoveFormat) {
    return {Errc::kCorrupt, "a moved lifecycle has format " + std::to_string(format)};
  }
  PerKey moved;
  std::array<uint32_t, kMaxConsiderationViews> seen{};
  if (Status s = read_key(in, moved, seen.data()); !s) return s;
  const uint32_t slot = ctx.slot();
  PerKey& k = state_[slot];
  const PerKey before = k;
  k.last_activity = std::max(k.last_activity, moved.last_activity);
  k.last_order = std::max(k.last_order, moved.last_order);
  k.orders += std::min(moved.orders, UINT32_MAX - k.orders);
  k.carted = k.carted || moved.carted;
  for (uint32_t i = 0; i < moved.distinct_views; ++i)
    record_view_hash(slot, k, seen[i]);
  merge_stage(k, moved, ctx);
  rearm_purchase(before, k, ctx);
  int64_t now = std::max(ctx.watermark().value(), k.last_activity);
  if (k.stage != Stage::kNone) now = std::max(now, k.since);
  transition(k, now, ctx);
  if (active(k.stage) && !active(before.stage)) arm_dormancy(k, ctx);
  return {};
}

void Lifecycle::merge_stage(PerKey& k, const PerKey& moved, Context& ctx) const {
  if (moved.stage == Stage::kNone) return;
  if (k.stage == Stage::kNone) {
    // The surviving key takes over the stage the moved key's history earned, when it earned it.
    enter(k, moved.stage, moved.since, ctx);
    return;
  }
  if (k.stage != moved.stage) return;
  // Both were in the stage: facts that accumulate reached it at the earlier entry, while going
  // dormant waits for the later of the two last activities.
  k.since =
      k.stage == Stage::kDormant ? std::max(k.since, moved.since) : std::min(k.since, moved.since);
}

}  // namespace eddy
