#include <gtest/gtest.h>

#include <future>
#include <mutex>

#include "runtime/batch_builder.h"
#include "runtime/engine.h"
#include "runtime/topology_builder.h"
#include "tests/harness/test_operators.h"

namespace eddy {
namespace {

TopologySpec counting(bool two_stages) {
  TopologyBuilder b("snapshots", testing::test_registry());
  b.accept_types({"Product Viewed"}).stage("customers", "customer");
  b.op("per_customer", "keyed_counter", {{"label", "views"}});
  if (two_stages) {
    b.key_by("products", "product", [](const EventRef& e) {
       return e.item();
     }).op("per_product", "keyed_counter", {{"label", "views"}});
  }
  auto spec = b.build();
  EXPECT_TRUE(spec.is_ok()) << spec.status().to_string();
  return std::move(spec).value();
}

std::unique_ptr<Engine> start(uint32_t workers, bool two_stages = false) {
  EngineOptions o;
  o.settings.workers = workers;
  o.settings.key_groups = 16;
  o.settings.time_mode = TimeMode::kManual;
  o.run_ticker = false;
  auto engine = Engine::create(counting(two_stages), std::move(o));
  EXPECT_TRUE(engine.is_ok()) << engine.status().to_string();
  EXPECT_TRUE((*engine)->start().is_ok());
  return std::move(engine).value();
}

void feed(Engine& e, int first, int count) {
  BatchBuilder b;
  EventDraft d;
  d.type = e.topology().types().find("Product Viewed");
  for (int i = first; i < first + count; ++i) {
    const std::string key = "c" + std::to_string(i % 37);
    d.key = key;
    d.item = "p";
    d.time = EventTime(i);
    b.add(d);
  }
  ASSERT_TRUE(e.source().submit(b.finish()).status.is_ok());
}

int64_t count_of(Engine& e, int customer) {
  auto answer = e.query_key_sync(StageId(0), "c" + std::to_string(customer));
  if (!answer) return -1;
  return answer->at("views").at("count").to_number<int64_t>();
}

std::vector<Engine::KeyGroupState> snapshot(Engine& e, std::chrono::microseconds* pause) {
  std::mutex mu;
  std::vector<Engine::KeyGroupState> groups;
  std::promise<std::chrono::microseconds> done;
  const Status s = e.snapshot_key_groups(
      [&](Engine::KeyGroupState g) {
        std::lock_guard lock(mu);
        groups.push_back(std::move(g));
      },
      [&](std::chrono::microseconds worst) { done.set_value(worst); });
  EXPECT_TRUE(s.is_ok()) << s.to_string();
  *pause = done.get_future().get();
  return groups;
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
  std::mutex mu;
  std::vector<Engine::KeyGroupState> groups;
  std::promise<std::chrono::microseconds> done;
  ASSERT_TRUE(live->snapshot_key_groups(
                      [&](Engine::KeyGroupState g) {
                        std::lock_guard lock(mu);
                        groups.push_back(std::move(g));
                      },
                      [&](std::chrono::microseconds worst) { done.set_value(worst); })
                  .is_ok());
  // Sent while the workers copy their groups one by one: each event either waits for its group's
  // copy or goes to a group already copied.
  for (int b = 0; b < 40; ++b)
    feed(*live, 1000 + b * 50, 50);
  // A sync promises everything before it was handled, held input included: it finishes the copy.
  ASSERT_TRUE(live->sync().is_ok());
  int64_t total = 0;
  for (int c = 0; c < 37; ++c)
    total += count_of(*live, c);
  EXPECT_EQ(total, 3000);
  done.get_future().wait();

  auto reference = start(1);
  feed(*reference, 0, 1000);
  ASSERT_TRUE(reference->sync().is_ok());
  auto restored = start(3);
  ASSERT_TRUE(restored->restore_key_groups(std::move(groups)).is_ok());
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

TEST(EngineSnapshot, TopologiesWithExchangesAreRefusedUntilBarriersAlign) {
  auto engine = start(2, /*two_stages=*/true);
  const Status s =
      engine->snapshot_key_groups([](Engine::KeyGroupState) {}, [](std::chrono::microseconds) {});
  EXPECT_EQ(s.code(), Errc::kInvalidArgument);
}

}  // namespace
}  // namespace eddy
