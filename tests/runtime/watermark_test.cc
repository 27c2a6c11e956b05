// Watermarks and event-time timers: in order, out of order, late, idle input, clock skew.

#include <gtest/gtest.h>

#include "runtime/batch_builder.h"
#include "runtime/engine.h"
#include "runtime/key_hash.h"
#include "runtime/topology_builder.h"
#include "tests/harness/harness.h"
#include "tests/harness/test_operators.h"

namespace eddy {
namespace {

using testing::ev;
using testing::Harness;
using testing::HarnessOptions;
using testing::Step;

TopologySpec timer_topology(int64_t delay_ms) {
  auto spec = testing::test_registry();
  auto built = TopologyBuilder("timers", spec)
                   .accept_types({"Product Viewed", "Cancel", "Timer Fired"})
                   .stage("profiles")
                   .op("echo", "timer_echo", {{"delay_ms", delay_ms}})
                   .sink("fired", {"Timer Fired"})
                   .build();
  EXPECT_TRUE(built.is_ok()) << built.status().to_string();
  return std::move(built).value();
}

std::vector<int64_t> fired_times(const Harness& h, const std::string& key = "") {
  std::vector<int64_t> out;
  for (const auto& r : h.sink("fired")) {
    if (key.empty() || r.key == key) out.push_back(r.time.value());
  }
  return out;
}

TEST(Timers, FireWhenTheWatermarkReachesThemAndNotBefore) {
  auto h = Harness::create(timer_topology(500), {});
  ASSERT_TRUE(h.is_ok());
  ASSERT_TRUE((*h)->run({ev("u1", "Product Viewed", 1000), Step::watermark(1499)}).is_ok());
  EXPECT_TRUE(fired_times(**h).empty());
  // Exactly at the due time: fires.
  ASSERT_TRUE((*h)->run({Step::watermark(1500)}).is_ok());
  EXPECT_EQ(fired_times(**h), std::vector<int64_t>{1500});
  // A timer fires once.
  ASSERT_TRUE((*h)->run({Step::watermark(9000)}).is_ok());
  EXPECT_EQ(fired_times(**h), std::vector<int64_t>{1500});
}

TEST(Timers, OutOfOrderEventsFireInEventTimeOrder) {
  auto h = Harness::create(timer_topology(100), {});
  ASSERT_TRUE(h.is_ok());
  ASSERT_TRUE((*h)->run({ev("u1", "Product Viewed", 3000), ev("u1", "Product Viewed", 1000),
                         ev("u1", "Product Viewed", 2000), Step::watermark(2500)})
                  .is_ok());
  EXPECT_EQ(fired_times(**h), (std::vector<int64_t>{1100, 2100}));
  ASSERT_TRUE((*h)->run({Step::watermark(4000)}).is_ok());
  EXPECT_EQ(fired_times(**h), (std::vector<int64_t>{1100, 2100, 3100}));
}

TEST(Timers, SettingTheSameTimerTwiceFiresOnce) {
  auto h = Harness::create(timer_topology(100), {});
  ASSERT_TRUE(h.is_ok());
  ASSERT_TRUE((*h)->run({ev("u1", "Product Viewed", 1000), ev("u1", "Product Viewed", 1000),
                         Step::watermark(5000)})
                  .is_ok());
  EXPECT_EQ(fired_times(**h), std::vector<int64_t>{1100});
}

TEST(Timers, CancelledTimersDoNotFire) {
  auto h = Harness::create(timer_topology(100), {});
  ASSERT_TRUE(h.is_ok());
  ASSERT_TRUE((*h)->run({ev("u1", "Product Viewed", 1000), ev("u2", "Product Viewed", 1000),
                         ev("u1", "Cancel", 1050), Step::watermark(5000)})
                  .is_ok());
  EXPECT_TRUE(fired_times(**h, "u1").empty());
  EXPECT_EQ(fired_times(**h, "u2"), std::vector<int64_t>{1100});
}

TEST(Lateness, EventsBehindTheWatermarkGoToTheLateSideOutput) {
  auto h = Harness::create(timer_topology(100), {});
  ASSERT_TRUE(h.is_ok());
  ASSERT_TRUE((*h)->run({ev("u1", "Product Viewed", 1000), Step::watermark(2000),
                         ev("u1", "Product Viewed", 1999), ev("u1", "Product Viewed", 2000),
                         Step::watermark(10'000)})
                  .is_ok());
  // 1999 is behind the watermark 2000; 2000 is not.
  auto late = (*h)->side_output("late");
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].time, EventTime(1999));
  EXPECT_EQ(fired_times(**h), (std::vector<int64_t>{1100, 2100}));
  auto m = (*h)->engine().metrics();
  ASSERT_TRUE(m.is_ok());
  EXPECT_EQ(m->workers[0].side_outputs.at("late"), 1u);
}

TEST(Lateness, AllowedLatenessKeepsSlightlyLateEvents) {
  HarnessOptions o;
  o.allowed_lateness_ms = 500;
  auto h = Harness::create(timer_topology(100), o);
  ASSERT_TRUE(h.is_ok());
  ASSERT_TRUE((*h)->run({Step::watermark(2000), ev("u1", "Product Viewed", 1500),
                         ev("u1", "Product Viewed", 1499), Step::watermark(3000)})
                  .is_ok());
  EXPECT_EQ((*h)->side_output("late").size(), 1u);
  // The kept event's timer is already due; it fires with the next watermark.
  EXPECT_EQ(fired_times(**h), std::vector<int64_t>{1600});
}

// Two keys that live on different workers when there are two.
std::pair<std::string, std::string> keys_on_two_workers(uint32_t key_groups) {
  std::string a, b;
  for (int i = 0; a.empty() || b.empty(); ++i) {
    std::string k = "k" + std::to_string(i);
    const auto w = worker_of(key_group_of(hash_key(k), key_groups), 2).value();
    if (w == 0 && a.empty()) a = k;
    if (w == 1 && b.empty()) b = k;
  }
  return {a, b};
}

struct LiveEngine {
  ManualClock clock{WallTime(1'000'000)};
  std::shared_ptr<CollectingSink> fired = std::make_shared<CollectingSink>();
  std::unique_ptr<Engine> engine;

  explicit LiveEngine(TimeMode mode, int64_t delay_ms = 60'000) {
    EngineOptions o;
    o.settings.workers = 2;
    o.settings.key_groups = 16;
    o.settings.time_mode = mode;
    o.settings.max_out_of_orderness_ms = 0;
    o.settings.idle_timeout_ms = 1000;
    o.settings.max_future_skew_ms = 10'000;
    o.clock = &clock;
    o.run_ticker = false;
    o.sinks["fired"] = fired;
    auto e = Engine::create(timer_topology(delay_ms), std::move(o));
    EXPECT_TRUE(e.is_ok());
    engine = std::move(e).value();
    EXPECT_TRUE(engine->start().is_ok());
  }

  void send(const std::string& key, int64_t time_ms) {
    BatchBuilder b;
    EventDraft d;
    d.key = key;
    d.type = engine->topology().types().find("Product Viewed");
    d.time = EventTime(time_ms);
    b.add(d);
    ASSERT_TRUE(engine->source().submit(b.finish()).status.is_ok());
  }
};

TEST(Watermark, AKeyGroupWithoutTrafficStillSeesTimePass) {
  LiveEngine live(TimeMode::kReplay, 100);
  auto [on_w0, on_w1] = keys_on_two_workers(16);
  live.send(on_w1, 1000);  // arms a timer at 1100 on worker 1
  for (int64_t t = 1001; t <= 1200; t += 50)
    live.send(on_w0, t);  // only worker 0 gets events
  ASSERT_TRUE(live.engine->sync().is_ok());
  auto fired = live.fired->records();
  ASSERT_FALSE(fired.empty());
  bool saw_w1 = false;
  for (const auto& r : fired)
    saw_w1 |= r.key == on_w1 && r.time == EventTime(1100);
  EXPECT_TRUE(saw_w1) << "the timer of the quiet worker did not fire";
}

TEST(Watermark, IdleLiveInputFollowsTheClock) {
  LiveEngine live(TimeMode::kLive);
  live.send("u1", live.clock.now().value());  // timer due one minute later
  live.engine->source().tick();
  ASSERT_TRUE(live.engine->sync().is_ok());
  EXPECT_EQ(live.fired->size(), 0u);

  live.clock.advance(30'000);
  live.engine->source().tick();
  ASSERT_TRUE(live.engine->sync().is_ok());
  EXPECT_EQ(live.fired->size(), 0u) << "30 s later the timer is not due yet";

  live.clock.advance(31'000);
  live.engine->source().tick();
  ASSERT_TRUE(live.engine->sync().is_ok());
  EXPECT_EQ(live.fired->size(), 1u) << "61 s later the idle watermark has passed the timer";
}

TEST(Watermark, ReplayIgnoresTheClock) {
  LiveEngine replay(TimeMode::kReplay);
  replay.send("u1", 5000);
  replay.clock.advance(3'600'000);
  replay.engine->source().tick();
  ASSERT_TRUE(replay.engine->sync().is_ok());
  EXPECT_EQ(replay.fired->size(), 0u);
  EXPECT_EQ(replay.engine->source().watermark(), EventTime(5000));
}

TEST(Watermark, AClientClockFarAheadCannotDragItIntoTheFuture) {
  LiveEngine live(TimeMode::kLive);
  const int64_t now = live.clock.now().value();
  live.send("u1", now + 86'400'000);  // a day ahead
  EXPECT_EQ(live.engine->source().watermark(), EventTime(now + 10'000));
}

TEST(Watermark, NeverMovesBackwards) {
  LiveEngine replay(TimeMode::kReplay);
  replay.send("u1", 5000);
  replay.send("u1", 3000);
  EXPECT_EQ(replay.engine->source().watermark(), EventTime(5000));
  replay.engine->source().advance_watermark(EventTime(4000));
  EXPECT_EQ(replay.engine->source().watermark(), EventTime(5000));
}

}  // namespace
}  // namespace eddy
