#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "runtime/barrier_tracker.h"
#include "runtime/global_aggregate.h"
#include "runtime/group_assembly.h"
#include "runtime/inbox.h"
#include "runtime/incremental_snapshot.h"
#include "runtime/settings.h"
#include "runtime/sink.h"
#include "runtime/stage_instance.h"
#include "runtime/topology.h"

namespace eddy {

// What all workers of an engine share. Immutable while the workers run, except for the inboxes and
// the barrier tracker, which are thread-safe.
struct Fabric {
  const TopologySpec* spec = nullptr;
  RuntimeSettings settings;
  uint32_t workers = 1;
  std::vector<std::unique_ptr<Inbox>> inboxes;
  // The sinks bound to each stage's sink specs, in the same order as StageSpec::sinks.
  std::vector<std::vector<Sink*>> stage_sinks;
  std::map<std::string, Sink*, std::less<>> side_sinks;
  BarrierTracker* barriers = nullptr;
  std::vector<std::unique_ptr<AggregateBoard>> boards;  // [stage]
};

// Counters of one worker, read through a task on the worker itself.
struct WorkerMetrics {
  uint64_t events_processed = 0;
  uint64_t events_to_sinks = 0;
  uint64_t timers_fired = 0;
  // Where a worker's time goes, to tell a busy worker from one that waits: CPU time of its thread,
  // time it slept for want of input or room, and time it waited for peers at a global aggregate.
  int64_t cpu_micros = 0;
  int64_t idle_micros = 0;
  int64_t exchange_wait_micros = 0;
  std::map<std::string, uint64_t, std::less<>> side_outputs;  // by side output name
  std::map<std::string, uint64_t, std::less<>> rejected;      // by reason
  std::vector<EventTime> watermarks;                          // by stage
  std::vector<int64_t> inbox_events;                          // by stage
  size_t keys = 0;
  size_t timers = 0;
};

// One thread that owns the key groups g with g mod W = w of every stage, and everything in them.
// It reacts only to messages in its inbox: event batches, watermarks, barriers, tasks and ends.
class Worker final : private StageOutput {
 public:
  Worker(WorkerId id, Fabric& fabric);
  ~Worker() override;

  Status init();
  void start();
  void join();

  WorkerId id() const { return id_; }
  Inbox& inbox() { return *fabric_.inboxes[id_.value()]; }

  // For tasks running on this worker: its stage instances and counters.
  StageInstance* instance(StageId stage, KeyGroup group) {
    return instances_[stage.value()][group.value()].get();
  }
  const std::vector<KeyGroup>& owned_groups() const { return owned_; }
  EventTime watermark(StageId stage) const { return watermark_[stage.value()]; }
  WorkerMetrics metrics() const;

  // Applies a run-time command to operator `op` of every key group of `stage` this worker owns.
  Status run_command(StageId stage, size_t op, const boost::json::object& command);

 private:
  // What this worker has for one destination worker of the next stage.
  struct Outbox {
    BatchBuilder building;
    std::deque<Message> pending;  // in send order; batches wait here while the target is full
  };

  // A barrier on its way into a later stage: which senders' copies have come in, and what those
  // senders sent after theirs, kept back (with its inbox room) until every copy is in. Then the
  // stage's state reflects exactly what every sender sent before the barrier: aligned barriers.
  struct Alignment {
    std::vector<bool> arrived;  // [sender]
    uint32_t count = 0;
    std::deque<Message> held;
  };

  void run();
  // Handles up to one pop of a stage's queue; false when it was empty.
  bool drain(StageId stage);
  // Handles a popped message, or keeps it back for an alignment; frees its inbox room once done.
  void consume(StageId stage, Message& m);
  bool parks(StageId stage, const Message& m) const;
  void handle(StageId stage, Message& m);
  // Takes a later stage's queued input aside, giving its room back, while this worker waits.
  void set_aside_input(StageId stage);
  // `watermark`: the stage's watermark to handle the events at, when not the current one (events
  // held for a merge are handled as of when they came).
  void handle_events(StageId stage, const EventBatch& batch,
                     std::optional<EventTime> watermark = std::nullopt);
  void handle_watermark(StageId stage, uint32_t sender, EventTime wm);
  void handle_barrier(StageId stage, Message& m);
  // The alignment of a later stage's barrier is complete: pass it and handle what was kept back.
  void release_alignment(StageId stage, const Message& barrier);
  void handle_end(StageId stage, uint32_t sender);
  void release_deferred();
  // Snapshots (see IncrementalSnapshot and GroupAssembly): one per stage at most, each begun when
  // its barrier passes the stage.
  void begin_snapshot(StageId stage, const std::shared_ptr<SnapshotRequest>& request);
  // Copies one group of a stage's snapshot (the group's earlier stages of the same snapshot first,
  // if still pending) and handles the events held for it.
  void copy_group(StageId stage, KeyGroup group);
  // Copies the next group of the first stage with a snapshot in progress; false when none is.
  bool snapshot_step();
  void finish_snapshot(StageId stage);
  void finish_snapshots();
  void end_snapshot(StageId stage);
  void advance(StageId stage, EventTime wm);
  // Publishes this worker's global aggregates of `stage` for the epoch and waits for every
  // worker's, sending its pending output, draining later stages and setting this stage's input
  // aside meanwhile, so that nobody waits on a worker that waits on them.
  void exchange_aggregates(StageId stage, int64_t epoch, EventTime wm);
  void pass_barrier(StageId stage, const Message& barrier);
  void pass_end(StageId stage);
  // Appends a control message for every worker of the next stage, after the events before it.
  void broadcast_next(StageId stage, const Message& prototype);
  // Sends what waits for the next stage of `stage`; false while a target stays full.
  bool flush_outboxes(StageId from_stage);
  void flush_sinks();
  bool is_last(StageId stage) const { return stage.value() + 1 == stage_count_; }
  bool all_queues_empty();

