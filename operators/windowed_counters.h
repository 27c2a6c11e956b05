#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "runtime/operator.h"
#include "runtime/operator_registry.h"

namespace eddy {

// Named sliding and tumbling counts and sums per customer over event time, declared in the
// topology ("viewed product pages more than 3 times in 7 days", "revenue in the last 90 days",
// "opened an email and did not click it").
//
// Config: {"counters": [ {counter}, ... ]}, each counter an object with
//   "name"       required; letters, digits and '_' (the feature is "counters.<name>")
//   "kind"       "sliding" (default), "tumbling" or "opens_without_click"
//   "type"       the event type counted; required except for opens_without_click, where it
//                defaults to "Email Opened"
//   "click_type" opens_without_click only; default "Email Link Clicked"
//   "window_ms"  required, at least 1000
//   "aggregate"  "count" (default), "sum" (of the event's amount, exact to the cent) or
//                "max_per_item" (the most events of any single item, e.g. product, in the window)
//   "panes"      sliding and opens_without_click: how many panes the window is cut into (default
//                28: 6 h panes for 7 days); a pane is at least one second wide
//   "max_items"  max_per_item and opens_without_click: how many products or campaigns are tracked
//                per customer (default 32); when one more arrives the least recently seen (newest
//                event time, at pane granularity) is forgotten
//
// Time. "now" is the watermark: ctx.watermark() for an arriving event, the stage watermark a
// feature getter is given, and for a profile query the newest watermark this instance has seen.
// Before the first watermark every stored event counts (a tumbling counter reports its newest
// window).
//
// Sliding windows are bucketed into panes of width ceil(window_ms / panes), aligned to the epoch.
// The value is the sum of the panes that overlap (now - window_ms, now]: exact at pane
// granularity, so an event counts from its arrival until the window has left its whole pane, up to
// one pane width longer than an exact per-event window (at most 6 h on a 7-day window with the
// default panes). Events ahead of the watermark (it trails the newest events by the source's
// out-of-orderness) count at once, so that a rule evaluated on an event sees that event.
// Tumbling windows count the aligned window [k * window_ms, (k + 1) * window_ms) that holds now;
// an event of a later window waits until the watermark enters it.
//
// Late and out-of-order events. The operator takes every event (LatenessPolicy::kDeliver) and
// counts each one whose pane the window still covers, however late: an order from 200 days ago
// that arrives today counts in a 365-day window, so a history import sorted by customer gives the
// same counters as the same events in time order. An event whose pane the window has already left
// (or, while the watermark trails far behind, that is older than the window measured from the
// customer's newest event of that counter) counts nowhere and goes to the "outside_window" side
// output, once per event. A max_per_item or opens_without_click event of an item older than every
// tracked item, when max_items are tracked, goes to "items_overflow". Events the operator cannot
// use are rejected with a reason: "time_out_of_range" (before 1970 or after 2106), "invalid_amount"
// (not finite, or above 10^13), "negative_amount", "missing_item", "missing_campaign_id". A
// rejection by one counter does not keep the event from the others, and every event passes on.
//
// opens_without_click counts the opens (events of "type") in the window that no click (events of
// "click_type") on the same campaign followed within window_ms; the campaign is the event's item,
// else its "campaign_id" property. Both are placed by pane, so a click in the same pane as an open
// counts as following it. Out-of-order clicks that arrive before their open still cancel it.
//
// Memory. A dense ring of 28 32-bit panes is 112 bytes per counter, 560 for five, most of them
// zero for a typical customer. The ring is therefore kept sparse: per customer and counter only
// the panes that hold events, in pane order, as records of 32-bit words (pane index, [item hash,]
// value) in one arena per instance, in blocks of 1, 2, 3, 4, 6, 8, ... records reused by size.
// A counter a customer never triggered costs its 6-byte handle; a record is 8 bytes (count) or
// 12 (sum, max_per_item, opens_without_click). Pruning keeps at most the panes of one window
// (times max_items for the per-item kinds), so a customer's memory is bounded however many events
// arrive: the five counters of the issue take about 110 bytes per customer on a month of shop
// traffic (bench/operators/windowed_counters_bench.cc). Counts are 32-bit and saturate. Sums are
// int64 cents, amounts rounded to the nearest cent, so they stay exact (a float sum loses cents
// above $167,772). Item and campaign ids are kept as 32-bit hashes: two of one customer's 32
// tracked products collide with probability about 1e-7.
//
// Merging (identity resolution): the moved key's records join the surviving key's pane by pane,
// per counter: records of one pane (and item or campaign) add, counts and sums saturating as
// they do per event; an opens_without_click record adds its opens and keeps a click from either
// side, so a click of one key cancels the other key's open of that campaign. The merged panes are
// then pruned as an event would prune them (panes the window has left at the watermark, and panes
// too far behind the newest one), and the per-item kinds forget the least recently seen items
// beyond max_items. Where the per-event bound forgot an item that came back later, the merge may
// keep more of its history than one key would have: the state cannot tell. The operator sets no
// timers, so there are none to re-arm. Bad or truncated input is refused before anything changes.
class WindowedCounters final : public Operator {
 public:
  enum class Kind : uint8_t { kSliding, kTumbling, kOpensWithoutClick };
  enum class Aggregate : uint8_t { kCount, kSum, kMaxPerItem };

