#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/operator.h"
#include "runtime/operator_registry.h"

namespace eddy {

// Cart abandonment: a cart that nobody touched for `timeout_ms` after its last change, and that was
// neither bought nor emptied, emits exactly one "Cart Abandoned" event with its contents.
//
// Config (every key optional; unknown keys are an error):
//   "timeout_ms"   > 0, default 24 h: how long after the cart's last change it counts as abandoned.
//   "max_products" 1..1000, default 50: distinct products tracked per cart. Beyond it a new product
//                  still counts in "units" and "value" but its id is not kept, so it is missing
//                  from "products" and "items"; removing such a product takes its units back out.
// The topology must accept "Product Added", "Product Removed", "Order Completed" and "Cart
// Abandoned" (a topology that could not see orders would remind buyers of what they bought).
//
// Per key a cart holds a quantity and a price per product (item(), quantity(), amount() of the
// product events). "Product Added" opens a cart or adds to it; "Product Removed" takes quantity out
// (a product not in the cart changes nothing but still counts as activity); every add or remove
// re-arms the abandonment timer at change time + timeout. "Order Completed" closes the cart, and so
// does a remove that empties it. When the timer fires the cart is emitted and closed; the next add
// opens a new cart. A product event with no product id, a quantity <= 0 (or above 10^9) or a
// negative or non-finite price is rejected and changes nothing.
//
// "Cart Abandoned" is emitted at the abandonment time (last change + timeout), not at the last
// change, which is a whole timeout behind the watermark by then. Its amount is the cart's value and
// its quantity the units; props: "items" (distinct tracked products), "units", "value", "products"
// (tracked product ids, sorted, comma-separated, at most 20), "cart_started_ms", "last_change_ms"
// and "trigger_id" (hex xxHash3 of the key, the cart's first and last change times: a replay yields
// the same id).
//
// Time. The operator keeps, per key, a "settled through" time: the newest order time, the time of
// the newest remove that emptied the cart or found none open, or the abandonment time minus 1 ms.
// A change at or before it belongs to a cart that was already bought, emptied or reported, so it
// is ignored; that is what makes a reported abandonment final. Out-of-order input within the
// watermark's bounds:
//  - a change older than the cart's last change adds its contents but does not move the timer, and
//    an older add moves the cart's start back;
//  - a remove that arrives before the add it undoes finds no cart and settles the time up to it,
//    so the add that follows opens nothing: a reminder is missed rather than sent for a cart the
//    customer has emptied; a remove older than the open cart's start leaves that cart alone;
//  - an order at or after the cart's start closes the whole cart, even when changes newer than the
//    order arrived before it: quantities are kept per product, not per change, and a missed
//    reminder costs less than reminding a customer of what they just bought;
//  - an order older than the cart's start is an earlier purchase and leaves the cart open.
// Late input (behind the watermark minus the allowed lateness) goes to the runtime's "late" side
// output and never reaches the operator (LatenessPolicy::kSideOutput), so a late add can neither
// re-open nor re-fire a cart, and a late order can neither un-send a reported abandonment nor
// cancel a pending one. The last point is the price of keeping late accounting in the runtime: set
// the allowed lateness to cover how late orders can arrive (payment webhooks), since an order
// inside it is delivered and cancels the cart. Events inside the allowed lateness but behind the
// watermark are handled as out-of-order input above, the settled-through time keeping them from
// re-opening a cart whose abandonment was already emitted.
//
// Features: "cart.items", "cart.units", "cart.value" (numbers, 0 without an open cart),
// "cart.open". Profile: "cart": {"open", "items", "units", "value", "last_change_ms" (null before
// any change), "abandoned_count"}.
//
// Merging (identity resolution): the moved key's cart joins the surviving key's. Each side's
// settled-through time first settles the other side's open cart the way an order at that time
// would: a cart that started at or before it is closed without a report. What stays open merges:
// quantities per product add (the price of a product in both is that of the side whose last change
// is newer; products beyond max_products count untracked), the start is the earlier, the last
// change and the settled-through time the later, abandoned_count adds. The surviving key's timer
// is set again for the merged last change + timeout, so the merged cart is reported once, as the
// surviving key's, with the trigger id that the same history under that key would give. Bad or
// truncated input is refused before anything changes.
//
// State: 32 bytes per key, plus the open cart only while there is one (48 bytes, and 48 per product
// with an id of up to 15 bytes).
class CartAbandonment final : public Operator {
 public:
  static constexpr int64_t kDefaultTimeoutMs = 24 * kMillisPerHour;
  static constexpr uint32_t kDefaultMaxProducts = 50;
  static constexpr uint32_t kMaxMaxProducts = 1000;
  static constexpr int64_t kMaxQuantity = 1'000'000'000;
  static constexpr size_t kMaxListedProducts = 20;

