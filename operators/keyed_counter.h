#pragma once

#include <vector>

#include "runtime/operator.h"
#include "runtime/operator_registry.h"

namespace eddy {

// Per key: how many events of the configured types were seen, the sum of their amounts and the
// newest event time. The simplest keyed aggregate, and the yardstick the runtime is measured with.
//
// Config: {"types": ["Order Completed", ...]} (absent or empty: every event), "label": the name
// under which on_query reports (default: "count").
class KeyedCounter final : public Operator {
 public:
  static Result<std::unique_ptr<Operator>> create(const OperatorArgs& args);

  void on_new_slot(uint32_t slot) override;
  void prefetch(uint32_t slot) const override { __builtin_prefetch(&state_[slot], 1); }
  Flow on_event(const EventRef& event, Context& ctx) override;
  void snapshot(StateWriter& out) const override;
  Status restore(StateReader& in, uint32_t slot_count) override;
  void on_query(uint32_t slot, EventTime now, boost::json::object& out) const override;
  // A late event still counts: the counter has no window that could have closed.
  LatenessPolicy lateness_policy() const override { return LatenessPolicy::kDeliver; }
  // "<label>.count", "<label>.sum" and "<label>.last_time_ms" (missing before the first event).
  Status declare_features(FeatureCatalog& catalog) override;
  // Merging adds counts and sums and keeps the newer last time.
  void move_key_out(StateWriter& out, Context& ctx) override;
  Status merge_key_in(StateReader& in, Context& ctx) override;

 private:
  struct PerKey {
    uint64_t count = 0;
    double sum = 0;
    int64_t last_time = INT64_MIN;
  };

  std::vector<EventType> types_;
  std::string label_ = "count";
  std::vector<PerKey> state_;
};

}  // namespace eddy
