#pragma once

#include <atomic>
#include <boost/json/object.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runtime/barrier_tracker.h"
#include "runtime/clock.h"
#include "runtime/gate.h"
#include "runtime/settings.h"
#include "runtime/sink.h"
#include "runtime/source.h"
#include "runtime/topology.h"
#include "runtime/worker.h"

namespace eddy {

struct EngineOptions {
  RuntimeSettings settings;
  // The clock; the engine's own SystemClock when null. Must outlive the engine.
  const Clock* clock = nullptr;
  // A sink for every sink the topology names, and optionally for side outputs ("late", ...).
  std::map<std::string, std::shared_ptr<Sink>, std::less<>> sinks;
  std::map<std::string, std::shared_ptr<Sink>, std::less<>> side_sinks;
  // Calls Source::tick every `tick_interval` on a thread of its own. Off for tests with a manual
  // clock, which tick by hand.
  bool run_ticker = true;
  std::chrono::milliseconds tick_interval{100};
};

struct EngineMetrics {
  SourceMetrics source;
  std::vector<WorkerMetrics> workers;
};

// A running topology: W workers, the source that feeds them, and the ways to ask them things.
//
// Threading contract: every public method is thread-safe. Callbacks given to query methods run on
// worker threads; they must be quick and must not block on the engine.
class Engine {
 public:
  static Result<std::unique_ptr<Engine>> create(TopologySpec spec, EngineOptions options);
  ~Engine();

  Status start();
  // Stops accepting input, lets the workers finish everything accepted, and joins them.
  Status stop();

  Source& source() { return *source_; }
  const TopologySpec& topology() const { return spec_; }
  uint32_t workers() const { return fabric_.workers; }
  const RuntimeSettings& settings() const { return fabric_.settings; }

  // Returns once everything submitted before the call has passed through every stage and its
  // outputs reached the sinks.
  Status sync(std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // Runs `task` on the worker owning `key` in `stage`. 'busy' when too many tasks wait,
  // 'stopped' after stop(). Tasks are for reading state (queries): one may run while a snapshot
  // is being taken, before the input held back for it.
  Status run_on_key(StageId stage, std::string_view key,
                    std::function<void(Worker&, StageInstance&, KeyHash)> task);
  // Runs `task` on every worker, then `done` once (on the last worker to finish). For reading
  // state, as run_on_key.
  Status run_on_all(std::function<void(Worker&)> task, std::function<void()> done);

  // The merged on_query answers of the stage's operators for one key; kNotFound for a key the
  // stage has never seen. `done` runs on the owning worker.
  Status query_key(StageId stage, std::string_view key,
                   std::function<void(Result<boost::json::object>)> done);
  // The merged on_lookup answers of the stage's operators for one key and `arg`; kNotFound for a
  // key the stage has never seen. `done` runs on the owning worker.
  Status lookup_key(StageId stage, std::string_view key, std::string arg,
                    std::function<void(Result<boost::json::object>)> done);
  // Every key of the stage some operator says matches `arg` (Operator::key_matches), gathered
  // over all workers, at most `limit` of them (which ones is then unspecified); `done` runs once,
  // on the last worker to finish. A search looks at every key: for rare questions (an erasure).
  Status find_keys(StageId stage, std::string arg, size_t limit,
                   std::function<void(std::vector<std::string>)> done);
  // Blocking form of query_key, for tools and tests.
  Result<boost::json::object> query_key_sync(
      StageId stage, std::string_view key,
      std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Sends a run-time command (a segment definition) to every instance of the named operator. It is
  // first applied to a probe instance on the calling thread: an error there is returned at once
  // and nothing reaches a worker. `done` runs once every worker has applied it.
  Status command(std::string_view operator_name, const boost::json::object& command,
                 std::function<void(Status)> done = {});

  // The state of one key group, every stage's instance of it: what a checkpoint writes per group.
  struct KeyGroupState {
    KeyGroup group;
    std::string bytes;
  };
  // Captures the state of every key group as of a barrier that follows everything submitted before
  // the call: a consistent cut. With exchanges, the barrier is aligned at every later stage (a
  // worker takes a stage's state once every sender's copy of the barrier has come in, keeping back
  // what those senders sent after it), so each stage's state reflects exactly the input before the
  // cut, and nothing is in flight between stages. Each worker copies one key group at a time and
  // goes on with the others' input in between (IncrementalSnapshot). `on_group` runs on worker
  // threads, once per key group, with no I/O; `done` runs once after the last, with the longest a
  // worker stopped for one copy.
  Status snapshot_key_groups(std::function<void(KeyGroupState)> on_group,
                             std::function<void(std::chrono::microseconds worst_pause)> done);
  // Puts key groups back from snapshot_key_groups() bytes, on the workers that own them now (the
  // worker count may have changed; the key group count may not). Call after start() and before
  // any input. Blocks until every group is restored, or fails naming the first group that could
  // not be.
  Status restore_key_groups(std::vector<KeyGroupState> groups,
                            std::chrono::milliseconds timeout = std::chrono::minutes(10));

  // Gathers counters from every worker (through their inboxes, so without locks on their state).
  Result<EngineMetrics> metrics(std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  Engine(TopologySpec spec, EngineOptions options);
  Status init();
  bool enter_task();
  void leave_task() { pending_tasks_.fetch_sub(1, std::memory_order_acq_rel); }
  enum class TaskAccess : uint8_t { kReads, kWrites };
  void push_task(WorkerId worker, StageId stage, std::function<void(Worker&)> task,
                 TaskAccess access = TaskAccess::kWrites);

  TopologySpec spec_;
  EngineOptions options_;
  SystemClock system_clock_;
  const Clock* clock_;
  Fabric fabric_;
  BarrierTracker barriers_;
  Gate gate_;
  std::unique_ptr<Source> source_;
  // One instance per stage that never sees an event: it validates commands before workers do.
  std::vector<std::unique_ptr<StageInstance>> probes_;
  std::mutex command_mu_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<int64_t> pending_tasks_{0};
  std::thread ticker_;
  std::mutex ticker_mu_;
  std::condition_variable ticker_cv_;
  bool ticker_stop_ = false;
  std::atomic<bool> started_{false};
  std::atomic<bool> stopped_{false};
};

}  // namespace eddy
