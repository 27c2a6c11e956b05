#pragma once

#include <cstdint>
#include <functional>
#include <tuple>
#include <vector>

#include <tsl/robin_set.h>

#include "runtime/ids.h"
#include "runtime/state_io.h"
#include "runtime/status.h"

namespace eddy {

// Event-time timers of one stage instance (one key group). Timers fire in (time, key, operator,
// tag) order, which depends only on the input, never on the number of workers.
//
// A timer is set or not: setting it twice fires it once, cancelling it undoes any number of sets.
// The timers live in a binary heap, one flat array, rather than a tree of nodes: a worker holds
// about one timer per customer and sets them on its hot path, and each level of a tree was a
// likely cache miss. A set pushes a copy (copies of one timer pop together and fire once); a
// cancel is remembered aside and the copies are dropped when they come due.
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
    bool same(const Timer& other) const { return order() == other.order(); }
  };

  void set(const Timer& t);
  void cancel(const Timer& t);
  // Copies queued, less the cancels waiting for theirs: the pending timers, give or take a timer
  // set again before it fired. Cheap, for metrics; count() is exact.
  size_t size() const;
  // The pending timers `pred` accepts, each counted once.
  size_t count(const std::function<bool(const Timer&)>& pred) const;
  // No timer pending (exact: a cancel of a timer never set does not make it so).
  bool empty() const;

  // Fires, in order, every timer due at `watermark`, including those that firing sets at or before
  // it. `fire` says whether the timer was live (see Timer::generation). Returns how many were.
  size_t fire_until(EventTime watermark, const std::function<bool(const Timer&)>& fire);

  // Writes the timers `live` keeps, as of generation 0 (restore starts every key's life anew).
  void snapshot(StateWriter& out, const std::function<bool(const Timer&)>& live) const;
  Status restore(StateReader& in);

 private:
  struct TimerHash {
    size_t operator()(const Timer& t) const;
  };
  struct SameTimer {
    bool operator()(const Timer& a, const Timer& b) const { return a.same(b); }
  };

  // The pending timers in order, each once.
  std::vector<Timer> pending() const;
  Timer pop();
  // Drops cancelled copies and duplicates once the cancels waiting are a quarter of the heap.
  void compact_if_mostly_dead();

  std::vector<Timer> heap_;  // a min-heap by order()
  tsl::robin_set<Timer, TimerHash, SameTimer> cancelled_;
};

}  // namespace eddy
