#include <gtest/gtest.h>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "runtime/batch_builder.h"
#include "runtime/engine.h"
#include "runtime/topology_builder.h"
#include "tests/harness/test_operators.h"

namespace eddy {
namespace {

// Events of `type` counted per customer, then, behind a key_by product, an operator of
// `second_kind` per product; or the first stage alone.
TopologySpec topology(std::string_view type, bool two_stages = true,
                      std::string_view second_kind = "keyed_counter") {
  TopologyBuilder b("snapshots", testing::test_registry());
  b.accept_types({type}).stage("customers", "customer");
  b.op("per_customer", "keyed_counter", {{"label", "views"}});
  if (two_stages) {
    b.key_by("products", "product", [](const EventRef& e) {
       return e.item();
     }).op("per_product", std::string(second_kind), {{"label", "views"}});
  }
  auto spec = b.build();
  EXPECT_TRUE(spec.is_ok()) << spec.status().to_string();
  return std::move(spec).value();
}

TopologySpec counting(bool two_stages) {
  return topology("Product Viewed", two_stages);
}

// Tight inboxes and small exchange batches make senders run out of room while barriers align.
EngineOptions options(uint32_t workers, bool tight) {
  EngineOptions o;
  o.settings.workers = workers;
  if (tight) {
    o.settings.inbox_capacity_events = 64;
    o.settings.exchange_batch_events = 4;
  }
  o.settings.key_groups = 16;
  o.settings.time_mode = TimeMode::kManual;
  o.run_ticker = false;
  return o;
}

std::unique_ptr<Engine> start(const TopologySpec& spec, EngineOptions o) {
  auto engine = Engine::create(spec, std::move(o));
  EXPECT_TRUE(engine.is_ok()) << engine.status().to_string();
  EXPECT_TRUE((*engine)->start().is_ok());
  return std::move(engine).value();
}

std::unique_ptr<Engine> start(uint32_t workers, bool two_stages = false, bool tight = false) {
  return start(counting(two_stages), options(workers, tight));
}

// Events `first`.. of 37 customers and 11 products, each at its number as event time.
void feed(Engine& e, int first, int count, std::string_view type = "Product Viewed") {
  BatchBuilder b;
  EventDraft d;
  d.type = e.topology().types().find(type);
  d.amount = 10;
  for (int i = first; i < first + count; ++i) {
    const std::string key = "c" + std::to_string(i % 37);
    d.key = key;
    const std::string item = "p" + std::to_string(i % 11);
    d.item = item;
    d.time = EventTime(i);
    b.add(d);
  }
  const EventBatch batch = b.finish();
  // A tight inbox says busy until the workers have made room: try again, as ingest's callers do.
  for (int attempt = 0; attempt < 100000; ++attempt) {
    const Status s = e.source().submit(batch).status;
    if (s.code() != Errc::kBusy) {
      ASSERT_TRUE(s.is_ok()) << s.to_string();
      return;
    }
    std::this_thread::yield();
  }
  FAIL() << "the engine stayed busy";
}

int64_t count_of(Engine& e, int customer) {
  auto answer = e.query_key_sync(StageId(0), "c" + std::to_string(customer));
  if (!answer) return -1;
  return answer->at("views").at("count").to_number<int64_t>();
}

int64_t product_count_of(Engine& e, int product) {
  auto answer = e.query_key_sync(StageId(1), "p" + std::to_string(product));
  if (!answer) return -1;
  return answer->at("views").at("count").to_number<int64_t>();
}

// A snapshot under way: the groups handed over so far, and its end with the worst pause.
struct Collector {
  Status begin(Engine& e) {
    return e.snapshot_key_groups(
        [this](Engine::KeyGroupState g) {
          std::lock_guard lock(mu);
          groups.push_back(std::move(g));
        },
        [this](std::chrono::microseconds worst) { done.set_value(worst); });
  }

