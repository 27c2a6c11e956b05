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
// Event batches are bounded by an event budget: a sender reserves room first and learns at once
// when there is none ('busy'), so nothing blocks and nothing accepted is dropped. Control messages
// (watermarks, barriers, tasks, end) are small, few and bounded by their senders, so they always
// get in; otherwise a full inbox could hold back the watermark or barrier that drains it.
//
// The budget is per stage and per sender: the source has the whole capacity of the first stage,
// and each worker an equal share of a later stage's. A batch's room is freed when the worker has
// handled it, not when it was popped, so that a worker aligning a barrier can keep back what
// one sender sent after its barrier: that sender, and only that one, then runs out of room and
// waits, while the senders whose barriers are still to come keep their share (credit-based flow
// control, as Flink's network stack does it).
//
// There is a queue per stage so that a worker whose output to stage s+1 is held back can keep
// draining stage s+1 (and later) while it stops taking stage s input: with stages forming a chain,
// the last stage always makes progress, so exchanges between workers cannot deadlock.
class Inbox {
 public:
  // `senders`: how many workers send to the later stages.
  Inbox(size_t stages, int64_t capacity_events, uint32_t senders = 1);

  // Reserves room for `events` events from `sender` in a stage. A batch larger than the sender's
  // share is let in when none of that sender's events wait, so that any batch can make progress.
  bool try_reserve(StageId stage, int64_t events, uint32_t sender = kFromSource);
  void release(StageId stage, int64_t events, uint32_t sender = kFromSource);
  // Enqueues a message whose events were reserved (or a control message) and wakes the worker.
  void push(StageId stage, Message&& message);

  // Takes up to `max` messages of a stage, in order. Their room stays taken until release().
  size_t pop(StageId stage, Message* out, size_t max);
  // Waits until something was pushed since the last wait, or `timeout_us` passed (-1: no limit).
  void wait(int64_t timeout_us);
  void wake() { wake_.signal(); }

  int64_t queued_events(StageId stage) const;
  int64_t capacity_events() const { return capacity_; }

 private:
  struct StageQueue {
    moodycamel::ConcurrentQueue<Message> queue;
    // [sender], the source's last.
    std::unique_ptr<std::atomic<int64_t>[]> queued;
  };
  std::atomic<int64_t>& queued(StageId stage, uint32_t sender);
  int64_t share(uint32_t sender) const;

  std::vector<std::unique_ptr<StageQueue>> stages_;
  moodycamel::LightweightSemaphore wake_;
  int64_t capacity_;
  uint32_t senders_;
};

}  // namespace eddy
