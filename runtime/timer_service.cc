#include "runtime/timer_service.h"

#include <algorithm>

namespace eddy {

size_t TimerService::fire_until(EventTime watermark,
                                const std::function<bool(const Timer&)>& fire) {
  size_t fired = 0;
  while (!timers_.empty() && timers_.begin()->time <= watermark) {
    const Timer due = *timers_.begin();
    timers_.erase(timers_.begin());
    fired += fire(due) ? 1 : 0;
  }
  return fired;
}

size_t TimerService::count(const std::function<bool(const Timer&)>& pred) const {
  return static_cast<size_t>(std::count_if(timers_.begin(), timers_.end(), pred));
}

void TimerService::snapshot(StateWriter& out, const std::function<bool(const Timer&)>& live) const {
  uint64_t count = 0;
  for (const Timer& t : timers_)
    count += live(t) ? 1 : 0;
  out.put<uint64_t>(count);
  for (const Timer& t : timers_) {
    if (!live(t)) continue;
    out.put<int64_t>(t.time.value());
    out.put<uint64_t>(t.key_hash.value());
    out.put<uint16_t>(t.op);
    out.put<uint32_t>(t.tag);
    out.put<uint32_t>(t.slot);
  }
}

Status TimerService::restore(StateReader& in) {
  timers_.clear();
  const auto n = in.get<uint64_t>();
  for (uint64_t i = 0; i < n && in.ok(); ++i) {
    Timer t;
    t.time = EventTime(in.get<int64_t>());
    t.key_hash = KeyHash(in.get<uint64_t>());
    t.op = in.get<uint16_t>();
    t.tag = in.get<uint32_t>();
    t.slot = in.get<uint32_t>();
    timers_.insert(t);
  }
  if (!in.ok()) return {Errc::kCorrupt, "timer state is truncated"};
  return {};
}

}  // namespace eddy
