#pragma once

#include <atomic>
#include <thread>

namespace eddy {

// Lets callers in until it is closed, and lets the closer wait for those already inside (Seastar's
// gate). The engine closes it on shutdown so that nothing is enqueued after the end-of-stream
// markers that drain the workers.
class Gate {
 public:
  bool enter() {
    inside_.fetch_add(1, std::memory_order_acq_rel);
    if (closed_.load(std::memory_order_acquire)) {
      inside_.fetch_sub(1, std::memory_order_acq_rel);
      return false;
    }
    return true;
  }
  void leave() { inside_.fetch_sub(1, std::memory_order_acq_rel); }

  // After close() returns, no caller is inside and every later enter() fails.
  void close() {
    closed_.store(true, std::memory_order_release);
    while (inside_.load(std::memory_order_acquire) != 0)
      std::this_thread::yield();
  }
  bool is_closed() const { return closed_.load(std::memory_order_acquire); }

 private:
  std::atomic<int64_t> inside_{0};
  std::atomic<bool> closed_{false};
};

// Enters a gate for the length of a scope.
class GateHolder {
 public:
  explicit GateHolder(Gate& gate) : gate_(gate), entered_(gate.enter()) {}
  ~GateHolder() {
    if (entered_) gate_.leave();
  }
  GateHolder(const GateHolder&) = delete;
  GateHolder& operator=(const GateHolder&) = delete;
  bool entered() const { return entered_; }

 private:
  Gate& gate_;
  bool entered_;
};

}  // namespace eddy
