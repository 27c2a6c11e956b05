#pragma once

#include <cstdint>
#include <functional>
#include <set>

#include "runtime/ids.h"
#include "runtime/state_io.h"
#include "runtime/status.h"

namespace eddy {

// Event-time timers of one stage instance (one key group). Timers fire in (time, key, operator,
// tag) order, which depends only on the input, never on the number of workers.
class TimerService {
 public:
  struct Timer {
    EventTime time;
    KeyHash key_hash;
    uint16_t op = 0;
    uint32_t tag = 0;
    uint32_t slot = 0;  // not part of the identity: a key keeps its slot for its lifetime

    auto order() const { return std::tie(time, key_hash, op, tag); }
    bool operator<(const Timer& other) const { return order() < other.order(); }
  };

  void set(const Timer& t) { timers_.insert(t); }
  void cancel(const Timer& t) { timers_.erase(t); }
  // Cancels every timer of one key. A scan: for identity merges, which are rare.
  size_t cancel_key(KeyHash key);
  size_t size() const { return timers_.size(); }
  bool empty() const { return timers_.empty(); }

  // Fires, in order, every timer due at `watermark`, including those that firing sets at or before
  // it. Returns how many fired.
  size_t fire_until(EventTime watermark, const std::function<void(const Timer&)>& fire);

  void snapshot(StateWriter& out) const;
  Status restore(StateReader& in);

 private:
  std::set<Timer> timers_;
};

}  // namespace eddy
