#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "connectors/ingest/message_dedup.h"

namespace eddy {
namespace {

constexpr WallTime kT0(1'700'000'000'000);

WallTime at(int64_t offset_ms) {
  return WallTime(kT0.value() + offset_ms);
}

MessageIdHash id(const std::string& s) {
  return hash_message_id(s);
}

// A snapshot's entries: 16 bytes each, the id's hash and its claim time.
struct Entry {
  uint64_t id;
  int64_t time;
};

std::vector<Entry> entries_of(const std::string& snapshot) {
  EXPECT_EQ(snapshot.size() % 16, 0u);
  std::vector<Entry> out(snapshot.size() / 16);
  for (size_t i = 0; i < out.size(); ++i) {
    std::memcpy(&out[i].id, snapshot.data() + i * 16, 8);
    std::memcpy(&out[i].time, snapshot.data() + i * 16 + 8, 8);
  }
  return out;
}

MessageDedupSettings window(int64_t ms) {
  MessageDedupSettings s;
  s.window_ms = ms;
  return s;
}

TEST(MessageDedupSnapshot, AnIdClaimedButNotLoggedIsLeftOut) {
  MessageDedup d;
  ASSERT_EQ(d.claim(id("failed"), kT0), DedupClaim::kFirst);
  ASSERT_EQ(d.claim(id("logged"), at(1)), DedupClaim::kFirst);
  d.mark_logged(id("logged"));
  const std::vector<Entry> entries = entries_of(d.snapshot_logged(at(2)));
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].id, id("logged").value());
  EXPECT_EQ(entries[0].time, at(1).value());

  // After a restart from the snapshot, the failed request's retry is taken.
  MessageDedup restored;
  ASSERT_TRUE(restored.restore_logged(d.snapshot_logged(at(2))));
  EXPECT_EQ(restored.claim(id("failed"), at(3)), DedupClaim::kFirst);
  EXPECT_EQ(restored.claim(id("logged"), at(3)), DedupClaim::kDuplicate);
}

TEST(MessageDedupSnapshot, NothingLoggedMakesAnEmptySnapshot) {
  MessageDedup d;
  ASSERT_EQ(d.claim(id("a"), kT0), DedupClaim::kFirst);
  ASSERT_EQ(d.claim(id("b"), kT0), DedupClaim::kFirst);
  EXPECT_EQ(d.snapshot_logged(at(1)), "");
  // Marking an id never claimed, or claimed and released, does not put it in.
  d.mark_logged(id("never"));
  d.release(id("b"), kT0);
  d.mark_logged(id("b"));
  EXPECT_EQ(d.snapshot_logged(at(1)), "");
}

TEST(MessageDedupSnapshot, LoggedIdsComeOldestFirst) {
  MessageDedup d;
  const std::vector<std::pair<std::string, int64_t>> claims = {
      {"m-c", 30}, {"m-a", 10}, {"m-e", 50}, {"m-b", 20}, {"m-d", 40}};
  for (const auto& [name, offset] : claims) {
    ASSERT_EQ(d.claim(id(name), at(offset)), DedupClaim::kFirst) << name;
    d.mark_logged(id(name));
  }
  const std::vector<Entry> entries = entries_of(d.snapshot_logged(at(100)));
  ASSERT_EQ(entries.size(), 5u);
  const std::vector<std::string> oldest_first = {"m-a", "m-b", "m-c", "m-d", "m-e"};
  for (size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(entries[i].id, id(oldest_first[i]).value()) << i;
    EXPECT_EQ(entries[i].time, at(10 * static_cast<int64_t>(i + 1)).value()) << i;
  }
}

TEST(MessageDedupSnapshot, IdsOlderThanTheWindowAreLeftOut) {
  MessageDedup d(window(1000));
  ASSERT_EQ(d.claim(id("old"), kT0), DedupClaim::kFirst);
  ASSERT_EQ(d.claim(id("new"), at(600)), DedupClaim::kFirst);
  d.mark_logged(id("old"));
  d.mark_logged(id("new"));
  EXPECT_EQ(entries_of(d.snapshot_logged(at(999))).size(), 2u);
  // At kT0 + window, "old" is no longer a duplicate, so it is not worth keeping.
  ASSERT_EQ(d.contains(id("old"), at(1000)), false);
  const std::vector<Entry> entries = entries_of(d.snapshot_logged(at(1000)));
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].id, id("new").value());
  EXPECT_EQ(d.snapshot_logged(at(1600)), "");
}

