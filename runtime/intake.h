#pragma once

#include <atomic>
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

  // What the request's owner undoes for a record that will never be durable: ingest forgets its
  // messageIds, so that the client's retry is taken. Set before anything is submitted.
  using LostHook = std::function<void(std::span<const uint64_t> idempotency_keys, WallTime)>;
  void on_lost(LostHook hook) { lost_hook_ = std::move(hook); }
  void lost(std::span<const uint64_t> idempotency_keys, WallTime received_at) const {
    if (lost_hook_) lost_hook_(idempotency_keys, received_at);
  }

 private:
  std::mutex mu_;
  int64_t outstanding_ = 0;
  Status first_failure_;
  std::function<void(const Status&)> done_;
  bool fired_ = false;
  LostHook lost_hook_;
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

// Refuses everything as 'busy' until open() names the intake to use: the server answers (and says
// it is not ready) while the log is being replayed, and takes input once recovery is done.
class RecoveringIntake final : public Intake {
 public:
  void open(Intake& target) { target_.store(&target, std::memory_order_release); }
  bool is_open() const { return target_.load(std::memory_order_acquire) != nullptr; }

  SubmitResult submit(const EventBatch& batch, std::span<const uint64_t> idempotency_keys,
                      WallTime received_at, const std::shared_ptr<AckLatch>& ack) override {
    Intake* target = target_.load(std::memory_order_acquire);
    if (target != nullptr) return target->submit(batch, idempotency_keys, received_at, ack);
    SubmitResult refused;
    refused.status = Status(Errc::kBusy, "eddy is recovering its state; retry shortly");
    return refused;
  }

 private:
  std::atomic<Intake*> target_{nullptr};
};

}  // namespace eddy