  struct Counter {
    std::string name;
    Kind kind = Kind::kSliding;
    Aggregate aggregate = Aggregate::kCount;
    EventType type;
    EventType click_type;  // kOpensWithoutClick only
    int64_t window_ms = 0;
    int64_t pane_ms = 0;
    uint32_t panes = 0;
    // How many panes before the newest one may still overlap a window that holds the newest.
    uint32_t span = 0;
    uint32_t max_items = 0;
    uint32_t width = 0;  // 32-bit words per record
    bool by_item = false;
  };

  static Result<std::unique_ptr<Operator>> create(const OperatorArgs& args);

  void on_new_slot(uint32_t slot) override;
  Flow on_event(const EventRef& event, Context& ctx) override;
  void snapshot(StateWriter& out) const override;
  Status restore(StateReader& in, uint32_t slot_count) override;
  void on_query(uint32_t slot, EventTime now, boost::json::object& out) const override;
  LatenessPolicy lateness_policy() const override { return LatenessPolicy::kDeliver; }
  Status declare_features(FeatureCatalog& catalog) override;
  void on_watermark(EventTime watermark, KeyVisitor& keys) override;
  void move_key_out(StateWriter& out, Context& ctx) override;
  Status merge_key_in(StateReader& in, Context& ctx) override;

  const std::vector<Counter>& counters() const { return counters_; }
  // Counter `index` of the key in `slot` as of `now`: a count, or a sum in currency units.
  double value(uint32_t slot, size_t index, EventTime now) const;
  // Bytes of keyed state, for the benchmarks' bytes-per-key figures: what is in use, and what the
  // vectors hold (capacity, which includes their growth slack and freed blocks).
  struct StateBytes {
    size_t used = 0;
    size_t capacity = 0;
  };
  StateBytes state_bytes() const;

 private:
  // What one counter made of one event.
  enum class Outcome : uint8_t {
    kIgnored,
    kCounted,
    kOutsideWindow,
    kItemsOverflow,
    kRejected,
  };
  struct Applied {
    Outcome outcome = Outcome::kIgnored;
    std::string_view reason;
  };

  // Blocks of records in one vector of words. A block holds 1, 2, 3, 4, 6, 8, 12, 16, ... records
  // (size classes 1.5x apart, so at most a third is slack); freed blocks are reused by class and
  // record width.
  class Arena {
   public:
    static constexpr uint32_t kClasses = 33;  // enough for 65535 records
    static constexpr uint32_t kWidths = 4;
    static uint32_t class_for(uint32_t records);
    static uint32_t capacity(uint32_t size_class);
    uint32_t allocate(uint32_t size_class, uint32_t width);
    void release(uint32_t offset, uint32_t size_class, uint32_t width);
    uint32_t* at(uint32_t offset) { return words_.data() + offset; }
    const uint32_t* at(uint32_t offset) const { return words_.data() + offset; }
    StateBytes bytes() const;
    void clear();

   private:
    std::vector<uint32_t> words_;
    std::array<std::vector<uint32_t>, kClasses * kWidths> free_;
    size_t free_words_ = 0;
  };

  // The event types a counter counts (reads is true for them and no other).
  static std::vector<EventType> read_types(const Counter& c);
  static bool reads(const Counter& c, EventType type) {
    return type == c.type || (c.kind == Kind::kOpensWithoutClick && type == c.click_type);
  }
  Applied apply(size_t index, const EventRef& event, uint32_t slot, EventTime now);
  // Adds `value` to the record (pane, item) of the cell, inserting it in order when missing.
  void add(size_t cell, const Counter& c, uint32_t pane, uint32_t item, int64_t value);
  // Drops the records of panes before `keep_from`.
  void prune(size_t cell, const Counter& c, int64_t keep_from);
  // Forgets one item when more than max_items are tracked; false when that was `item` itself.
  bool bound_items(size_t cell, const Counter& c, uint32_t item);
  void erase_item(size_t cell, const Counter& c, uint32_t item);
  // Resizes the cell's block for `records` records, keeping the first ones.
  void resize(size_t cell, const Counter& c, uint32_t records);
  // The counters' configuration, checked on reading so that records are never read under another.
  void write_layout(StateWriter& out) const;
  Status check_layout(StateReader& in) const;
  void write_cell(StateWriter& out, size_t cell) const;
  void merge_cell(size_t cell, const Counter& c, const std::vector<uint32_t>& incoming,
                  const Context& ctx);
  uint32_t* records(size_t cell) { return arena_.at(offsets_[cell]); }
  const uint32_t* records(size_t cell) const { return arena_.at(offsets_[cell]); }
  size_t cell(uint32_t slot, size_t index) const { return size_t{slot} * counters_.size() + index; }

  std::vector<Counter> counters_;
  // Per (slot, counter), slot-major: where the records are and how many.
  std::vector<uint32_t> offsets_;
  std::vector<uint16_t> sizes_;
  Arena arena_;
  EventTime watermark_ = kMinEventTime;
};

}  // namespace eddy
