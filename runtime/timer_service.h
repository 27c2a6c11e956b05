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
    // Which life of the key's state the timer belongs to: a key whose state moved away starts a
    // new one, and the old life's timers are skipped when due (StageInstance::move_key_out). Not
    // kept in snapshots, which hold the live timers only.
    uint32_t generation = 0;

    auto order() const { return std::tie(time, key_hash, op, tag, generation); }
    bool operator<(const Timer& other) const { return order() < other.order(); }
  };

  void set(const Timer& t) { timers_.insert(t); }
  void cancel(const Timer& t) { timers_.erase(t); }
  size_t size() const { return timers_.size(); }
  size_t count(const std::function<bool(const Timer&)>& pred) const;
  bool empty() const { return timers_.empty(); }

  // Fires, in order, every timer due at `watermark`, including those that firing sets at or before
  // it. `fire` says whether the timer was live (see Timer::generation). Returns how many were.
  size_t fire_until(EventTime watermark, const std::function<bool(const Timer&)>& fire);

  // Writes the timers `live` keeps, as of generation 0 (restore starts every key's life anew).
  void snapshot(StateWriter& out, const std::function<bool(const Timer&)>& live) const;
  Status restore(StateReader& in);

 private:
  std::set<Timer> timers_;
};

}  // namespace eddy
