#pragma once

#include <optional>
#include <string>
#include <vector>

#include "operators/segment_rule.h"
#include "runtime/key_slots.h"
#include "runtime/operator.h"
#include "runtime/operator_registry.h"

namespace eddy {

// Live segment membership: declarative rules over the profile's features, with an enter rule, an
// exit rule and a minimum dwell so that membership does not flap around a threshold.
//
// - A key enters when it is not a member and `enter` holds; a member exits when `exit` holds (by
//   default `not (enter)`) and it has been a member for at least `min_dwell_ms`. A member whose
//   exit rule starts to hold during its dwell leaves when the dwell ends, if the rule still holds.
// - A key's rules are checked after each of its events that can change what they read (put this
//   operator last in the stage, after the operators whose features it reads; a feature names the
//   event types that change it, FeatureCatalog::Feature::changed_by). Rules that read what changes
//   without the key's events (days_since(...); rfm.*, whose scores move with everyone's orders;
//   counters.*, whose windows slide) are also re-checked for every key each `sweep_interval_ms` of
//   event time (an hour by default), so that an idle customer's membership follows too. Each key
//   group sweeps at its own point of the interval, so that a worker's groups do not all stop it
//   at once.
// - Segments come from the config and, at run time, from commands:
//     {"action":"put","id":"high_value","enter":"rfm.m >= 4","exit":"rfm.m <=
//     2","min_dwell_ms":3600000}
//     {"action":"delete","id":"high_value"}
//   A new or changed segment is back-filled over every key at once; a deleted one makes all its
//   members exit. Putting an unchanged definition does nothing.
// - Changes are emitted as "Segment Entered" / "Segment Exited" events with props "segment",
//   "reason" and a deterministic "trigger_id".
// - Merging (identity resolution): the key that goes away exits every segment it was in, at the
//   watermark and whatever its dwell, and the surviving key's membership is then re-checked at the
//   watermark against the merged features (the operators before this one in the stage have merged
//   theirs), entering and exiting as after an event, dwell included. These changes carry the
//   reason "identity_merge". Nothing is carried over: membership follows from the features. An
//   event that an earlier operator emits while merging (a lifecycle change) reaches this operator
//   first, like any event, and the changes it makes carry "event". Bad or truncated input is
//   refused before anything changes.
//
// Config: {"segments":[{...definition...}], "max_segments":256, "sweep_interval_ms":3600000}.
class Segments final : public Operator {
 public:
  struct Definition {
    std::string id;
    std::string enter;
    std::string exit;  // empty: not (enter)
    int64_t min_dwell_ms = 0;
    bool operator==(const Definition&) const = default;
    // As the REST API shows it and a checkpoint's manifest lists it.
    boost::json::object to_json() const;
  };
  struct Member {
    KeyHash hash;
    std::string key;
  };

  static Result<std::unique_ptr<Operator>> create(const OperatorArgs& args);
  // Checks a definition's shape (not its rules, which need a feature catalog).
  static Result<Definition> parse_definition(const boost::json::object& json);

  void on_new_slot(uint32_t slot) override;
  Flow on_event(const EventRef& event, Context& ctx) override;
  void on_timer(const TimerFiring& timer, Context& ctx) override;
  void on_watermark(EventTime watermark, KeyVisitor& keys) override;
  Status on_command(const boost::json::object& command, KeyVisitor& keys) override;
  Status bind_features(const FeatureCatalog& catalog) override;
  void snapshot(StateWriter& out) const override;
  Status restore(StateReader& in, uint32_t slot_count) override;
  void move_key_out(StateWriter& out, Context& ctx) override;
  Status merge_key_in(StateReader& in, Context& ctx) override;
  void on_query(uint32_t slot, EventTime now, boost::json::object& out) const override;
  // Membership follows features, whatever the lateness of the event that changed them.
  LatenessPolicy lateness_policy() const override { return LatenessPolicy::kDeliver; }

  // For queries over all keys: the live definitions with their member counts in this instance,
  // and the members of one segment whose key hash is above `after`, at most `limit`, by hash.
  std::vector<std::pair<Definition, uint64_t>> definitions() const;
  std::optional<std::vector<Member>> members(std::string_view id, const KeySlots& slots,
                                             uint64_t after, size_t limit) const;

 private:
  struct Segment {
    Definition def;
    std::optional<SegmentRule> enter;
    std::optional<SegmentRule> exit;
    uint32_t generation = 0;
    bool live = false;
    uint64_t members = 0;
  };

  Status put(const Definition& def, KeyVisitor* backfill);
  Status remove(std::string_view id, KeyVisitor& keys);
  std::optional<size_t> find(std::string_view id) const;
  // Applies enter/exit to one key for one segment; `reason` goes on the emitted event.
  void step(size_t index, Context& ctx, EventTime now, std::string_view reason);
  // step() for every live segment.
  void step_all(Context& ctx, EventTime now, std::string_view reason);
  // The first time after `watermark` at which this instance sweeps.
  int64_t next_sweep_after(int64_t watermark) const;
  void emit_change(size_t index, Context& ctx, EventTime now, bool entered,
                   std::string_view reason);
  void grow_words(size_t words);
  // Fills by_type_ from the live segments' rules.
  void index_by_type();
  // Whether an event of `type` can change what the segment's rules read.
  bool read_by(const Segment& seg, EventType type) const;

  bool bit(const std::vector<uint64_t>& bits, uint32_t slot, size_t index) const {
    return (bits[slot * words_ + index / 64] >> (index % 64)) & 1;
  }
  void set_bit(std::vector<uint64_t>& bits, uint32_t slot, size_t index, bool on) {
    uint64_t& w = bits[slot * words_ + index / 64];
    const uint64_t mask = uint64_t{1} << (index % 64);
    w = on ? (w | mask) : (w & ~mask);
  }

  std::vector<Definition> configured_;
  size_t max_segments_ = 256;
  int64_t sweep_interval_ms_ = kMillisPerHour;
  int64_t sweep_phase_ms_ = 0;  // where in each interval this instance sweeps
  EventType entered_type_;
  EventType exited_type_;
  const FeatureCatalog* catalog_ = nullptr;

  std::vector<Segment> segments_;
  // By event type: the live segments whose rules read a feature that such an event can change.
  // An event re-checks only those; most events (a product view) touch few features.
  std::vector<std::vector<uint32_t>> by_type_;
  size_t type_count_ = 0;  // event type ids are below this
  size_t words_ = 1;       // 64-bit words per key in each bitset
  uint32_t slots_ = 0;
  std::vector<uint64_t> member_;    // [slot * words_ + word]
  std::vector<uint64_t> dwelling_;  // members still inside their minimum dwell
  int64_t next_sweep_ = INT64_MIN;
};

}  // namespace eddy
