#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/operator.h"
#include "runtime/operator_registry.h"

namespace eddy {

// A behavioural trigger declared as a condition on one numeric profile feature: it emits one
// "Trigger Fired" event each time the condition goes from false to true for a key, and re-arms
// when it goes back to false.
//
// Config:
//   "name"      required: [A-Za-z_][A-Za-z0-9_]*, unique in the stage ("browse_abandon").
//   "feature"   required: a number feature ("sessions.current.product_views").
//   "above" | "at_least"   exactly one: the condition is value > x, or value >= x.
//   "unless"    optional: a boolean feature; the condition is false while it is true
//               ("sessions.current.converted").
//   "marketing" required boolean: whether the message this trigger leads to is marketing (needs
//               the customer's marketing consent) or transactional; carried on the event so that
//               the outbound side can tell.
// The topology must accept "Trigger Fired". A feature the stage does not declare fails the build
// with "unknown feature '<path>'"; a feature of the wrong kind fails it too.
//
// The condition is evaluated after every event of the key that reaches this operator, so it belongs
// after the operators that maintain the features it reads (last in the chain). A feature that
// changes with time alone (a 7-day window that empties) is seen to change at the key's next event.
// A missing feature value (a key without sessions yet) makes the condition false.
//
// "Trigger Fired" carries the crossing event's time; props: "trigger" (the name), "value" (the
// feature's value), "marketing", "trigger_id" (hex xxHash3 of the key, the name, the crossing
// event's time and the key's crossing count: a replay yields the same id).
//
// Late events are delivered (LatenessPolicy::kDeliver): an operator before this one that took a
// late event may have moved a feature, and the crossing belongs to that event. Operators that left
// the event to the "late" side output changed nothing, so evaluating it finds no crossing.
//
// Merging (identity resolution): the fired counts add (every "Trigger Fired" either key sent stays
// counted, and later crossings get fresh ids), and the condition is re-evaluated at once on the
// merged features, so the trigger must come after the operators whose state it reads, as it does
// anyway. Already fired on either side and still holding: it stays fired and does not fire again
// for that crossing. Holding now but fired by neither (the two histories crossed only together):
// it fires at the merge, the event dated at the watermark; before the first watermark there is no
// date to give it, so it stays armed and fires at the key's next event if it still holds. Not
// holding: it re-arms. Bad or truncated input is refused before anything changes.
//
// Features: "triggers.<name>.active" (bool). Profile: "triggers": {"<name>": {"active", "fired"}},
// shared with the stage's other triggers. State: 5 bytes per key.
class ThresholdTrigger final : public Operator {
 public:
  static Result<std::unique_ptr<Operator>> create(const OperatorArgs& args);

  void on_new_slot(uint32_t slot) override;
  Flow on_event(const EventRef& event, Context& ctx) override;
  void snapshot(StateWriter& out) const override;
  Status restore(StateReader& in, uint32_t slot_count) override;
  void on_query(uint32_t slot, EventTime now, boost::json::object& out) const override;
  LatenessPolicy lateness_policy() const override { return LatenessPolicy::kDeliver; }
  Status declare_features(FeatureCatalog& catalog) override;
  Status bind_features(const FeatureCatalog& catalog) override;
  void move_key_out(StateWriter& out, Context& ctx) override;
  Status merge_key_in(StateReader& in, Context& ctx) override;

  // Heap bytes held for keyed state, for the benchmark.
  size_t state_bytes() const { return active_.capacity() + fired_.capacity() * sizeof(uint32_t); }

 private:
  enum class Comparison : uint8_t { kAbove, kAtLeast };

  // The feature's value when the condition holds for the key, nullopt when it does not.
  std::optional<double> holds(uint32_t slot, EventTime now) const;
  // Evaluates the condition for ctx's key and fires, dated `at`, on a crossing.
  void evaluate(EventTime at, bool was_active, Context& ctx);
  void fire(EventTime at, Context& ctx, double value);

  std::string name_;
  std::string feature_path_;
  std::string unless_path_;
  Comparison comparison_ = Comparison::kAbove;
  double threshold_ = 0;
  bool marketing_ = false;
  EventType fired_type_;
  FeatureCatalog::Getter feature_;
  FeatureCatalog::Getter unless_;  // empty without "unless"
  std::vector<uint8_t> active_;    // per slot: the condition held at the key's last event
  std::vector<uint32_t> fired_;    // per slot: how many times it went from false to true
};

}  // namespace eddy
