#pragma once

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "runtime/batch_builder.h"
#include "runtime/key_move.h"
#include "runtime/key_slots.h"
#include "runtime/operator.h"
#include "runtime/timer_service.h"
#include "runtime/topology.h"

namespace eddy {

// Where a stage instance sends what leaves it. Implemented by the worker that owns the instance.
class StageOutput {
 public:
  virtual ~StageOutput() = default;
  // An event that passed every operator of the stage.
  virtual void output(StageId stage, const EventRef& event) = 0;
  virtual void side_output(StageId stage, std::string_view name, const EventRef& event) = 0;
  virtual void rejected(StageId stage, std::string_view reason, const EventRef& event) = 0;
  // Identity resolution (Context::move_key_to). An output that cannot deliver moves says so, and
  // the state then stays with its key.
  virtual bool moves_keys() const { return false; }
  virtual void move_key(StageId /*stage*/, std::shared_ptr<const KeyMove> /*move*/) {}
  virtual void expect_key(StageId /*stage*/, KeyHash /*into*/, KeyHash /*from*/) {}
};

// Sends everything nowhere: for instances that exist to validate (the engine's probes) and for
// benchmarks that measure the operators alone.
class DiscardOutput final : public StageOutput {
 public:
  void output(StageId, const EventRef&) override {}
  void side_output(StageId, std::string_view, const EventRef&) override {}
  void rejected(StageId, std::string_view, const EventRef&) override {}
};

// One stage of a topology for one key group: its keys, its fused operators and their timers.
// Owned and called by exactly one worker thread.
class StageInstance {
 public:
  static Result<std::unique_ptr<StageInstance>> create(const TopologySpec& spec, StageId stage,
                                                       KeyGroup group, EventTime allowed_lateness);

  StageId stage() const { return stage_; }
  KeyGroup key_group() const { return group_; }
  const KeySlots& slots() const { return slots_; }
  // Timers that will fire (a scan: for tests and tools).
  size_t timer_count() const;
  // Timers waiting, those of state that has moved away included (what they cost in memory).
  size_t pending_timers() const { return timers_.size(); }

  // Runs an event through the stage's operators, in order. `watermark` is the stage's current
  // watermark on this worker.
  void on_event(const EventRef& event, EventTime watermark, StageOutput& out);
  // The same in two steps: find (or create) the key's slot and prefetch its state; later, handle
  // the event. Workers do the first step for a run of events before the second.
  uint32_t prepare(const EventRef& event);
  // Before prepare: start loading the key's bucket of the slot index.
  void prefetch_key(KeyHash hash) const { slots_.prefetch(hash); }
  void on_event(const EventRef& event, uint32_t slot, EventTime watermark, StageOutput& out);
  // Fires the timers due at the new watermark, then tells every operator the watermark moved.
  // Returns how many timers fired.
  size_t on_watermark(EventTime watermark, StageOutput& out);
  // Hands a run-time command to operator `op`.
  Status command(size_t op, const boost::json::object& command, EventTime watermark,
                 StageOutput& out);

  // Identity resolution (Operator::move_key_out): every operator's state of `key` as bytes for
  // merge_key_in, after which the instance forgets the key (its slot goes to a later new key);
  // nullopt for a key the instance does not know.
  std::optional<std::string> move_key_out(KeyHash key, EventTime watermark, StageOutput& out);
  // Merges bytes of move_key_out (from an instance of the same stage, any key group) into `key`,
  // which is created if new.
  Status merge_key_in(KeyHash hash, std::string_view key, std::string_view bytes,
                      EventTime watermark, StageOutput& out);

  // The answer of every operator about one key, merged into one object; nullopt for an unknown key.
  std::optional<boost::json::object> query(KeyHash key, EventTime now) const;
  // The same for a slot, whether or not a key holds it (tests check what a freed slot keeps).
  boost::json::object query_slot(uint32_t slot, EventTime now) const;
  // The merged on_lookup answers of the operators for one key; nullopt for a key never seen.
  std::optional<boost::json::object> lookup(KeyHash key, std::string_view arg) const;
  // Appends the keys some operator says match `arg` (Operator::key_matches), until `out` holds
  // `limit` keys.
  void find_keys(std::string_view arg, size_t limit, std::vector<std::string>& out) const;
  // Runs `fn` on every key of the instance (for scatter-gather queries over all keys).
  template <typename Fn>
  void for_each_key(Fn&& fn) const {
    for (uint32_t s = 0; s < slots_.size(); ++s) {
      if (slots_.is_live(s)) fn(s, slots_.key(s));
    }
  }
  const Operator& op(size_t i) const { return *ops_[i]; }
  Operator& mutable_op(size_t i) { return *ops_[i]; }
  size_t op_count() const { return ops_.size(); }
  const FeatureCatalog& features() const { return features_; }
  std::optional<size_t> find_operator(std::string_view name) const;

  void snapshot(StateWriter& out) const;
  Status restore(StateReader& in);

 private:
  class Ctx;
  class Visitor;

  StageInstance(const StageSpec& spec, StageId stage, KeyGroup group, EventTime allowed_lateness,
                std::vector<std::unique_ptr<Operator>> ops);
  Status wire_features();

  enum class Origin : uint8_t { kInput, kDerived };
  // Hands an event to operators [first, end) and then to the output.
  void run_chain(size_t first, const EventRef& event, uint32_t slot, EventTime watermark,
                 StageOutput& out, Origin origin);
  uint32_t slot_for(const EventRef& event);
  uint32_t slot_for(KeyHash hash, std::string_view key);

  const StageSpec& spec_;
  StageId stage_;
  KeyGroup group_;
  EventTime allowed_lateness_;
  std::vector<std::unique_ptr<Operator>> ops_;
  std::vector<LatenessPolicy> lateness_;  // per operator, read on every event
  FeatureCatalog features_;
  KeySlots slots_;
  std::vector<uint32_t> generations_;  // [slot]: see TimerService::Timer::generation
  TimerService timers_;
  // A move_key_to (or, with no `into`, an erase_key) asked for while an event was handled, done
  // once it has passed the stage.
  struct PendingMove {
    uint32_t slot;
    KeyHash key;
    std::string into;
  };
  void finish_event(StageOutput& out, EventTime watermark);
  std::optional<PendingMove> pending_move_;
  // Events operators emit while one input event is handled; cleared when it is done.
  BatchBuilder scratch_;
  int depth_ = 0;
};

}  // namespace eddy
