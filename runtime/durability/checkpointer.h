#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "runtime/clock.h"
#include "runtime/durability/checkpoint_store.h"
#include "runtime/durability/journal.h"
#include "runtime/durability/write_ahead_log.h"
#include "runtime/engine.h"

namespace eddy {

struct CheckpointSettings {
  // A checkpoint this often; 0 for none but those asked for and the one at shutdown.
  int64_t interval_ms = 30'000;
  // How many complete checkpoints to keep; the log is kept from the oldest one's offset on.
  uint32_t keep = 3;
  // A checkpoint whose snapshot has not come back from the workers by then has failed.
  int64_t timeout_ms = 600'000;
};

// State a checkpoint carries besides the engine's key groups, such as ingest's messageId memory:
// a part named `name`, from `snapshot`, called on the checkpointer's thread after the cut.
struct CheckpointExtra {
  std::string name;
  std::function<std::string()> snapshot;
};

struct CheckpointInfo {
  uint64_t id = 0;
  uint64_t wal_offset = 0;
  uint64_t bytes = 0;
  uint32_t parts = 0;
  std::chrono::milliseconds duration{0};
  // The longest any worker stopped handling events to copy its key groups.
  std::chrono::microseconds worst_pause{0};
  // Erasures this checkpoint completed: no older checkpoint and no log before its cut is left.
  uint64_t erasures_purged = 0;
};

struct CheckpointMetrics {
  uint64_t completed = 0;
  uint64_t failed = 0;
  CheckpointInfo last;            // the last complete one
  int64_t last_completed_ms = 0;  // wall clock; 0 before the first
};

// Takes checkpoints: periodically, when asked, and once more before shutdown.
//
// A checkpoint starts with a mark in the write-ahead log. Once the mark is durable the journal has
// handed the engine every record before it, and the snapshot is asked for right then, from the
// log's writer thread, so that each worker copies its key groups after exactly those records: the
// state is that of the log up to the mark. The parts are written as workers hand them over, then
// the extras, then the manifest; older checkpoints beyond `keep` are removed and the log before
// the oldest kept one is released. A failed checkpoint removes what it wrote and leaves the
// previous ones as they were.
//
// Erasure: once an erasure of a customer is acknowledged (note_erasure), the next checkpoint cut
// starts a new log segment and, once written, is the only one kept: every older checkpoint and
// every log segment before its cut, which still held the erased data, are deleted, and the
// output eraser removes the customer from the files the sinks wrote. An erasure acknowledged
// while a checkpoint is being taken waits for the next one, since the cut may have come before it.
//
// Threading contract: request(), checkpoint_now() and metrics() from any thread; callbacks run
// on the checkpointer's thread.
class Checkpointer {
 public:
  using Done = std::function<void(const Result<CheckpointInfo>&)>;

  Checkpointer(Engine& engine, Journal& journal, WriteAheadLog& log, CheckpointStore& store,
               CheckpointSettings settings, std::vector<CheckpointExtra> extras,
               const Clock& clock);

  // What the manifest lists as segment definitions (JSON each); asked for just after the cut.
  void set_segment_definitions(std::function<std::vector<std::string>()> fn) {
    segment_definitions_ = std::move(fn);
  }
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  void start();
  void stop();

  // Asks for a checkpoint; requests that come while one is being taken are served by the next.
  // 'stopped' once stop() was called (then `done` is not called).
  Status request(Done done);
  // request() and wait.
  Result<CheckpointInfo> checkpoint_now();

  CheckpointMetrics metrics() const;

  // An erasure of the customer these ids name is durable in the log and taken by the engine; the
  // next checkpoint completes it. Any thread.
  void note_erasure(const std::vector<std::string>& ids);
  // Erasures acknowledged that no checkpoint has completed yet.
  uint64_t erasures_pending() const;
  // Removes the customers these ids name from what the sinks wrote (Sink::erase_customers); run
  // by a checkpoint that completes erasures, on the checkpointer's thread. Set before start().
  void set_output_eraser(std::function<Status(const std::unordered_set<std::string>&)> fn) {
    erase_outputs_ = std::move(fn);
  }

 private:
  void run();
  Result<CheckpointInfo> take();
  void record(const Result<CheckpointInfo>& result);
  Status release_log();

  Engine& engine_;
  Journal& journal_;
  WriteAheadLog& log_;
  CheckpointStore& store_;
  const CheckpointSettings settings_;
  const std::vector<CheckpointExtra> extras_;
  const Clock& clock_;
  std::function<std::vector<std::string>()> segment_definitions_;
  std::function<Status(const std::unordered_set<std::string>&)> erase_outputs_;
  // Erasures acknowledged, and the ids they named that a checkpoint has not completed yet.
  mutable std::mutex erasures_mu_;
  uint64_t erasures_ = 0;
  uint64_t erasures_purged_ = 0;
  std::unordered_set<std::string> erased_ids_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::vector<Done> waiting_;
  bool stopping_ = false;
  CheckpointMetrics metrics_;
  std::thread thread_;
};

}  // namespace eddy