  std::mutex mu;
  std::vector<Engine::KeyGroupState> groups;
  std::promise<std::chrono::microseconds> done;
};

std::vector<Engine::KeyGroupState> snapshot(Engine& e, std::chrono::microseconds* pause) {
  Collector c;
  const Status s = c.begin(e);
  EXPECT_TRUE(s.is_ok()) << s.to_string();
  *pause = c.done.get_future().get();
  return std::move(c.groups);
}

// Begins a snapshot after events 0-999 and feeds 1000-2999 while the workers copy their groups one
// by one: each event either waits for its group's copy or goes to a group already copied.
void snapshot_while_feeding(Engine& live, Collector& snap) {
  ASSERT_TRUE(snap.begin(live).is_ok());
  for (int b = 0; b < 40; ++b)
    feed(live, 1000 + b * 50, 50);
  // A sync promises everything before it was handled, held input included: it finishes the copy.
  ASSERT_TRUE(live.sync().is_ok());
}

TEST(EngineSnapshot, KeyGroupsRestoreOnAnotherWorkerCountAndGoOnAsIfNeverStopped) {
  auto first = start(2);
  feed(*first, 0, 1000);
  // No sync: the snapshot itself follows everything this thread submitted before it.
  std::chrono::microseconds pause{};
  std::vector<Engine::KeyGroupState> groups = snapshot(*first, &pause);
  EXPECT_EQ(groups.size(), 16u);
  EXPECT_GE(pause.count(), 0);
  feed(*first, 1000, 500);
  ASSERT_TRUE(first->sync().is_ok());

  auto second = start(3);
  ASSERT_TRUE(second->restore_key_groups(std::move(groups)).is_ok());
  feed(*second, 1000, 500);
  ASSERT_TRUE(second->sync().is_ok());
  for (int c = 0; c < 37; ++c)
    EXPECT_EQ(count_of(*second, c), count_of(*first, c)) << "c" << c;
  EXPECT_GT(count_of(*second, 0), 0);
}

TEST(EngineSnapshot, InputThatArrivesWhileGroupsAreCopiedIsInNoCopyAndIsNotLost) {
  auto live = start(2);
  feed(*live, 0, 1000);
  Collector snap;
  ASSERT_NO_FATAL_FAILURE(snapshot_while_feeding(*live, snap));
  int64_t total = 0;
  for (int c = 0; c < 37; ++c)
    total += count_of(*live, c);
  EXPECT_EQ(total, 3000);
  snap.done.get_future().wait();

  auto reference = start(1);
  feed(*reference, 0, 1000);
  ASSERT_TRUE(reference->sync().is_ok());
  auto restored = start(3);
  ASSERT_TRUE(restored->restore_key_groups(std::move(snap.groups)).is_ok());
  for (int c = 0; c < 37; ++c)
    EXPECT_EQ(count_of(*restored, c), count_of(*reference, c)) << "c" << c;
}

TEST(EngineSnapshot, ADamagedKeyGroupIsRefusedByName) {
  auto first = start(1);
  feed(*first, 0, 100);
  std::chrono::microseconds pause{};
  std::vector<Engine::KeyGroupState> groups = snapshot(*first, &pause);
  ASSERT_FALSE(groups.empty());
  groups[0].bytes.resize(groups[0].bytes.size() / 2);
  const uint32_t damaged = groups[0].group.value();
  auto second = start(2);
  const Status s = second->restore_key_groups(std::move(groups));
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("key group " + std::to_string(damaged)), std::string::npos)
      << s.message();
}

// The cut through an exchange: every stage's state as of the same point of the input, nothing of
// what came after it and nothing in flight lost, while input keeps arriving during the snapshot.
void expect_two_stage_cut(uint32_t workers, bool tight) {
  auto live = start(workers, /*two_stages=*/true, tight);
  feed(*live, 0, 1000);
  Collector snap;
  ASSERT_NO_FATAL_FAILURE(snapshot_while_feeding(*live, snap));
  snap.done.get_future().wait();
  ASSERT_EQ(snap.groups.size(), 16u);
  int64_t total = 0;
  for (int p = 0; p < 11; ++p)
    total += product_count_of(*live, p);
  EXPECT_EQ(total, 3000) << "every event reached the second stage once";

  auto reference = start(1, /*two_stages=*/true);
  feed(*reference, 0, 1000);
  ASSERT_TRUE(reference->sync().is_ok());
  auto restored = start(3, /*two_stages=*/true);
  ASSERT_TRUE(restored->restore_key_groups(snap.groups).is_ok());
  for (int c = 0; c < 37; ++c)
    EXPECT_EQ(count_of(*restored, c), count_of(*reference, c)) << "c" << c;
  for (int p = 0; p < 11; ++p)
    EXPECT_EQ(product_count_of(*restored, p), product_count_of(*reference, p)) << "p" << p;

  // And it goes on as if never stopped.
  feed(*restored, 1000, 2000);
  ASSERT_TRUE(restored->sync().is_ok());
  for (int p = 0; p < 11; ++p)
    EXPECT_EQ(product_count_of(*restored, p), product_count_of(*live, p)) << "p" << p;
}

TEST(EngineSnapshot, BarriersAlignAcrossAnExchange) {
  expect_two_stage_cut(2, /*tight=*/false);
}

TEST(EngineSnapshot, BarriersAlignWhileSendersRunOutOfRoom) {
  expect_two_stage_cut(3, /*tight=*/true);
}

TEST(EngineSnapshot, SnapshotsFollowOneAnotherThroughAnExchange) {
  auto live = start(2, /*two_stages=*/true, /*tight=*/true);
  std::mutex mu;
  std::map<int, size_t> groups_of;
  std::atomic<int> finished{0};
  for (int n = 0; n < 5; ++n) {
    feed(*live, n * 200, 200);
    ASSERT_TRUE(live->snapshot_key_groups(
                        [&, n](Engine::KeyGroupState) {
                          std::lock_guard lock(mu);
                          ++groups_of[n];
                        },
                        [&](std::chrono::microseconds) { ++finished; })
                    .is_ok());
  }
  ASSERT_TRUE(live->sync().is_ok());
  EXPECT_EQ(finished.load(), 5);
  for (int n = 0; n < 5; ++n)
    EXPECT_EQ(groups_of[n], 16u) << "snapshot " << n;
}

// RFM's quintiles are a global aggregate: at each epoch of event time every worker publishes its
// part and waits for all the others'. Behind an exchange, a worker waiting there stops taking its
// stage's input, while another worker's alignment keeps back the watermark it needs to get there.
TEST(EngineSnapshot, GlobalAggregatesBehindAnExchangeDoNotDeadlockASnapshot) {
  EngineOptions o = options(3, /*tight=*/true);
  o.settings.global_aggregate_interval_ms = 5;
  o.settings.time_mode = TimeMode::kReplay;
  auto engine = start(topology("Order Completed", true, "rfm"), std::move(o));
  Engine& e = *engine;
  int snapshots_done = 0;
  std::mutex mu;
  for (int round = 0; round < 20; ++round) {
    ASSERT_TRUE(e.snapshot_key_groups([](Engine::KeyGroupState) {},
                                      [&](std::chrono::microseconds) {
                                        std::lock_guard lock(mu);
                                        ++snapshots_done;
                                      })
                    .is_ok());
    for (int batch = 0; batch < 10; ++batch)
      ASSERT_NO_FATAL_FAILURE(feed(e, (round * 10 + batch) * 16, 16, "Order Completed"))
          << "round " << round;
  }
  ASSERT_TRUE(e.sync(std::chrono::seconds(60)).is_ok());
  std::lock_guard lock(mu);
  EXPECT_EQ(snapshots_done, 20);
}

// A command for a later stage travels behind the input sent before it, as a snapshot's barrier
// does: the snapshot holds the commands sent before it and none sent after, however far behind
// the later stage is.
TEST(EngineSnapshot, CommandsToALaterStageFallOnTheirSideOfTheCut) {
  const TopologySpec labels = topology("Product Viewed", true, "labeller");
  auto label_of = [](Engine& e, int product) {
    auto answer = e.query_key_sync(StageId(1), "p" + std::to_string(product));
    return answer ? std::string(answer->at("label").as_string()) : std::string("no answer");
  };
  auto live = start(labels, options(2, /*tight=*/true));
  for (int round = 0; round < 10; ++round) {
    feed(*live, 0, 20);  // every product has a key in the second stage
    ASSERT_TRUE(live->sync().is_ok());
    ASSERT_TRUE(live->command("per_product", {{"label", "before"}}).is_ok());
    // A backlog in front of the second stage, then the cut, then a command the cut must not hold.
    for (int b = 0; b < 10; ++b)
      feed(*live, 20 + b * 50, 50);
    Collector snap;
    ASSERT_TRUE(snap.begin(*live).is_ok());
    ASSERT_TRUE(live->command("per_product", {{"label", "after"}}).is_ok());
    ASSERT_TRUE(live->sync().is_ok());
    snap.done.get_future().wait();
    EXPECT_EQ(label_of(*live, 0), "after");

    auto restored = start(labels, options(3, /*tight=*/true));
    ASSERT_TRUE(restored->restore_key_groups(std::move(snap.groups)).is_ok());
    for (int p = 0; p < 11; ++p)
      ASSERT_EQ(label_of(*restored, p), "before") << "round " << round << ", p" << p;
    (void)restored->stop();
  }
}

// RFM's scores come from a merge over every key group that is made when the watermark enters an
// epoch. A restored engine must score as the engine it was taken from did: the events replayed
// after a restore, before any watermark, must not see every customer scored 0 (which would take
// them out of segments on RFM and put them back at the next epoch).
TEST(EngineSnapshot, RestoredRfmScoresAsBeforeUntilTheNextEpoch) {
  TopologyBuilder b("rfm_segments", testing::test_registry());
  b.accept_types({"Order Completed", "Product Viewed", "Segment Entered", "Segment Exited"})
      .stage("customers", "customer")
      .op("rfm", "rfm")
      .op("segments", "segments",
          {{"segments",
            boost::json::array{boost::json::object{{"id", "scored"}, {"enter", "rfm.m >= 1"}}}}});
  auto built = b.build();
  ASSERT_TRUE(built.is_ok()) << built.status().to_string();
  const TopologySpec spec = std::move(built).value();
  auto profile = [](Engine& e, int customer) {
    auto answer = e.query_key_sync(StageId(0), "c" + std::to_string(customer));
    return answer ? boost::json::serialize(*answer) : answer.status().to_string();
  };
  const int minute = 60'000;
  auto live = start(spec, options(2, /*tight=*/false));
  feed(*live, 0, 37, "Order Completed");
  live->source().advance_watermark(EventTime(2 * minute));
  // Scored now: every customer enters the segment at their next order.
  feed(*live, 3 * minute, 37, "Order Completed");
  ASSERT_TRUE(live->sync().is_ok());
  std::chrono::microseconds pause{};
  const std::vector<Engine::KeyGroupState> groups = snapshot(*live, &pause);

  auto restored = start(spec, options(2, /*tight=*/false));
  ASSERT_TRUE(restored->restore_key_groups(groups).is_ok());
  feed(*live, 4 * minute, 37, "Order Completed");
  feed(*restored, 4 * minute, 37, "Order Completed");
  ASSERT_TRUE(live->sync().is_ok());
  ASSERT_TRUE(restored->sync().is_ok());
  for (int c = 0; c < 37; ++c) {
    const std::string before = profile(*live, c);
    ASSERT_NE(before.find("\"scored\""), std::string::npos) << before;
    EXPECT_EQ(profile(*restored, c), before) << "c" << c;
  }
  (void)restored->stop();
}

}  // namespace
}  // namespace eddy