  // Identity resolution: keys of a stage that wait for another key's state (Context::move_key_to
  // and expect_key_from). Their input is held meanwhile, and so are the stage's next barrier and
  // end: a snapshot must see a move either in neither key or merged, never in flight.
  struct KeyMerge {
    std::vector<KeyHash> awaiting;  // keys whose moves are still to come
    BatchBuilder held;              // the key's events since it began to wait, in order
    EventTime watermark;            // the stage's watermark then: held events were not late
  };
  struct StageMerges {
    std::unordered_map<uint64_t, KeyMerge> waiting;  // by the surviving key's hash
    // How many waiting keys have each hash mod kMergeFilterSlots: most events are of keys that do
    // not wait, and a zero says so without a look into the map. Counts rather than bits, so that a
    // merge's end updates it in constant time. A key waits until its move comes through the
    // other worker's inbox, behind up to an inbox of events: at 3% sign-ins that is about 2,000
    // keys waiting at once, which would leave few of 1,024 slots at zero.
    static constexpr size_t kMergeFilterSlots = 16384;
    static size_t slot(uint64_t hash) { return hash % kMergeFilterSlots; }
    std::vector<uint32_t> filter = std::vector<uint32_t>(kMergeFilterSlots, 0);
    std::vector<std::shared_ptr<const KeyMove>> early;  // came before their expect_key_from
    // To merge once the current event is done; taken from `ready_next` on, so that a burst is
    // not a quadratic series of erases at the front.
    std::vector<std::shared_ptr<const KeyMove>> ready;
    size_t ready_next = 0;
    std::optional<Message> barrier;  // aligned while moves were awaited
    bool end = false;                // arrived while moves were awaited
    bool merging = false;            // in merge_ready
  };
  // Keeps back an event of a key that waits for a move; false when the key does not wait.
  bool hold_for_merge(StageId stage, const EventRef& event);
  void handle_key_move(StageId stage, std::shared_ptr<const KeyMove> move);
  void merge_ready(StageId stage);
  void merge_moved(StageId stage, const KeyMove& move);
  void merges_settled(StageId stage);
  // StageOutput
  void output(StageId stage, const EventRef& event) override;
  void side_output(StageId stage, std::string_view name, const EventRef& event) override;
  void rejected(StageId stage, std::string_view reason, const EventRef& event) override;
  bool moves_keys() const override { return true; }
  void move_key(StageId stage, std::shared_ptr<const KeyMove> move) override;
  void expect_key(StageId stage, KeyHash into, KeyHash from) override;

  WorkerId id_;
  Fabric& fabric_;
  uint32_t stage_count_;
  std::thread thread_;
  std::vector<KeyGroup> owned_;
  // [stage][key group]; null for groups other workers own.
  std::vector<std::vector<std::unique_ptr<StageInstance>>> instances_;
  std::vector<EventTime> watermark_;                      // [stage]
  std::vector<std::vector<EventTime>> sender_watermark_;  // [stage][sender], stages > 0
  std::vector<Alignment> alignments_;                     // [stage], stages > 0
  std::vector<uint32_t> end_arrivals_;                    // [stage]
  // [stage][target worker]: the output of stage-1 on its way into `stage`.
  std::vector<std::vector<Outbox>> outboxes_;
  std::vector<std::vector<BatchBuilder>> sink_buffers_;  // [stage][sink]
  std::map<std::string, BatchBuilder, std::less<>> side_buffers_;
  std::vector<std::vector<size_t>> aggregating_ops_;  // [stage]: operators with global aggregates
  std::vector<int64_t> aggregate_epoch_;              // [stage]: the last epoch exchanged
  uint64_t source_batches_seen_ = 0;
  std::deque<Message> deferred_;  // source markers waiting for the batches sent before them
  // [stage]: input popped while the worker waited for a global aggregate, handled before the rest.
  std::vector<std::deque<Message>> set_aside_;
  bool ended_ = false;
  std::vector<std::unique_ptr<IncrementalSnapshot>> snapshots_;  // [stage]
  std::vector<StageMerges> merges_;                              // [stage]
  std::map<const SnapshotRequest*, GroupAssembly> assemblies_;
  std::vector<size_t> last_snapshot_bytes_;  // [key group]: the size of its last copy
  WorkerMetrics counters_;
};

}  // namespace eddy
