#include "runtime/stage_instance.h"

#include <gtest/gtest.h>

#include "runtime/batch_builder.h"
#include "runtime/key_hash.h"
#include "runtime/topology_builder.h"
#include "tests/harness/test_operators.h"

namespace eddy {
namespace {

// Records what leaves the instance, in order.
class Recorder final : public StageOutput {
 public:
  void output(StageId, const EventRef& e) override {
    out.push_back(std::string(e.key()) + "@" + std::to_string(e.time().value()));
  }
  void side_output(StageId, std::string_view name, const EventRef& e) override {
    out.push_back(std::string(name) + ":" + std::string(e.key()));
  }
  void rejected(StageId, std::string_view reason, const EventRef& e) override {
    out.push_back(std::string(reason) + ":" + std::string(e.key()));
  }
  std::vector<std::string> out;
};

TopologySpec spec() {
  auto s = TopologyBuilder("t", testing::test_registry())
               .accept_types({"Product Viewed", "Order Completed", "Timer Fired", "Cancel"})
               .stage("profiles")
               .op("drop_orders", "drop_type", {{"type", "Order Completed"}})
               .op("count", "keyed_counter", {{"label", "count"}})
               .op("echo", "timer_echo", {{"delay_ms", 100}})
               .build();
  EXPECT_TRUE(s.is_ok()) << s.status().to_string();
  return std::move(s).value();
}

void feed(StageInstance& inst, Recorder& out, const EventTypeRegistry& types,
          std::initializer_list<std::pair<const char*, int64_t>> events, EventTime wm) {
  BatchBuilder b;
  for (auto [key, t] : events) {
    EventDraft d;
    d.key = key;
    d.type = types.find("Product Viewed");
    d.time = EventTime(t);
    b.add(d);
  }
  EventBatch batch = b.finish();
  for (const Event& e : batch.events)
    inst.on_event(EventRef(e, *batch.payload), wm, out);
}

TEST(StageInstance, DroppedEventsStopAndPassedEventsReachTheOutput) {
  TopologySpec s = spec();
  auto inst = StageInstance::create(s, StageId(0), KeyGroup(0), EventTime(0));
  ASSERT_TRUE(inst.is_ok());
  Recorder out;
  BatchBuilder b;
  EventDraft d;
  d.key = "u1";
  d.type = s.types().find("Order Completed");
  b.add(d);
  d.type = s.types().find("Product Viewed");
  d.time = EventTime(5);
  b.add(d);
  EventBatch batch = b.finish();
  for (const Event& e : batch.events)
    (*inst)->on_event(EventRef(e, *batch.payload), kMinEventTime, out);
  EXPECT_EQ(out.out, std::vector<std::string>{"u1@5"});
  auto q = (*inst)->query(hash_key("u1"), EventTime(0));
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->at("count").at("count").as_uint64(), 1u)
      << "the dropped order never reached the counter";
}

TEST(StageInstance, RestoringASnapshotContinuesExactlyLikeTheOriginal) {
  TopologySpec s = spec();
  const auto& types = s.types();
  auto original = StageInstance::create(s, StageId(0), KeyGroup(3), EventTime(0));
  ASSERT_TRUE(original.is_ok());
  Recorder before;
  feed(**original, before, types, {{"u1", 1000}, {"u2", 1010}, {"u1", 1020}}, EventTime(900));

  StateWriter w;
  (*original)->snapshot(w);
  auto restored = StageInstance::create(s, StageId(0), KeyGroup(3), EventTime(0));
  ASSERT_TRUE(restored.is_ok());
  StateReader r(w.bytes());
  ASSERT_TRUE((*restored)->restore(r).is_ok());
  EXPECT_TRUE(r.at_end());
  EXPECT_EQ((*restored)->slots().size(), 2u);
  EXPECT_EQ((*restored)->timer_count(), (*original)->timer_count());

  // The same further input gives the same outputs and the same state.
  Recorder a, b;
  feed(**original, a, types, {{"u3", 1030}, {"u1", 1040}}, EventTime(1000));
  feed(**restored, b, types, {{"u3", 1030}, {"u1", 1040}}, EventTime(1000));
  (*original)->on_watermark(EventTime(2000), a);
  (*restored)->on_watermark(EventTime(2000), b);
  EXPECT_EQ(a.out, b.out);
  EXPECT_FALSE(a.out.empty());
  for (const char* key : {"u1", "u2", "u3"}) {
    EXPECT_EQ((*original)->query(hash_key(key), EventTime(0)),
              (*restored)->query(hash_key(key), EventTime(0)))
        << key;
  }
}

TEST(StageInstance, RejectsTruncatedOrMismatchedSnapshots) {
  TopologySpec s = spec();
  auto inst = StageInstance::create(s, StageId(0), KeyGroup(0), EventTime(0));
  ASSERT_TRUE(inst.is_ok());
  Recorder out;
  feed(**inst, out, s.types(), {{"u1", 1}, {"u2", 2}}, kMinEventTime);
  StateWriter w;
  (*inst)->snapshot(w);
  const std::string bytes = w.bytes();
  for (size_t cut : {size_t{0}, size_t{5}, bytes.size() / 2, bytes.size() - 1}) {
    auto fresh = StageInstance::create(s, StageId(0), KeyGroup(0), EventTime(0));
    StateReader r(std::string_view(bytes).substr(0, cut));
    Status st = (*fresh)->restore(r);
    EXPECT_EQ(st.code(), Errc::kCorrupt) << "cut at " << cut << ": " << st.to_string();
  }
}

}  // namespace
}  // namespace eddy
