#pragma once

#include <map>
#include <memory>
#include <string_view>
#include <vector>

#include "runtime/operator.h"
#include "runtime/operator_registry.h"

namespace eddy {

// Recency, frequency and monetary value per customer over a look-back window, with 1-5 scores by
// population quintiles and the named RFM segment (see RFM.md in the shared project folder).
//
// - frequency counts the customer's "Order Completed" events with time in (now - lookback, now];
//   monetary sums their amount (revenue, else total; docs/event-model.md); recency is whole days
//   since the last order. "now" is the watermark. Orders leave the window through event-time
//   timers, so frequency and monetary fall as time passes without new orders.
// - Scores compare a customer with everyone who has an order in the window, over all key groups:
//   score = 1 + floor(5 * below / N), where N is that population and `below` counts those with a
//   strictly lower frequency (f), lower monetary value (m) or an older last-order day (r). A tied
//   group therefore gets the score of its lowest member's rank: ties never lift anyone, so when
//   most customers have exactly one order they all get f = 1. Monetary values are compared in
//   buckets 1% wide (money_bucket), so values within about 1% of each other tie.
// - The population is kept as histograms per key group, updated as orders come and go, and merged
//   over all key groups once per epoch of event time (settings.global_aggregate_interval_ms,
//   default a minute) through the runtime's global aggregates, identically on every worker.
// - A customer with no order in the window has r = f = m = 0 and no named segment.
// - Late orders count as long as the window still covers them (a history import sorted by
//   customer gives the same result as one sorted by time); orders before the window are counted on
//   the "outside_window" side output. A negative or non-finite revenue is rejected.
// - Merging (identity resolution): the moved key's orders in the window join the surviving key's
//   as one order history, by time (frequency and monetary add, recency is the later last order),
//   keeping the most recent max_orders_per_key and dropping those the window has left at the
//   watermark. The population histograms move with them: the old key leaves its counts, the
//   surviving key's are recounted, so scores come from the quintiles as before (at the next merge
//   of the global aggregate). The surviving key's expiry timer is set for its oldest order. Bad or
//   truncated input is refused before anything changes.
//
// Config: {"lookback_ms": 31536000000, "order_type": "Order Completed", "max_orders_per_key": 1000}
class Rfm final : public Operator {
 public:
  struct Scores {
    int r = 0, f = 0, m = 0;
  };

  static Result<std::unique_ptr<Operator>> create(const OperatorArgs& args);
  // The 1%-wide bucket a monetary value in cents falls into; equal buckets tie.
  static int32_t money_bucket(int64_t cents);
  // The named segment for scores r and f (1-5), or empty for 0.
  static std::string_view segment_name(int r, int f);

  void on_new_slot(uint32_t slot) override;
  Flow on_event(const EventRef& event, Context& ctx) override;
  void on_timer(const TimerFiring& timer, Context& ctx) override;
  void move_key_out(StateWriter& out, Context& ctx) override;
  Status merge_key_in(StateReader& in, Context& ctx) override;
  void snapshot(StateWriter& out) const override;
  Status restore(StateReader& in, uint32_t slot_count) override;
  void on_query(uint32_t slot, EventTime now, boost::json::object& out) const override;
  Status declare_features(FeatureCatalog& catalog) override;
  LatenessPolicy lateness_policy() const override { return LatenessPolicy::kDeliver; }
  bool aggregates_globally() const override { return true; }
  std::unique_ptr<GlobalAggregate> local_aggregate() const override;
  void on_global_aggregate(std::shared_ptr<const GlobalAggregate> merged,
                           EventTime watermark) override;

  class Population;
  class ScoreTable;

 private:
  struct Order {
    int64_t time_ms;
    int64_t cents;
  };
  struct PerKey {
    std::vector<Order> orders;  // in the window, by time
    int64_t cents = 0;          // sum over `orders`
    // What this key currently adds to the population histograms, so it can be taken back out.
    bool counted = false;
    int64_t counted_day = 0;
    uint32_t counted_frequency = 0;
    int32_t counted_bucket = 0;
  };

  void recount(uint32_t slot);
  void expire(uint32_t slot, EventTime now);
  void arm_expiry(uint32_t slot, Context& ctx);
  Scores scores(uint32_t slot) const;
  Status read_moved_orders(StateReader& in, std::vector<Order>& out) const;

  int64_t lookback_ms_ = 365 * kMillisPerDay;
  size_t max_orders_ = 1000;
  EventType order_type_;
  std::vector<PerKey> keys_;
  std::unique_ptr<Population> population_;   // this key group's histograms
  std::shared_ptr<const ScoreTable> table_;  // the latest merge over all key groups
};

}  // namespace eddy
