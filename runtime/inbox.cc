#include "runtime/inbox.h"

#include <algorithm>

namespace eddy {

Inbox::Inbox(size_t stages, int64_t capacity_events, uint32_t senders)
    : capacity_(capacity_events), senders_(senders) {
  stages_.reserve(stages);
  for (size_t i = 0; i < stages; ++i) {
    auto q = std::make_unique<StageQueue>();
    q->queued = std::make_unique<std::atomic<int64_t>[]>(senders + 1);
    stages_.push_back(std::move(q));
  }
}

std::atomic<int64_t>& Inbox::queued(StageId stage, uint32_t sender) {
  return stages_[stage.value()]->queued[sender == kFromSource ? senders_ : sender];
}

int64_t Inbox::share(uint32_t sender) const {
  if (sender == kFromSource) return capacity_;
  return std::max<int64_t>(1, capacity_ / senders_);
}

bool Inbox::try_reserve(StageId stage, int64_t events, uint32_t sender) {
  std::atomic<int64_t>& q = queued(stage, sender);
  const int64_t limit = share(sender);
  int64_t now = q.load(std::memory_order_relaxed);
  while (true) {
    if (now != 0 && now + events > limit) return false;
    if (q.compare_exchange_weak(now, now + events, std::memory_order_acq_rel)) return true;
  }
}

void Inbox::release(StageId stage, int64_t events, uint32_t sender) {
  queued(stage, sender).fetch_sub(events, std::memory_order_acq_rel);
}

void Inbox::push(StageId stage, Message&& message) {
  stages_[stage.value()]->queue.enqueue(std::move(message));
  wake_.signal();
}

size_t Inbox::pop(StageId stage, Message* out, size_t max) {
  return stages_[stage.value()]->queue.try_dequeue_bulk(out, max);
}

int64_t Inbox::queued_events(StageId stage) const {
  const StageQueue& q = *stages_[stage.value()];
  int64_t total = 0;
  for (uint32_t i = 0; i <= senders_; ++i)
    total += q.queued[i].load(std::memory_order_relaxed);
  return total;
}

void Inbox::wait(int64_t timeout_us) {
  if (timeout_us < 0) {
    wake_.wait();
  } else {
    wake_.wait(timeout_us);
  }
}

}  // namespace eddy
