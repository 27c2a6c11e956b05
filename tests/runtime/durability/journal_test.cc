#include "runtime/durability/journal.h"

#include <gtest/gtest.h>

#include <future>

#include "runtime/batch_builder.h"
#include "tests/harness/counting_sink.h"
#include "tests/harness/harness.h"
#include "tests/runtime/durability/counting_topology.h"
#include "tests/runtime/durability/faulty_storage.h"
#include "tests/runtime/durability/temp_dir.h"

namespace eddy {
namespace {

using testing::FaultyStorage;
using testing::TempDir;

using testing::count_of;
using testing::counting_topology;
using testing::CountingSink;

struct Running {
  std::unique_ptr<Engine> engine;
  std::shared_ptr<CountingSink> sink;
};

Running start_engine(uint32_t workers) {
  EngineOptions o;
  o.settings.workers = workers;
  o.settings.key_groups = 16;
  o.settings.time_mode = TimeMode::kManual;
  o.run_ticker = false;
  auto sink = std::make_shared<CountingSink>();
  o.sinks["all"] = sink;
  auto engine = Engine::create(counting_topology(), std::move(o));
  EXPECT_TRUE(engine.is_ok()) << engine.status().to_string();
  EXPECT_TRUE((*engine)->start().is_ok());
  return {std::move(engine).value(), sink};
}

// `count` events for keys c0..c(keys-1); an empty key where `bad_every` says so.
EventBatch make_batch(const EventTypeRegistry& types, int first, int count, int keys,
                      int bad_every = 0) {
  BatchBuilder b;
  EventDraft d;
  d.type = types.find("Product Viewed");
  for (int i = first; i < first + count; ++i) {
    std::string key = (bad_every != 0 && i % bad_every == 0) ? "" : "c" + std::to_string(i % keys);
    d.key = key;
    d.time = EventTime(i);
    b.add(d);
  }
  return b.finish();
}

std::unique_ptr<WriteAheadLog> open_log(const std::string& dir,
                                        std::unique_ptr<WalStorage> storage = nullptr) {
  WalSettings s;
  s.dir = dir;
  s.retry_after_failure_ms = 60'000;
  auto log = WriteAheadLog::open(s, WalReadSummary{}, std::move(storage));
  EXPECT_TRUE(log.is_ok()) << log.status().to_string();
  return std::move(log).value();
}

Status wait_for(const std::shared_ptr<AckLatch>& ack) {
  std::promise<Status> p;
  ack->arm([&p](const Status& s) { p.set_value(s); });
  return p.get_future().get();
}

TEST(Journal, AcknowledgesOnceDurableAndTheEngineHasTheEvents) {
  TempDir dir;
  Running r = start_engine(2);
  auto log = open_log(dir.path());
  Journal journal(*r.engine, *log);
  auto ack = std::make_shared<AckLatch>();
  const EventBatch batch = make_batch(r.engine->topology().types(), 0, 500, 10);
  const SubmitResult result = journal.submit(batch, {}, WallTime(1), ack);
  ASSERT_TRUE(result.status.is_ok());
  EXPECT_EQ(result.accepted, 500u);
  ASSERT_TRUE(wait_for(ack).is_ok());
  ASSERT_TRUE(r.engine->sync().is_ok());
  EXPECT_EQ(r.sink->events(), 500u);
  EXPECT_GE(log->metrics().durable_offset, log->metrics().end_offset);
}

TEST(Journal, AReplayOfTheLogRebuildsTheSameStateAndRemembersTheKeys) {
  TempDir dir;
  std::map<std::string, int64_t> before;
  uint64_t logged_events = 0;
  {
    Running r = start_engine(2);
    auto log = open_log(dir.path());
    Journal journal(*r.engine, *log);
    const auto& types = r.engine->topology().types();
    auto ack = std::make_shared<AckLatch>();
    for (int b = 0; b < 20; ++b) {
      const EventBatch batch = make_batch(types, b * 100, 100, 7, /*bad_every=*/13);
      std::vector<uint64_t> keys(batch.size());
      for (size_t i = 0; i < keys.size(); ++i)
        keys[i] = 1000 + b * 100 + i;
      const SubmitResult result = journal.submit(batch, keys, WallTime(5000 + b), ack);
      ASSERT_TRUE(result.status.is_ok());
      logged_events += result.accepted;
      EXPECT_EQ(result.accepted + result.rejected.size(), 100u);
    }
    ASSERT_TRUE(wait_for(ack).is_ok());
    ASSERT_TRUE(r.engine->sync().is_ok());
    for (int k = 0; k < 7; ++k)
      before["c" + std::to_string(k)] = count_of(*r.engine, "c" + std::to_string(k));
    ASSERT_TRUE(r.engine->stop().is_ok());
  }
  Running again = start_engine(3);
  std::vector<uint64_t> keys_seen;
  ReplayOptions options;
  options.on_idempotency_keys = [&](std::span<const uint64_t> keys, WallTime received) {
    EXPECT_GE(received.value(), 5000);
    keys_seen.insert(keys_seen.end(), keys.begin(), keys.end());
  };
  auto replayed = replay_wal(*again.engine, dir.path(), options);
  ASSERT_TRUE(replayed.is_ok()) << replayed.status().to_string();
  EXPECT_EQ(replayed->events, logged_events);
  EXPECT_EQ(keys_seen.size(), logged_events);
  ASSERT_TRUE(again.engine->sync().is_ok());
  EXPECT_EQ(again.sink->events(), logged_events);
  for (const auto& [key, count] : before)
    EXPECT_EQ(count_of(*again.engine, key), count) << key;
}

TEST(Journal, EventsTheEngineRejectsAreListedAndNeverLogged) {
  TempDir dir;
  Running r = start_engine(1);
  auto log = open_log(dir.path());
  Journal journal(*r.engine, *log);
  auto ack = std::make_shared<AckLatch>();
  const EventBatch all_bad = make_batch(r.engine->topology().types(), 0, 3, 1, /*bad_every=*/1);
  const SubmitResult result = journal.submit(all_bad, {}, WallTime(1), ack);
  EXPECT_TRUE(result.status.is_ok());
  EXPECT_EQ(result.accepted, 0u);
  ASSERT_EQ(result.rejected.size(), 3u);
  EXPECT_EQ(result.rejected[0].reason, RejectReason::kMissingKey);
  EXPECT_TRUE(wait_for(ack).is_ok());
  EXPECT_EQ(log->metrics().records, 0u);
}

TEST(Journal, CommandsAreLoggedAppliedAndReplayedInOrder) {
  TempDir dir;
  {
    Running r = start_engine(1);
    auto log = open_log(dir.path());
    Journal journal(*r.engine, *log);
    std::promise<Status> applied;
    ASSERT_TRUE(journal
                    .command("no_such_operator", boost::json::object{{"x", 1}},
                             [&applied](Status s) { applied.set_value(s); })
                    .is_ok());
    EXPECT_EQ(applied.get_future().get().code(), Errc::kNotFound);
  }
  Running again = start_engine(1);
  auto replayed = replay_wal(*again.engine, dir.path(), {});
  ASSERT_TRUE(replayed.is_ok()) << replayed.status().to_string();
  EXPECT_EQ(replayed->commands, 1u);
  EXPECT_EQ(replayed->refused_commands, 1u);
}

TEST(Journal, ABatchTheLogCannotWriteIsNeitherAcknowledgedNorProcessed) {
  TempDir dir;
  Running r = start_engine(1);
  auto faults = std::make_shared<FaultyStorage::Faults>();
  auto log = open_log(dir.path(), std::make_unique<FaultyStorage>(faults));
  Journal journal(*r.engine, *log);
  faults->failing_writes = 1;
  auto ack = std::make_shared<AckLatch>();
  const SubmitResult result =
      journal.submit(make_batch(r.engine->topology().types(), 0, 50, 5), {}, WallTime(1), ack);
  ASSERT_TRUE(result.status.is_ok());
  EXPECT_EQ(wait_for(ack).code(), Errc::kIo);
  ASSERT_TRUE(r.engine->sync().is_ok());
  EXPECT_EQ(r.sink->events(), 0u);
  // While the disk is failing, batches are refused whole at once.
  auto second = std::make_shared<AckLatch>();
  const SubmitResult refused =
      journal.submit(make_batch(r.engine->topology().types(), 0, 50, 5), {}, WallTime(1), second);
  EXPECT_EQ(refused.status.code(), Errc::kIo);
  EXPECT_EQ(refused.accepted, 0u);
  EXPECT_TRUE(wait_for(second).is_ok());
}

}  // namespace
}  // namespace eddy
