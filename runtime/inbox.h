#pragma once

#include <concurrentqueue/concurrentqueue.h>
#include <concurrentqueue/lightweightsemaphore.h>
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "runtime/message.h"

namespace eddy {

// A worker's inbox: one FIFO queue per stage and one wake-up semaphore. Messages from one sender
// thread to one stage keep their order (moodycamel queues are FIFO per producer).
//
// Event batches are bounded per stage by an event budget: a sender reserves room first and learns
// at once when there is none ('busy'), so nothing blocks and nothing accepted is dropped. Control
// messages (watermarks, barriers, tasks, end) are small, few and bounded by their senders, so they
// always get in; otherwise a full inbox could hold back the watermark or barrier that drains it.
//
// There is a queue per stage so that a worker whose output to stage s+1 is held back can keep
// draining stage s+1 (and later) while it stops taking stage s input: with stages forming a chain,
// the last stage always makes progress, so exchanges between workers cannot deadlock.
class Inbox {
 public:
  Inbox(size_t stages, int64_t capacity_events);

  // Reserves room for `events` events in a stage. A batch larger than the capacity is let in when
  // the stage's queue is empty, so that any batch can make progress.
  bool try_reserve(StageId stage, int64_t events);
  void release(StageId stage, int64_t events);
  // Enqueues a message whose events were reserved (or a control message) and wakes the worker.
  void push(StageId stage, Message&& message);

  // Takes up to `max` messages of a stage, in order. Frees their event budget.
  size_t pop(StageId stage, Message* out, size_t max);
  // Waits until something was pushed since the last wait, or `timeout_us` passed (-1: no limit).
  void wait(int64_t timeout_us);
  void wake() { wake_.signal(); }

  int64_t queued_events(StageId stage) const {
    return stages_[stage.value()]->queued.load(std::memory_order_relaxed);
  }
  int64_t capacity_events() const { return capacity_; }

 private:
  struct StageQueue {
    moodycamel::ConcurrentQueue<Message> queue;
    std::atomic<int64_t> queued{0};
  };
  std::vector<std::unique_ptr<StageQueue>> stages_;
  moodycamel::LightweightSemaphore wake_;
  int64_t capacity_;
};

}  // namespace eddy