  static Result<std::unique_ptr<Operator>> create(const OperatorArgs& args);

  void on_new_slot(uint32_t slot) override;
  Flow on_event(const EventRef& event, Context& ctx) override;
  void on_timer(const TimerFiring& timer, Context& ctx) override;
  void snapshot(StateWriter& out) const override;
  Status restore(StateReader& in, uint32_t slot_count) override;
  void on_query(uint32_t slot, EventTime now, boost::json::object& out) const override;
  void move_key_out(StateWriter& out, Context& ctx) override;
  Status merge_key_in(StateReader& in, Context& ctx) override;
  LatenessPolicy lateness_policy() const override { return LatenessPolicy::kSideOutput; }
  Status declare_features(FeatureCatalog& catalog) override;

  // Heap bytes held for keyed state (vector capacities and open carts), for the benchmark.
  size_t state_bytes() const;

 private:
  struct Line {
    std::string product;
    int64_t quantity = 0;
    double price = 0;
  };
  struct Cart {
    std::vector<Line> lines;  // sorted by product id
    int64_t started = 0;      // the cart's oldest change
    int64_t untracked_units = 0;
    double untracked_value = 0;
  };
  struct PerKey {
    int64_t last_change = INT64_MIN;  // newest change of the current or last cart
    int64_t settled_through = INT64_MIN;
    uint32_t abandoned = 0;
    std::unique_ptr<Cart> cart;  // null while no cart is open
  };
  // Every customer pays for this whether or not they ever shop; keep it small.
  static_assert(sizeof(PerKey) == 32);
  struct Totals {
    int64_t items = 0;
    int64_t units = 0;
    double value = 0;
  };

  bool valid_product_event(const EventRef& event, Context& ctx) const;
  void on_add(const EventRef& event, Context& ctx, PerKey& k);
  void on_remove(const EventRef& event, Context& ctx, PerKey& k);
  void on_order(const EventRef& event, Context& ctx, PerKey& k);
  // `reprice`: the price replaces that of a line already in the cart (it is the newer one).
  void add_to_cart(Cart& cart, std::string_view product, int64_t quantity, double price,
                   bool reprice) const;
  // Notes a change at `t` on an open cart: moves its start back or its timer forward.
  void touch(int64_t t, Context& ctx, PerKey& k);
  void close(Context& ctx, PerKey& k);
  void emit_abandoned(EventTime at, Context& ctx, const PerKey& k);
  int64_t due(const PerKey& k) const;
  static Totals totals(const PerKey& k);
  // One key's state, as snapshots and moved keys hold it.
  static void write_key(StateWriter& out, const PerKey& k);
  static Status read_key(StateReader& in, PerKey& k);
  // Closes the open cart, unreported, when `settled_through` covers its start.
  static void settle(PerKey& k, int64_t settled_through);
  void merge_cart(PerKey& k, PerKey& moved) const;

  int64_t timeout_ms_ = kDefaultTimeoutMs;
  uint32_t max_products_ = kDefaultMaxProducts;
  EventType added_;
  EventType removed_;
  EventType ordered_;
  EventType abandoned_;
  std::vector<PerKey> state_;
};

}  // namespace eddy
