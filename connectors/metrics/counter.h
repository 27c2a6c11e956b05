#pragma once

#include <atomic>
#include <cstdint>

namespace eddy::metrics {

// A monotonically increasing count of events, requests or bytes: one series of a counter family.
//
// Threading: inc() may run on any number of threads at once; it is one relaxed atomic add, with
// no lock and no ordering against other memory (a scrape may see a count before the effects it
// counts, which is harmless for monitoring). Integer-valued on purpose: every counter eddy keeps
// counts whole things, and integers stay exact past 2^53.
//
// Aligned to a cache line so that two counters updated by different threads never share one.
class alignas(64) Counter {
 public:
  void inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

}  // namespace eddy::metrics
