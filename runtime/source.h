#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "runtime/clock.h"
#include "runtime/event.h"
#include "runtime/gate.h"
#include "runtime/inbox.h"
#include "runtime/settings.h"
#include "runtime/status.h"
#include "runtime/topology.h"

namespace eddy {

// Why the source refused one event of a batch.
enum class RejectReason : uint8_t {
  kMissingKey,
  kUnknownEventType,
  kTooManyProperties,
};
inline constexpr size_t kRejectReasonCount = 3;
const char* reject_reason_code(RejectReason r);

struct Rejection {
  size_t index;  // position in the submitted batch
  RejectReason reason;
  std::string message;
};

struct SubmitResult {
  // ok: every event not listed in `rejected` was accepted. busy: nothing was accepted, try again.
  // stopped: the engine is shutting down; nothing was accepted.
  Status status;
  size_t accepted = 0;
  std::vector<Rejection> rejected;
};

struct SourceMetrics {
  uint64_t accepted = 0;
  uint64_t busy_batches = 0;
  std::array<uint64_t, kRejectReasonCount> rejected{};
  EventTime watermark;
};

// The input of the dataflow. Thread-safe: any number of ingest threads submit concurrently.
//
// It checks events, routes them to the workers owning their key groups, and owns the watermark: a
// property of the input, broadcast to every worker, so that a key group with no traffic still sees
// time pass. A batch is admitted whole or not at all: when any worker's inbox lacks room the
// caller is told 'busy' and nothing was enqueued.
class Source {
 public:
  Source(const TopologySpec& spec, const RuntimeSettings& settings, uint32_t workers,
         std::vector<std::unique_ptr<Inbox>>& inboxes, const Clock& clock, Gate& gate);

  SubmitResult submit(const EventBatch& batch);
  // The events of `batch` that submit would refuse, counted as refused. For a caller that must
  // know before it submits: the write-ahead log keeps only what the engine will take.
  std::vector<Rejection> screen(const EventBatch& batch);

  // Live mode: moves the watermark with the wall clock once input has been idle for the idle
  // timeout. Called periodically by the engine's ticker (or by a test, with a manual clock).
  void tick();
  // Moves the watermark to `wm` if that is later (backfills that know their input is complete).
  void advance_watermark(EventTime wm);

  EventTime watermark() const { return EventTime(watermark_.load(std::memory_order_acquire)); }
  SourceMetrics metrics() const;

  // Pushes a control message to every worker's first stage, carrying how many batches were sent to
  // that worker before it. The caller must hold the gate (or have closed it).
  void broadcast_marker(MessageKind kind, uint64_t barrier_id,
                        const std::shared_ptr<SnapshotRequest>& snapshot = nullptr);
  // A barrier carrying `task`, which every worker runs at `stage` once the barrier has aligned
  // there. The caller must hold the gate.
  void broadcast_task_barrier(StageId stage, const std::function<void(Worker&)>& task);

 private:
  // Pushes a copy of `prototype` to every worker's first stage, after the batches sent before it.
  void broadcast(const Message& prototype);
  std::optional<RejectReason> check(const EventRef& e) const;
  std::optional<Rejection> rejection_of(size_t index, const EventRef& e) const;
  void raise_watermark_to(EventTime candidate);
  void broadcast_watermark(EventTime wm);

  const TopologySpec& spec_;
  const RuntimeSettings& settings_;
  uint32_t workers_;
  std::vector<std::unique_ptr<Inbox>>& inboxes_;
  const Clock& clock_;
  Gate& gate_;
  std::unique_ptr<std::atomic<uint64_t>[]> sent_batches_;  // [worker]
  std::atomic<int64_t> watermark_{kMinEventTime.value()};
  std::atomic<int64_t> last_input_wall_{0};
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> busy_{0};
  std::array<std::atomic<uint64_t>, kRejectReasonCount> rejected_{};
};

}  // namespace eddy
