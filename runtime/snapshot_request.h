#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "runtime/ids.h"

namespace eddy {

// One snapshot of every key group, travelling with its barrier through the stages and shared by
// the workers that take it. Thread-safe: workers report to it concurrently.
class SnapshotRequest {
 public:
  using OnGroup = std::function<void(KeyGroup group, std::string bytes)>;
  using Done = std::function<void(std::chrono::microseconds worst_pause)>;

  SnapshotRequest(uint32_t workers, OnGroup on_group, Done done)
      : on_group_(std::move(on_group)), done_(std::move(done)), remaining_(workers) {}

  // A key group's bytes, every stage of it; on the worker that owns the group.
  void group_taken(KeyGroup group, std::string bytes) { on_group_(group, std::move(bytes)); }
  // A worker has handed over all its groups; the last one to do so calls `done`.
  void worker_done(std::chrono::microseconds worst_pause) {
    int64_t worst = worst_us_.load();
    while (worst_pause.count() > worst &&
           !worst_us_.compare_exchange_weak(worst, worst_pause.count())) {
    }
    if (remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1)
      done_(std::chrono::microseconds(worst_us_.load()));
  }

 private:
  OnGroup on_group_;
  Done done_;
  std::atomic<uint32_t> remaining_;
  std::atomic<int64_t> worst_us_{0};
};

}  // namespace eddy
