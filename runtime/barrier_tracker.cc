#include "runtime/barrier_tracker.h"

namespace eddy {

uint64_t BarrierTracker::begin(uint32_t workers) {
  std::lock_guard lock(mu_);
  const uint64_t id = next_id_++;
  remaining_[id] = workers;
  return id;
}

void BarrierTracker::arrive(uint64_t id) {
  std::lock_guard lock(mu_);
  auto it = remaining_.find(id);
  if (it == remaining_.end()) return;
  if (--it->second == 0) done_.notify_all();
}

Status BarrierTracker::wait(uint64_t id, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  const bool done = done_.wait_for(lock, timeout, [&] {
    auto it = remaining_.find(id);
    return it == remaining_.end() || it->second == 0;
  });
  if (!done) return {Errc::kBusy, "barrier " + std::to_string(id) + " did not complete in time"};
  remaining_.erase(id);
  return {};
}

}  // namespace eddy
