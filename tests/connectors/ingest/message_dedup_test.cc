#include "connectors/ingest/message_dedup.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace eddy {
namespace {

constexpr WallTime kT0(1'700'000'000'000);

WallTime at(int64_t offset_ms) {
  return WallTime(kT0.value() + offset_ms);
}

MessageIdHash id(const std::string& s) {
  return hash_message_id(s);
}

TEST(MessageDedup, TheFirstClaimWinsAndLaterOnesAreDuplicates) {
  MessageDedup d;
  EXPECT_EQ(d.claim(id("m1"), kT0), DedupClaim::kFirst);
  EXPECT_EQ(d.claim(id("m1"), at(1)), DedupClaim::kDuplicate);
  EXPECT_EQ(d.claim(id("m2"), at(1)), DedupClaim::kFirst);
  EXPECT_TRUE(d.contains(id("m1"), at(2)));
  EXPECT_FALSE(d.contains(id("m3"), at(2)));
  const MessageDedupMetrics m = d.metrics();
  EXPECT_EQ(m.entries, 2u);
  EXPECT_EQ(m.duplicates, 1u);
}

TEST(MessageDedup, ForgetsIdsOnceTheWindowHasPassed) {
  MessageDedupSettings s;
  s.window_ms = 1000;
  MessageDedup d(s);
  ASSERT_EQ(d.claim(id("m1"), kT0), DedupClaim::kFirst);
  EXPECT_EQ(d.claim(id("m1"), at(999)), DedupClaim::kDuplicate);
  EXPECT_FALSE(d.contains(id("m1"), at(1000)));
  EXPECT_EQ(d.claim(id("m1"), at(1000)), DedupClaim::kFirst);
  // Claiming again restarted the window.
  EXPECT_EQ(d.claim(id("m1"), at(1999)), DedupClaim::kDuplicate);
}

TEST(MessageDedup, ExpiredIdsLeaveTheMemoryAsLaterOnesArrive) {
  MessageDedupSettings s;
  s.window_ms = 1000;
  s.shards = 1;
  MessageDedup d(s);
  for (int i = 0; i < 100; ++i)
    ASSERT_EQ(d.claim(id("old" + std::to_string(i)), at(i)), DedupClaim::kFirst);
  ASSERT_EQ(d.claim(id("new"), at(5000)), DedupClaim::kFirst);
  const MessageDedupMetrics m = d.metrics();
  EXPECT_EQ(m.entries, 1u);
  EXPECT_EQ(m.expirations, 100u);
  EXPECT_EQ(m.evictions, 0u);
}

TEST(MessageDedup, WhenFullTheOldestGoFirstAndAreCounted) {
  MessageDedupSettings s;
  s.max_entries = 100;
  s.shards = 1;
  MessageDedup d(s);
  for (int i = 0; i < 150; ++i)
    ASSERT_EQ(d.claim(id("m" + std::to_string(i)), at(i)), DedupClaim::kFirst);
  const MessageDedupMetrics m = d.metrics();
  EXPECT_EQ(m.entries, 100u);
  EXPECT_EQ(m.evictions, 50u);
  for (int i = 0; i < 50; ++i)
    EXPECT_FALSE(d.contains(id("m" + std::to_string(i)), at(200))) << i;
  for (int i = 50; i < 150; ++i)
    EXPECT_TRUE(d.contains(id("m" + std::to_string(i)), at(200))) << i;
}

TEST(MessageDedup, ShardsShareTheLimit) {
  MessageDedupSettings s;
  s.max_entries = 1000;
  s.shards = 8;
  MessageDedup d(s);
  for (int i = 0; i < 10'000; ++i)
    (void)d.claim(id("m" + std::to_string(i)), at(i));
  const MessageDedupMetrics m = d.metrics();
  EXPECT_LE(m.entries, 1000u + 8u);
  EXPECT_GE(m.entries, 900u);
  EXPECT_EQ(m.entries + m.evictions, 10'000u);
}

TEST(MessageDedup, AReleasedClaimCanBeClaimedAgain) {
  MessageDedup d;
  ASSERT_EQ(d.claim(id("m1"), kT0), DedupClaim::kFirst);
  d.release(id("m1"), kT0);
  EXPECT_FALSE(d.contains(id("m1"), kT0));
  EXPECT_EQ(d.claim(id("m1"), at(5)), DedupClaim::kFirst);
  // A release with the wrong time is someone else's stale release: it changes nothing.
  d.release(id("m1"), kT0);
  EXPECT_TRUE(d.contains(id("m1"), at(6)));
}

TEST(MessageDedup, ReleasedClaimsDoNotDisturbExpiryOrder) {
  MessageDedupSettings s;
  s.window_ms = 1000;
  s.shards = 1;
  MessageDedup d(s);
  (void)d.claim(id("a"), at(0));
  d.release(id("a"), at(0));
  (void)d.claim(id("b"), at(10));
  (void)d.claim(id("a"), at(500));   // claimed again, later
  (void)d.claim(id("c"), at(1200));  // "b" expired by now; "a" (claimed at 500) has not
  EXPECT_FALSE(d.contains(id("b"), at(1200)));
  EXPECT_TRUE(d.contains(id("a"), at(1200)));
  EXPECT_EQ(d.metrics().entries, 2u);
}

TEST(MessageDedup, ConcurrentClaimsOfOneIdHaveExactlyOneWinner) {
  MessageDedup d;
  constexpr int kThreads = 4;
  constexpr int kIds = 20'000;
  std::atomic<int> winners{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      int won = 0;
      for (int i = 0; i < kIds; ++i) {
        if (d.claim(id("m" + std::to_string(i)), kT0) == DedupClaim::kFirst) ++won;
      }
      winners.fetch_add(won);
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(winners.load(), kIds);
  EXPECT_EQ(d.metrics().duplicates, static_cast<uint64_t>((kThreads - 1) * kIds));
}

}  // namespace
}  // namespace eddy
