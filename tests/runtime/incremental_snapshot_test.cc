#include "runtime/incremental_snapshot.h"

#include <gtest/gtest.h>

#include "runtime/batch_builder.h"
#include "runtime/key_hash.h"

namespace eddy {
namespace {

constexpr uint32_t kGroups = 4;

// A key whose group is `group`, found by trying names.
std::string key_in(uint32_t group, int nth = 0) {
  for (int i = 0;; ++i) {
    std::string key = "k" + std::to_string(i);
    if (key_group_of(hash_key(key), kGroups).value() == group && nth-- == 0) return key;
  }
}

EventBatch batch_of(const std::vector<std::string>& keys) {
  BatchBuilder b;
  EventDraft d;
  d.type = EventType(1);
  int64_t t = 0;
  for (const std::string& k : keys) {
    d.key = k;
    d.time = EventTime(++t);
    b.add(d);
  }
  return b.finish();
}

IncrementalSnapshot make(const std::vector<KeyGroup>& owned) {
  return IncrementalSnapshot(owned, kGroups, nullptr);
}

TEST(IncrementalSnapshot, EventsOfPendingGroupsAreHeldAndTheRestPassInOrder) {
  IncrementalSnapshot snap = make({KeyGroup(0), KeyGroup(2)});  // groups 1 and 3 are not ours
  const std::vector<std::string> keys = {key_in(0), key_in(1), key_in(2), key_in(0, 1), key_in(3)};
  const EventBatch passed = snap.hold(batch_of(keys));
  ASSERT_EQ(passed.size(), 2u);  // other workers' groups are not held (nor routed here)
  EXPECT_EQ(passed.events[0].time, EventTime(2));
  EXPECT_EQ(passed.events[1].time, EventTime(5));
  EXPECT_EQ(snap.held_events(), 3u);

  // Group 0 has two events held, group 2 one: group 0 is copied first.
  ASSERT_EQ(snap.next(), KeyGroup(0));
  const std::vector<EventBatch> held = snap.taken(KeyGroup(0), std::chrono::microseconds(7));
  ASSERT_EQ(held.size(), 1u);
  ASSERT_EQ(held[0].size(), 2u);
  EXPECT_EQ(held[0].events[0].time, EventTime(1));
  EXPECT_EQ(held[0].events[1].time, EventTime(4));
  EXPECT_FALSE(snap.pending(KeyGroup(0)));
  EXPECT_EQ(snap.held_events(), 1u);

  // Once copied, a group's events pass.
  EXPECT_EQ(snap.hold(batch_of({key_in(0, 2)})).size(), 1u);
  ASSERT_EQ(snap.next(), KeyGroup(2));
  EXPECT_EQ(snap.taken(KeyGroup(2), std::chrono::microseconds(3)).size(), 1u);
  EXPECT_TRUE(snap.finished());
  EXPECT_EQ(snap.next(), std::nullopt);
  EXPECT_EQ(snap.worst_pause(), std::chrono::microseconds(7));
}

TEST(IncrementalSnapshot, TheLatestWatermarkOfEachSenderIsHeldForTheEnd) {
  IncrementalSnapshot snap = make({KeyGroup(1)});
  EXPECT_TRUE(snap.held_watermarks().empty());
  snap.hold_watermark(1, EventTime(50));
  snap.hold_watermark(0, EventTime(20));
  snap.hold_watermark(1, EventTime(30));
  const std::vector<std::pair<uint32_t, EventTime>> expected = {{1, EventTime(50)},
                                                                {0, EventTime(20)}};
  EXPECT_EQ(snap.held_watermarks(), expected);
}

TEST(IncrementalSnapshot, HeldEventsOfSeveralBatchesKeepTheirOrder) {
  IncrementalSnapshot snap = make({KeyGroup(3)});
  (void)snap.hold(batch_of({key_in(3), key_in(3, 1)}));
  (void)snap.hold(batch_of({key_in(3, 2)}));
  const std::vector<EventBatch> held = snap.taken(KeyGroup(3), std::chrono::microseconds(0));
  ASSERT_EQ(held.size(), 2u);
  EXPECT_EQ(held[0].size(), 2u);
  EXPECT_EQ(held[1].size(), 1u);
  EXPECT_EQ(snap.held_events(), 0u);
}

}  // namespace
}  // namespace eddy
