#pragma once

#include <atomic>

namespace eddy::metrics {

// A value that goes up and down (connections open, bytes queued): one series of a gauge family.
//
// Threading: every method may run on any number of threads at once, lock-free with relaxed
// ordering. add() on a double is a compare-and-swap loop in hardware, still without a lock.
class alignas(64) Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double d) { value_.fetch_add(d, std::memory_order_relaxed); }
  void inc() { add(1.0); }
  void dec() { add(-1.0); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

}  // namespace eddy::metrics
