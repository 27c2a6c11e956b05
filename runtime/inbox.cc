#include "runtime/inbox.h"

namespace eddy {

Inbox::Inbox(size_t stages, int64_t capacity_events) : capacity_(capacity_events) {
  stages_.reserve(stages);
  for (size_t i = 0; i < stages; ++i)
    stages_.push_back(std::make_unique<StageQueue>());
}

bool Inbox::try_reserve(StageId stage, int64_t events) {
  std::atomic<int64_t>& queued = stages_[stage.value()]->queued;
  int64_t now = queued.load(std::memory_order_relaxed);
  while (true) {
    if (now != 0 && now + events > capacity_) return false;
    if (queued.compare_exchange_weak(now, now + events, std::memory_order_acq_rel)) return true;
  }
}

void Inbox::release(StageId stage, int64_t events) {
  stages_[stage.value()]->queued.fetch_sub(events, std::memory_order_acq_rel);
}

void Inbox::push(StageId stage, Message&& message) {
  stages_[stage.value()]->queue.enqueue(std::move(message));
  wake_.signal();
}

size_t Inbox::pop(StageId stage, Message* out, size_t max) {
  StageQueue& q = *stages_[stage.value()];
  const size_t n = q.queue.try_dequeue_bulk(out, max);
  int64_t events = 0;
  for (size_t i = 0; i < n; ++i) {
    if (out[i].kind == MessageKind::kEvents) events += static_cast<int64_t>(out[i].batch.size());
  }
  if (events != 0) release(stage, events);
  return n;
}

void Inbox::wait(int64_t timeout_us) {
  if (timeout_us < 0) {
    wake_.wait();
  } else {
    wake_.wait(timeout_us);
  }
}

}  // namespace eddy
