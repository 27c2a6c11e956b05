#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "runtime/operator.h"
#include "runtime/operator_registry.h"

namespace eddy {

// Each customer's lifecycle stage: awareness -> consideration -> purchase -> retention, and
// dormant when they go quiet. Every change is emitted as a "Lifecycle Changed" event (props
// "from", "to", "trigger_id"; the event time is when the stage was entered).
//
// Config (every key optional):
//   "consideration_views" distinct products viewed that make a customer considering (default 3,
//                         at most 16)
//   "purchase_window_ms"  how long one order keeps a customer in "purchase" (default 30 days)
//   "dormant_after_ms"    how long without activity makes a customer dormant (default 90 days)
//   "view_types"          product views (default ["Product Viewed"])
//   "cart_types"          add-to-cart events (default ["Product Added"])
//   "order_types"         orders (default ["Order Completed"])
//   "activity_types"      the events that show a customer is active (default: every type except
//                         the derived ones operators emit: "Session Ended", "Cart Abandoned",
//                         "Lifecycle Changed", "Trigger Fired", "Segment Entered", "Segment
//                         Exited"); the view, cart and order types are always activity
// A default type the topology does not accept is left out; a type named in the config must be
// accepted, and so must "Lifecycle Changed".
//
// The rules. The stage is a function of what the customer did and of the time `now`, evaluated
// in this order:
//   dormant        no activity for dormant_after_ms: now >= last activity + dormant_after_ms
//   retention      two or more orders (a repeat customer stays here until dormant)
//   purchase       exactly one order, placed less than purchase_window_ms ago
//   consideration  one order placed longer ago than that: a past buyer who has not bought again,
//                  told apart from prospects by "lifecycle.orders"; or no order yet but
//                  consideration_views distinct products viewed, or anything added to the cart
//   awareness      first seen, nothing more yet
// So "purchase" decays to "consideration" exactly purchase_window_ms after a single order (the
// marketer's "recent first-time buyer" is gone; the customer is again one we want to convert),
// and a dormant customer who comes back returns to the stage their whole history earns:
// retention with two or more orders, consideration after one order or after having considered
// before, else awareness. Nothing of the history is forgotten by going dormant.
//
// Time. An event is evaluated at now = max(its time, the watermark, the time the current stage
// was entered), so a late or imported event can never put a customer into a stage that has
// already expired (a 200-day-old order makes a one-time buyer "consideration", not "purchase"),
// and the entry times of successive stages never go backwards. Stages that change without input
// are event-time timers evaluated at their own time: the end of a single order's purchase window
// (set when the order arrives), and the dormancy deadline, one timer per active customer that
// activity pushes back lazily (when it fires early it is set again for the new deadline), so
// that an event costs no timer operations. One evaluation emits at most one change, straight to
// the stage now in force: a history import lands a customer in their current stage without
// replaying every intermediate one.
//
// Merging (identity resolution): the facts combine as one history would have them: the later last
// activity and last order, orders added, carted if either carted, the distinct products viewed
// united (up to consideration_views). The surviving key keeps its stage and entry time; when it had
// no stage it takes over the moved key's, emitting "none" -> that stage at the moved key's entry
// time, and when both were in the same stage the earlier entry counts (the later for dormant,
// which starts after the later last activity). The merged facts are then evaluated like an event
// at now = max(watermark, last activity, the stage's entry time), emitting at most one change,
// and the purchase-window and dormancy timers are set for the merged facts. The moved key goes
// back to no stage without an event. Bad or truncated input is refused before anything changes.
//
// The operator takes late events (LatenessPolicy::kDeliver): a late order still counts towards
// "lifecycle.orders". The key's first change is "from": "none".
class Lifecycle final : public Operator {
 public:
  enum class Stage : uint8_t { kNone, kAwareness, kConsideration, kPurchase, kRetention, kDormant };

  static Result<std::unique_ptr<Operator>> create(const OperatorArgs& args);
  static std::string_view stage_name(Stage stage);

  void on_new_slot(uint32_t slot) override;
  Flow on_event(const EventRef& event, Context& ctx) override;
  void on_timer(const TimerFiring& timer, Context& ctx) override;
  void snapshot(StateWriter& out) const override;
  Status restore(StateReader& in, uint32_t slot_count) override;
  void on_query(uint32_t slot, EventTime now, boost::json::object& out) const override;
  void move_key_out(StateWriter& out, Context& ctx) override;
  Status merge_key_in(StateReader& in, Context& ctx) override;
  LatenessPolicy lateness_policy() const override { return LatenessPolicy::kDeliver; }
  Status declare_features(FeatureCatalog& catalog) override;

  Stage stage(uint32_t slot) const { return state_[slot].stage; }
  // Bytes of keyed state, for the benchmarks' bytes-per-key figures: what is in use, and what the
  // vectors hold (capacity, which includes their growth slack).
  struct StateBytes {
    size_t used = 0;
    size_t capacity = 0;
  };
  StateBytes state_bytes() const;

 private:
  // What a customer's stage is computed from. 32 bytes, plus consideration_views product hashes.
  struct PerKey {
    int64_t since = 0;  // when the current stage was entered
    int64_t last_activity = INT64_MIN;
    int64_t last_order = INT64_MIN;
    uint32_t orders = 0;
    Stage stage = Stage::kNone;
    uint8_t distinct_views = 0;  // until consideration_views is reached
    bool carted = false;
  };
  enum class Role : uint8_t { kOther, kActivity, kView, kCart, kOrder };
  enum TimerTag : uint32_t { kDormantTimer = 0, kPurchaseTimer = 1 };

  Stage evaluate(const PerKey& k, int64_t now) const;
  // The instants at which the key's stage may change without input; INT64_MIN when none.
  int64_t dormant_due(const PerKey& k) const;
  int64_t purchase_due(const PerKey& k) const;
  static bool active(Stage stage);
  void arm_dormancy(const PerKey& k, Context& ctx) const;
  void rearm_purchase(const PerKey& before, const PerKey& after, Context& ctx) const;
  void transition(PerKey& k, int64_t now, Context& ctx) const;
  // Moves the key to `next` as of `now` and emits the change.
  void enter(PerKey& k, Stage next, int64_t now, Context& ctx) const;
  // The stage and entry time a merged key goes into its evaluation with.
  void merge_stage(PerKey& k, const PerKey& moved, Context& ctx) const;
  void record_view(uint32_t slot, PerKey& k, std::string_view item);
  void record_view_hash(uint32_t slot, PerKey& k, uint32_t hash);
  // One key's state, as snapshots and moved keys hold it; `seen` takes the product hashes.
  void write_key(StateWriter& out, uint32_t slot) const;
  Status read_key(StateReader& in, PerKey& k, uint32_t* seen) const;
  Role role(EventType type) const;

  uint32_t consideration_views_ = 3;
  int64_t purchase_window_ms_ = 30 * kMillisPerDay;
  int64_t dormant_after_ms_ = 90 * kMillisPerDay;
  EventType changed_;
  // Indexed by event type id: what the type means here.
  std::vector<Role> roles_;
  bool default_activity_ = true;
  std::vector<PerKey> state_;
  // consideration_views_ hashes per slot of the distinct products viewed so far.
  std::vector<uint32_t> views_;
};

}  // namespace eddy
