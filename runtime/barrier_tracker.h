#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>

#include "runtime/status.h"

namespace eddy {

// Counts the workers that have passed a barrier through the last stage. Control plane only: a few
// calls per barrier, so a mutex is fine here.
class BarrierTracker {
 public:
  uint64_t begin(uint32_t workers);
  void arrive(uint64_t id);
  // Waits until every worker passed barrier `id`, or the timeout expires.
  Status wait(uint64_t id, std::chrono::milliseconds timeout);

 private:
  std::mutex mu_;
  std::condition_variable done_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, uint32_t> remaining_;
};

}  // namespace eddy