TEST(MessageDedupSnapshot, ARestoredMemoryAnswersDuplicateForItsIdsAndFirstForOthers) {
  MessageDedup d(window(1000));
  for (int i = 0; i < 100; ++i) {
    const std::string name = "m" + std::to_string(i);
    ASSERT_EQ(d.claim(id(name), at(i)), DedupClaim::kFirst);
    if (i % 2 == 0) d.mark_logged(id(name));
  }
  const std::string snapshot = d.snapshot_logged(at(100));
  ASSERT_EQ(snapshot.size(), 50u * 16);

  MessageDedup restored(window(1000));
  ASSERT_TRUE(restored.restore_logged(snapshot));
  EXPECT_EQ(restored.metrics().entries, 50u);
  EXPECT_EQ(restored.metrics().duplicates, 0u);
  for (int i = 0; i < 100; ++i) {
    const std::string name = "m" + std::to_string(i);
    EXPECT_EQ(restored.claim(id(name), at(200)),
              i % 2 == 0 ? DedupClaim::kDuplicate : DedupClaim::kFirst)
        << name;
  }
  EXPECT_EQ(restored.claim(id("unseen"), at(200)), DedupClaim::kFirst);
  EXPECT_EQ(restored.metrics().duplicates, 50u);
  // The restored ids keep their claim times, and expire by them.
  EXPECT_TRUE(restored.contains(id("m0"), at(999)));
  EXPECT_FALSE(restored.contains(id("m0"), at(1000)));
  EXPECT_EQ(restored.claim(id("m0"), at(1000)), DedupClaim::kFirst);
  // And a restored memory's snapshot is the one it was restored from.
  MessageDedup again(window(1000));
  ASSERT_TRUE(again.restore_logged(snapshot));
  EXPECT_EQ(again.snapshot_logged(at(100)), snapshot);
}

TEST(MessageDedupSnapshot, RestoreRefusesASizeThatIsNotAMultipleOf16) {
  MessageDedup d;
  ASSERT_EQ(d.claim(id("a"), kT0), DedupClaim::kFirst);
  d.mark_logged(id("a"));
  const std::string snapshot = d.snapshot_logged(at(1));
  ASSERT_EQ(snapshot.size(), 16u);

  for (size_t size : {size_t{1}, size_t{8}, size_t{15}, size_t{17}, size_t{31}}) {
    MessageDedup fresh;
    std::string bytes = snapshot + snapshot;
    bytes.resize(size);
    EXPECT_FALSE(fresh.restore_logged(bytes)) << size;
    EXPECT_EQ(fresh.metrics().entries, 0u) << size;
    EXPECT_EQ(fresh.claim(id("a"), at(2)), DedupClaim::kFirst) << size;
  }
  MessageDedup empty;
  EXPECT_TRUE(empty.restore_logged(""));
  EXPECT_EQ(empty.metrics().entries, 0u);
}

TEST(MessageDedupSnapshot, RememberingAClaimedIdCountsNoDuplicateAndMarksItLogged) {
  MessageDedup d;
  ASSERT_EQ(d.claim(id("a"), kT0), DedupClaim::kFirst);
  d.remember_logged(id("a"), kT0);
  d.remember_logged(id("a"), kT0);
  d.remember_logged(id("b"), at(1));
  MessageDedupMetrics m = d.metrics();
  EXPECT_EQ(m.duplicates, 0u);
  EXPECT_EQ(m.entries, 2u);
  const std::vector<Entry> entries = entries_of(d.snapshot_logged(at(2)));
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].id, id("a").value());
  EXPECT_EQ(entries[0].time, kT0.value());
  EXPECT_EQ(entries[1].id, id("b").value());
  // Still duplicates for clients.
  EXPECT_EQ(d.claim(id("a"), at(3)), DedupClaim::kDuplicate);
  EXPECT_EQ(d.claim(id("b"), at(3)), DedupClaim::kDuplicate);
  EXPECT_EQ(d.metrics().duplicates, 2u);
}

TEST(MessageDedupSnapshot, RememberingAnOlderClaimKeepsTheNewerTime) {
  MessageDedup d(window(1000));
  ASSERT_EQ(d.claim(id("a"), at(500)), DedupClaim::kFirst);
  d.remember_logged(id("a"), kT0);
  const std::vector<Entry> entries = entries_of(d.snapshot_logged(at(600)));
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].time, at(500).value());
  EXPECT_TRUE(d.contains(id("a"), at(1400)));
}

TEST(MessageDedupSnapshot, AReclaimAfterExpiryIsNotLoggedUntilMarkedAgain) {
  MessageDedup d(window(1000));
  ASSERT_EQ(d.claim(id("a"), kT0), DedupClaim::kFirst);
  d.mark_logged(id("a"));
  ASSERT_EQ(d.claim(id("a"), at(1500)), DedupClaim::kFirst);
  EXPECT_EQ(d.snapshot_logged(at(1600)), "");
  d.mark_logged(id("a"));
  const std::vector<Entry> entries = entries_of(d.snapshot_logged(at(1600)));
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].time, at(1500).value());
}

}  // namespace
}  // namespace eddy
