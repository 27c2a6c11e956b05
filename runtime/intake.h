#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>

#include "runtime/clock.h"
#include "runtime/event.h"
#include "runtime/source.h"
#include "runtime/status.h"

namespace eddy {

// Tells one request when everything it handed to an Intake is durable, so that it is
// acknowledged only then. Thread-safe: records settle on the log's writer thread while the request
// is still adding more.
class AckLatch {
 public:
  // One more record to wait for; before it is handed over, so that it cannot settle first.
  void expect();
  // A record is durable (ok) or never will be (the first failure is what the request reports).
  void settle(const Status& status);
  // Calls `done` once, when every expected record has settled: at once when none is pending.
  void arm(std::function<void(const Status&)> done);

 private:
  std::mutex mu_;
  int64_t outstanding_ = 0;
  Status first_failure_;
  std::function<void(const Status&)> done_;
  bool fired_ = false;
};

// Where ingest hands accepted events: straight to the engine's source, or through the
// write-ahead log (runtime/durability/journal.h), which acknowledges only what is durable.
class Intake {
 public:
  virtual ~Intake() = default;
  // Takes the batch or refuses it whole (busy, stopped, a failing disk), listing the events the
  // engine rejects as Source::submit does. `idempotency_keys` is empty or one per event (0: none).
  // `ack` learns when what was taken is durable.
  virtual SubmitResult submit(const EventBatch& batch, std::span<const uint64_t> idempotency_keys,
                              WallTime received_at, const std::shared_ptr<AckLatch>& ack) = 0;
};

// No log: what the source takes is acknowledged at once. For tests and tools.
class DirectIntake final : public Intake {
 public:
  explicit DirectIntake(Source& source) : source_(source) {}
  SubmitResult submit(const EventBatch& batch, std::span<const uint64_t>, WallTime,
                      const std::shared_ptr<AckLatch>&) override {
    return source_.submit(batch);
  }

 private:
  Source& source_;
};

}  // namespace eddy
