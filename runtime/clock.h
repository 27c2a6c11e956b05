#pragma once

#include <atomic>
#include <chrono>

#include "runtime/ids.h"

namespace eddy {

// The wall clock, injectable so that tests decide when time passes. The runtime reads it only to
// advance the watermark of an idle input and to time housekeeping; event time never comes from it.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual WallTime now() const = 0;
};

class SystemClock final : public Clock {
 public:
  WallTime now() const override {
    using namespace std::chrono;
    return WallTime(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
  }
};

// Thread-safe: tests move it from their own thread while workers read it.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(WallTime start = WallTime(0)) : now_(start.value()) {}
  WallTime now() const override { return WallTime(now_.load(std::memory_order_acquire)); }
  void set(WallTime t) { now_.store(t.value(), std::memory_order_release); }
  void advance(int64_t millis) { now_.fetch_add(millis, std::memory_order_acq_rel); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace eddy
