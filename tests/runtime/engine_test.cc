#include "runtime/engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

#include "runtime/batch_builder.h"
#include "runtime/topology_builder.h"
#include "tests/harness/counting_sink.h"
#include "tests/harness/harness.h"
#include "tests/harness/test_operators.h"

namespace eddy {
namespace {

using testing::test_registry;

using testing::CountingSink;

TopologySpec counter_topology() {
  auto spec = TopologyBuilder("counting", test_registry())
                  .accept_types({"Product Viewed", "Order Completed"})
                  .stage("profiles")
                  .op("reject", "reject_negative")
                  .op("count", "keyed_counter", {{"label", "events"}})
                  .sink("all")
                  .build();
  EXPECT_TRUE(spec.is_ok()) << spec.status().to_string();
  return std::move(spec).value();
}

EventBatch make_batch(const EventTypeRegistry& types, int first, int count, int keys) {
  BatchBuilder b;
  EventDraft d;
  d.type = types.find("Product Viewed");
  for (int i = first; i < first + count; ++i) {
    std::string key = "c" + std::to_string(i % keys);
    d.key = key;
    d.time = EventTime(i);
    b.add(d);
  }
  return b.finish();
}

struct Running {
  std::unique_ptr<Engine> engine;
  std::shared_ptr<CountingSink> sink;
};

Running make_engine(uint32_t workers, int64_t capacity, bool start = true) {
  EngineOptions o;
  o.settings.workers = workers;
  o.settings.key_groups = 32;
  o.settings.inbox_capacity_events = capacity;
  o.settings.time_mode = TimeMode::kManual;
  o.run_ticker = false;
  auto sink = std::make_shared<CountingSink>();
  o.sinks["all"] = sink;
  auto engine = Engine::create(counter_topology(), std::move(o));
  EXPECT_TRUE(engine.is_ok()) << engine.status().to_string();
  if (start) {
    EXPECT_TRUE((*engine)->start().is_ok());
  }
  return {std::move(engine).value(), sink};
}

TEST(Engine, AFullInboxSaysBusyAndLosesNothing) {
  Running r = make_engine(2, 100, /*start=*/false);
  const auto& types = r.engine->topology().types();
  uint64_t accepted = 0;
  int next = 0;
  int busy = 0;
  // The workers are not running yet, so the inboxes fill up.
  while (busy == 0) {
    SubmitResult s = r.engine->source().submit(make_batch(types, next, 10, 1000));
    if (s.status.code() == Errc::kBusy) {
      ++busy;
      EXPECT_EQ(s.accepted, 0u);
    } else {
      ASSERT_TRUE(s.status.is_ok());
      accepted += s.accepted;
    }
    next += 10;
    ASSERT_LT(next, 10'000) << "the inbox never filled up";
  }
  EXPECT_LE(accepted, 200u);
  EXPECT_GE(accepted, 100u);
  ASSERT_TRUE(r.engine->start().is_ok());
  ASSERT_TRUE(r.engine->sync().is_ok());
  EXPECT_EQ(r.sink->events(), accepted);
  auto m = r.engine->metrics();
  ASSERT_TRUE(m.is_ok());
  EXPECT_EQ(m->source.accepted, accepted);
  EXPECT_EQ(m->source.busy_batches, 1u);
  uint64_t processed = 0;
  int64_t cpu_micros = 0;
  for (const auto& w : m->workers) {
    processed += w.events_processed;
    cpu_micros += w.cpu_micros;
  }
  EXPECT_EQ(processed, accepted);
  EXPECT_GT(cpu_micros, 0) << "the workers' threads burnt no CPU time";
}

TEST(Engine, ShutdownDrainsEverythingAccepted) {
  for (uint32_t workers : {1u, 2u, 3u}) {
    SCOPED_TRACE(workers);
    Running r = make_engine(workers, 4096);
    const auto& types = r.engine->topology().types();
    uint64_t accepted = 0;
    for (int i = 0; i < 200; ++i) {
      EventBatch batch = make_batch(types, i * 500, 500, 10'000);
      while (true) {
        SubmitResult s = r.engine->source().submit(batch);
        if (s.status.code() == Errc::kBusy) {
          std::this_thread::yield();
          continue;
        }
        ASSERT_TRUE(s.status.is_ok());
        accepted += s.accepted;
        break;
      }
    }
    // No sync: stop() itself must drain what was accepted.
    ASSERT_TRUE(r.engine->stop().is_ok());
    EXPECT_EQ(accepted, 100'000u);
    EXPECT_EQ(r.sink->events(), accepted);
    EXPECT_EQ(r.engine->source().submit(make_batch(types, 0, 1, 1)).status.code(), Errc::kStopped);
    EXPECT_EQ(r.engine->query_key_sync(StageId(0), "c1").status().code(), Errc::kStopped);
    EXPECT_EQ(r.engine->sync().code(), Errc::kStopped);
  }
}

TEST(Engine, RejectsEventsWithoutKeyOrWithUnknownTypeAndKeepsGoing) {
  Running r = make_engine(2, 1000);
  const auto& types = r.engine->topology().types();
  BatchBuilder b;
  EventDraft d;
  d.type = types.find("Product Viewed");
  d.key = "good1";
  b.add(d);
  d.key = "";
  b.add(d);  // index 1: no key
  d.key = "good2";
  d.type = EventType(999);
  b.add(d);  // index 2: unknown type
  d.type = types.find("Order Completed");
  b.add(d);
  SubmitResult s = r.engine->source().submit(b.finish());
  ASSERT_TRUE(s.status.is_ok());
  EXPECT_EQ(s.accepted, 2u);
  ASSERT_EQ(s.rejected.size(), 2u);
  EXPECT_EQ(s.rejected[0].index, 1u);
  EXPECT_EQ(s.rejected[0].reason, RejectReason::kMissingKey);
  EXPECT_EQ(s.rejected[1].index, 2u);
  EXPECT_EQ(s.rejected[1].reason, RejectReason::kUnknownEventType);
  EXPECT_STREQ(reject_reason_code(s.rejected[1].reason), "unknown_event_type");
  ASSERT_TRUE(r.engine->sync().is_ok());
  EXPECT_EQ(r.sink->events(), 2u);
  auto m = r.engine->metrics();
  ASSERT_TRUE(m.is_ok());
  EXPECT_EQ(m->source.rejected[static_cast<size_t>(RejectReason::kMissingKey)], 1u);
  EXPECT_EQ(m->source.rejected[static_cast<size_t>(RejectReason::kUnknownEventType)], 1u);
}

TEST(Engine, OperatorRejectionsAreCountedAndSideOutput) {
  auto h = testing::Harness::create(counter_topology(), {});
  ASSERT_TRUE(h.is_ok());
  using testing::ev;
  ASSERT_TRUE((*h)->run({ev("u1", "Order Completed", 1).amount(10),
                         ev("u1", "Order Completed", 2).amount(-5),
                         ev("u2", "Order Completed", 3).amount(-1)})
                  .is_ok());
  EXPECT_EQ((*h)->sink("all").size(), 1u);
  EXPECT_EQ((*h)->side_output("rejected").size(), 2u);
  auto m = (*h)->engine().metrics();
  ASSERT_TRUE(m.is_ok());
  EXPECT_EQ(m->workers[0].rejected.at("negative_amount"), 2u);
  auto q = (*h)->query("profiles", "u1");
  ASSERT_TRUE(q.is_ok());
  EXPECT_EQ(q->at("events").at("count").as_uint64(), 1u);
}

TEST(Engine, AnswersKeyQueriesOnTheOwnerAndGathersOverAllWorkers) {
  Running r = make_engine(3, 1 << 16);
  const auto& types = r.engine->topology().types();
  ASSERT_TRUE(r.engine->source().submit(make_batch(types, 0, 3000, 300)).status.is_ok());
  ASSERT_TRUE(r.engine->sync().is_ok());

  auto q = r.engine->query_key_sync(StageId(0), "c7");
  ASSERT_TRUE(q.is_ok()) << q.status().to_string();
  EXPECT_EQ(q->at("events").at("count").as_uint64(), 10u);
  EXPECT_EQ(r.engine->query_key_sync(StageId(0), "nobody").status().code(), Errc::kNotFound);

  std::atomic<size_t> keys{0};
  std::promise<void> done;
  ASSERT_TRUE(r.engine
                  ->run_on_all(
                      [&](Worker& w) {
                        for (KeyGroup g : w.owned_groups())
                          keys += w.instance(StageId(0), g)->slots().key_count();
                      },
                      [&] { done.set_value(); })
                  .is_ok());
  ASSERT_EQ(done.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(keys.load(), 300u);
}

TEST(Engine, RefusesUnboundSinksAndBadSettings) {
  EngineOptions o;
  o.run_ticker = false;
  auto missing = Engine::create(counter_topology(), o);
  ASSERT_FALSE(missing.is_ok());
  EXPECT_NE(missing.status().message().find("sink 'all'"), std::string::npos);

  o.sinks["all"] = std::make_shared<CountingSink>();
  o.settings.workers = 64;
  o.settings.key_groups = 8;
  auto bad = Engine::create(counter_topology(), o);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), Errc::kInvalidArgument);
}

TEST(Engine, TooManyWaitingQueriesAreBusy) {
  EngineOptions o;
  o.run_ticker = false;
  o.settings.workers = 1;
  o.settings.max_pending_tasks = 3;
  o.sinks["all"] = std::make_shared<CountingSink>();
  auto engine = Engine::create(counter_topology(), o);
  ASSERT_TRUE(engine.is_ok());
  // Not started: tasks wait in the inbox.
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE((*engine)->query_key(StageId(0), "k", [](Result<boost::json::object>) {}).is_ok());
  }
  EXPECT_EQ((*engine)->query_key(StageId(0), "k", [](Result<boost::json::object>) {}).code(),
            Errc::kBusy);
  ASSERT_TRUE((*engine)->start().is_ok());
  ASSERT_TRUE((*engine)->stop().is_ok());
}

}  // namespace
}  // namespace eddy
