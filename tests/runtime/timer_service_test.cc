#include "runtime/timer_service.h"

#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <set>
#include <vector>

namespace eddy {
namespace {

using Timer = TimerService::Timer;

Timer at(int64_t time, uint64_t key, uint32_t tag = 0) {
  Timer t;
  t.time = EventTime(time);
  t.key_hash = KeyHash(key);
  t.tag = tag;
  t.slot = static_cast<uint32_t>(key);
  return t;
}

std::vector<int64_t> fire_times(TimerService& timers, int64_t watermark) {
  std::vector<int64_t> fired;
  timers.fire_until(EventTime(watermark), [&](const Timer& t) {
    fired.push_back(t.time.value());
    return true;
  });
  return fired;
}

TEST(TimerService, ATimerSetTwiceFiresOnce) {
  TimerService timers;
  timers.set(at(10, 1));
  timers.set(at(10, 1));
  timers.set(at(5, 2));
  EXPECT_EQ(timers.count([](const Timer&) { return true; }), 2u);
  EXPECT_EQ(fire_times(timers, 10), (std::vector<int64_t>{5, 10}));
  EXPECT_TRUE(timers.empty());
}

TEST(TimerService, ACancelUndoesEverySetBeforeIt) {
  TimerService timers;
  timers.set(at(10, 1));
  timers.set(at(10, 1));
  timers.cancel(at(10, 1));
  EXPECT_EQ(timers.count([](const Timer&) { return true; }), 0u);
  EXPECT_TRUE(fire_times(timers, 100).empty());
}

TEST(TimerService, ASetAfterACancelFires) {
  TimerService timers;
  timers.set(at(10, 1));
  timers.cancel(at(10, 1));
  timers.set(at(10, 1));
  EXPECT_EQ(fire_times(timers, 10), (std::vector<int64_t>{10}));
}

TEST(TimerService, ACancelOfATimerThatFiredDoesNotCancelItsNextSet) {
  TimerService timers;
  timers.set(at(10, 1));
  EXPECT_EQ(fire_times(timers, 10).size(), 1u);
  timers.cancel(at(10, 1));  // late: it fired
  timers.set(at(10, 1));     // set again, in the past: due at the next watermark
  EXPECT_EQ(fire_times(timers, 11), (std::vector<int64_t>{10}));
}

TEST(TimerService, ATimerSetAgainWhileItFiresFiresAgain) {
  TimerService timers;
  timers.set(at(10, 1));
  int fired = 0;
  timers.fire_until(EventTime(10), [&](const Timer& t) {
    if (++fired == 1) timers.set(t);
    return true;
  });
  EXPECT_EQ(fired, 2);
}

// The tree of timers eddy had before is the model: the same sets, cancels and firings (with sets
// made while firing, some in the past) must fire the same timers in the same order and leave the
// same ones pending.
TEST(TimerService, BehavesAsAnOrderedSetOfTimers) {
  // What firing a timer sets: for some, the same key again at about the same time.
  auto set_while_firing = [](const Timer& due) -> std::optional<Timer> {
    if (due.tag != 1 || due.key_hash.value() % 4 != 0) return std::nullopt;
    Timer next = due;
    next.time = EventTime(due.time.value() + static_cast<int64_t>(due.key_hash.value() % 3) - 1);
    next.tag = 0;
    return next;
  };
  std::mt19937_64 random(11);
  TimerService timers;
  std::set<Timer> model;
  int64_t watermark = 0;
  std::vector<Timer> recent;
  size_t cancelled_pending = 0;
  for (int round = 0; round < 200'000; ++round) {
    // Few keys and times, so that sets repeat; most cancels hit a timer set a little earlier.
    Timer t = at(watermark + static_cast<int64_t>(random() % 400) - 2, random() % 50,
                 static_cast<uint32_t>(random() % 2));
    const uint64_t roll = random() % 100;
    if (roll < 50) {
      timers.set(t);
      model.insert(t);
      recent.push_back(t);
      continue;
    }
    if (roll < 95) {
      if (random() % 4 != 0 && !recent.empty()) t = recent[random() % recent.size()];
      timers.cancel(t);
      cancelled_pending += model.erase(t);
      continue;
    }
    if (recent.size() > 64) recent.erase(recent.begin(), recent.end() - 64);
    watermark += static_cast<int64_t>(random() % 8);
    std::vector<Timer> fired;
    timers.fire_until(EventTime(watermark), [&](const Timer& due) {
      fired.push_back(due);
      if (auto next = set_while_firing(due)) timers.set(*next);
      return true;
    });
    std::vector<Timer> expected;
    while (!model.empty() && model.begin()->time.value() <= watermark) {
      const Timer due = *model.begin();
      model.erase(model.begin());
      expected.push_back(due);
      if (auto next = set_while_firing(due)) model.insert(*next);
    }
    ASSERT_EQ(fired.size(), expected.size()) << "round " << round;
    for (size_t i = 0; i < fired.size(); ++i)
      ASSERT_TRUE(fired[i].same(expected[i])) << "round " << round << ", firing " << i;
  }
  EXPECT_GT(cancelled_pending, 10'000u) << "enough cancels of pending timers to compact the heap";
  EXPECT_EQ(timers.count([](const Timer&) { return true; }), model.size());
}

TEST(TimerService, ASnapshotHoldsEachPendingTimerOnce) {
  TimerService timers;
  timers.set(at(30, 3));
  timers.set(at(10, 1));
  timers.set(at(10, 1));
  timers.set(at(20, 2));
  timers.cancel(at(20, 2));
  StateWriter out;
  timers.snapshot(out, [](const Timer&) { return true; });
  TimerService restored;
  StateReader in(out.bytes());
  ASSERT_TRUE(restored.restore(in).is_ok());
  EXPECT_EQ(restored.count([](const Timer&) { return true; }), 2u);
  EXPECT_EQ(fire_times(restored, 100), (std::vector<int64_t>{10, 30}));
}

}  // namespace
}  // namespace eddy
