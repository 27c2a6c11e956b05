#include "runtime/timer_service.h"

#include <algorithm>

namespace eddy {

namespace {

// std heap functions keep the largest first; this puts the earliest first. A type rather than a
// function, so that the heap functions inline it.
struct Later {
  bool operator()(const TimerService::Timer& a, const TimerService::Timer& b) const {
    return b < a;
  }
};
constexpr Later later;

// Below this many cancels a compaction costs more than the dead copies.
constexpr size_t kCompactAfterCancels = 64;

}  // namespace

size_t TimerService::TimerHash::operator()(const Timer& t) const {
  uint64_t h = t.key_hash.value() ^ (static_cast<uint64_t>(t.time.value()) * 0x9E3779B97F4A7C15ULL);
  h ^= (uint64_t{t.op} << 48) ^ (uint64_t{t.tag} << 16) ^ t.generation;
  return static_cast<size_t>(h ^ (h >> 29));
}

void TimerService::set(const Timer& t) {
  if (!cancelled_.empty()) cancelled_.erase(t);
  heap_.push_back(t);
  std::push_heap(heap_.begin(), heap_.end(), later);
}

void TimerService::cancel(const Timer& t) {
  cancelled_.insert(t);
  compact_if_mostly_dead();
}

size_t TimerService::size() const {
  return heap_.size() > cancelled_.size() ? heap_.size() - cancelled_.size() : 0;
}

TimerService::Timer TimerService::pop() {
  std::pop_heap(heap_.begin(), heap_.end(), later);
  const Timer t = heap_.back();
  heap_.pop_back();
  return t;
}

size_t TimerService::fire_until(EventTime watermark,
                                const std::function<bool(const Timer&)>& fire) {
  size_t fired = 0;
  while (!heap_.empty() && heap_.front().time <= watermark) {
    const Timer due = pop();
    // The other copies of the same timer sort next to it; a copy that firing sets anew does not.
    while (!heap_.empty() && heap_.front().same(due))
      pop();
    if (!cancelled_.empty() && cancelled_.erase(due) > 0) continue;
    fired += fire(due) ? 1 : 0;
  }
  return fired;
}

std::vector<TimerService::Timer> TimerService::pending() const {
  std::vector<Timer> out;
  out.reserve(heap_.size());
  for (const Timer& t : heap_) {
    if (cancelled_.empty() || !cancelled_.contains(t)) out.push_back(t);
  }
  std::sort(out.begin(), out.end());
  out.erase(
      std::unique(out.begin(), out.end(), [](const Timer& a, const Timer& b) { return a.same(b); }),
      out.end());
  return out;
}

void TimerService::compact_if_mostly_dead() {
  if (cancelled_.size() < kCompactAfterCancels || cancelled_.size() * 4 < heap_.size()) return;
  heap_ = pending();  // sorted ascending, which is a valid min-heap
  std::make_heap(heap_.begin(), heap_.end(), later);
  // Every cancel has met its copies or had none (a timer cancelled after it fired, or never set).
  // A new set rather than clear(), which would keep the buckets of the largest it ever was.
  cancelled_ = {};
}

bool TimerService::empty() const {
  return heap_.empty() || pending().empty();
}

size_t TimerService::count(const std::function<bool(const Timer&)>& pred) const {
  const std::vector<Timer> all = pending();
  return static_cast<size_t>(std::count_if(all.begin(), all.end(), pred));
}

void TimerService::snapshot(StateWriter& out, const std::function<bool(const Timer&)>& live) const {
  const std::vector<Timer> all = pending();
  uint64_t count = 0;
  for (const Timer& t : all)
    count += live(t) ? 1 : 0;
  out.put<uint64_t>(count);
  for (const Timer& t : all) {
    if (!live(t)) continue;
    out.put<int64_t>(t.time.value());
    out.put<uint64_t>(t.key_hash.value());
    out.put<uint16_t>(t.op);
    out.put<uint32_t>(t.tag);
    out.put<uint32_t>(t.slot);
  }
}

Status TimerService::restore(StateReader& in) {
  heap_.clear();
  cancelled_.clear();
  const auto n = in.get<uint64_t>();
  for (uint64_t i = 0; i < n && in.ok(); ++i) {
    Timer t;
    t.time = EventTime(in.get<int64_t>());
    t.key_hash = KeyHash(in.get<uint64_t>());
    t.op = in.get<uint16_t>();
    t.tag = in.get<uint32_t>();
    t.slot = in.get<uint32_t>();
    heap_.push_back(t);
  }
  if (!in.ok()) return {Errc::kCorrupt, "timer state is truncated"};
  std::make_heap(heap_.begin(), heap_.end(), later);
  return {};
}

}  // namespace eddy
