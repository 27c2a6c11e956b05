// The timers of a worker's key groups on the hot path: a shop's customers each keep a timer or
// two (a session's close, a cart's abandonment), moved as their events come (a cancel and a set)
// while the watermark advances and fires what is due. 128 key groups, the default, share the
// timers of `range(0)` customers; every step moves one customer's timer (a cancel and a set) and
// every 64 steps the watermark moves on by a second and fires what is due. Reports moves per
// second.

#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "runtime/timer_service.h"

namespace eddy {
namespace {

constexpr size_t kGroups = 128;
constexpr int64_t kGapMs = 30 * 60 * 1000;  // a session's gap: how far ahead a timer is set

void BM_TimerMoves(benchmark::State& state) {
  const auto customers = static_cast<size_t>(state.range(0));
  std::vector<TimerService> groups(kGroups);
  std::vector<int64_t> due(customers, -1);  // -1: no timer
  std::mt19937_64 random(5);
  int64_t now = 0;
  size_t fired = 0, steps = 0;
  auto timer = [&](size_t customer) {
    TimerService::Timer t;
    t.time = EventTime(due[customer]);
    t.key_hash = KeyHash(customer * 0x9E3779B97F4A7C15ULL);
    t.slot = static_cast<uint32_t>(customer / kGroups);
    return t;
  };
  // One customer's event: its timer moves to a gap after now.
  auto step = [&] {
    const size_t c = random() % customers;
    TimerService& g = groups[c % kGroups];
    if (due[c] >= 0) g.cancel(timer(c));
    due[c] = now + kGapMs + static_cast<int64_t>(random() % 1000);
    g.set(timer(c));
    if (++steps % 64 != 0) return;
    now += 1000;
    for (size_t i = 0; i < kGroups; ++i) {
      fired += groups[i].fire_until(EventTime(now), [&](const TimerService::Timer& t) {
        due[t.slot * kGroups + i] = -1;  // the customer went quiet: its session closes
        return true;
      });
    }
  };
  // Into the steady state first: every customer has had an event, and timers fire.
  for (size_t i = 0; i < 2 * customers; ++i)
    step();
  fired = 0;
  for (auto _ : state)
    step();
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["fired_per_move"] =
      static_cast<double>(fired) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_TimerMoves)->Arg(200'000)->Arg(1'000'000)->Iterations(4'000'000);

}  // namespace
}  // namespace eddy

BENCHMARK_MAIN();
