#pragma once

#include <atomic>
#include <boost/json/object.hpp>
#include <functional>
#include <string_view>

#include "runtime/durability/write_ahead_log.h"
#include "runtime/engine.h"
#include "runtime/intake.h"

namespace eddy {

// The durable way into the engine: every batch and run-time command is written to the
// write-ahead log first, and reaches the engine from the log's writer thread once it is durable,
// in log order. So the engine only ever sees what the log holds, in the order it holds it, and a
// replay of the log rebuilds the same state. Ingest acknowledges a batch once its AckLatch
// settles, which is after the engine has taken it.
//
// Threading contract: submit() and command() from any thread.
class Journal final : public Intake {
 public:
  // Takes over `log`'s group-end hook; `log` must not have had appends yet.
  Journal(Engine& engine, WriteAheadLog& log);
  // Stops the log: its callbacks call into the journal.
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  SubmitResult submit(const EventBatch& batch, std::span<const uint64_t> idempotency_keys,
                      WallTime received_at, const std::shared_ptr<AckLatch>& ack) override;

  // Logs a command for the operator named `target`; once it is durable the engine applies it
  // (Engine::command). `done` gets the engine's answer, an operator's refusal included. A status
  // other than ok means nothing was logged and `done` will not be called.
  Status command(std::string_view target, const boost::json::object& command,
                 std::function<void(Status)> done);

  // Logs a checkpoint mark. Once it is durable, `at_cut` runs on the log's writer thread after the
  // engine has been handed every record logged before the mark, with the mark's offset: the
  // moment to ask the engine for a snapshot, which then holds exactly the records before it.
  // `failed` runs instead when the mark could not be logged. A status other than ok means
  // neither will run. `new_segment` starts a log segment with the mark (WriteAheadLog::append).
  Status mark(std::function<void(uint64_t offset)> at_cut,
              std::function<void(const Status&)> failed, bool new_segment = false);

  // Called on the writer thread with the idempotency keys of every events record once it is
  // durable, before the engine gets it: the keys a checkpoint may count as taken. Set before the
  // first submit.
  void set_on_logged(std::function<void(std::span<const uint64_t> keys)> fn) {
    on_logged_ = std::move(fn);
  }

  // Times the writer found the engine's inboxes full and waited (back-pressure reaching the log).
  uint64_t engine_waits() const { return engine_waits_.load(std::memory_order_relaxed); }

 private:
  // A durable batch waiting for the end of its group, and the request it settles.
  struct Durable {
    std::shared_ptr<const EventBatch> batch;
    std::shared_ptr<AckLatch> ack;
  };
  // Writer thread: hands the engine what the current group holds so far, merging small batches
  // (a /v1/track call is one event) so that a worker wakes once per group rather than per
  // request, then settles their requests.
  void feed_durable();
  void submit_merged();
  void feed(const EventBatch& batch);

  Engine& engine_;
  WriteAheadLog& log_;
  std::atomic<uint64_t> engine_waits_{0};
  std::function<void(std::span<const uint64_t>)> on_logged_;
  std::vector<Durable> durable_;  // writer thread only
  BatchBuilder merged_;           // writer thread only
};

// Hands a batch to the source, waiting while the workers' inboxes are full; fails only when the
// engine stops. Counts the waits in `waits` when given.
Status feed_engine(Source& source, const EventBatch& batch, std::atomic<uint64_t>* waits = nullptr);

struct ReplayOptions {
  uint64_t from = 0;
  WalReadOptions read;
  // Called with each record's idempotency keys, so that ingest remembers what it has taken.
  std::function<void(std::span<const uint64_t> keys, WallTime received_at)> on_idempotency_keys;
};

struct ReplaySummary {
  WalReadSummary log;
  uint64_t events = 0;
  uint64_t commands = 0;
  uint64_t refused_commands = 0;  // refused again, as they were the first time
  // The ids of customer erasures (kCustomerErasedType events) replayed: the next checkpoint must
  // purge the files that still hold their data, as it would have the first time.
  std::vector<std::string> erased_ids;
};

// Feeds the log from `options.from` into the engine, as it was fed the first time.
Result<ReplaySummary> replay_wal(Engine& engine, const std::string& dir,
                                 const ReplayOptions& options);

}  // namespace eddy
