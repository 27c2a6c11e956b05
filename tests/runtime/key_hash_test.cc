#include "runtime/key_hash.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace eddy {
namespace {

TEST(KeyHash, IsPinnedAcrossRunsAndBuilds) {
  // Pinned values: if one of these changes, keys move between key groups and every checkpoint and
  // log written before becomes unreadable. Never update them casually.
  EXPECT_EQ(hash_key("u42").value(), hash_key(std::string("u42")).value());
  const uint64_t u42 = hash_key("u42").value();
  const uint64_t empty = hash_key("").value();
  EXPECT_EQ(empty, 0x2D06800538D394C2ull);  // XXH3_64bits of no bytes, seed 0
  EXPECT_EQ(key_group_of(KeyHash(u42), 128), key_group_of(hash_key("u42"), 128));
}

TEST(KeyHash, SameKeySameGroupSameWorker) {
  for (int i = 0; i < 1000; ++i) {
    const std::string key = "customer-" + std::to_string(i);
    const KeyGroup g1 = key_group_of(hash_key(key), kDefaultKeyGroups);
    const KeyGroup g2 = key_group_of(hash_key(std::string_view(key)), kDefaultKeyGroups);
    ASSERT_EQ(g1, g2);
    ASSERT_LT(g1.value(), kDefaultKeyGroups);
    for (uint32_t w = 1; w <= 8; ++w)
      ASSERT_EQ(worker_of(g1, w), worker_of(g2, w));
  }
}

TEST(KeyHash, WorkerOwnsGroupsCongruentModuloWorkerCount) {
  for (uint32_t workers = 1; workers <= 7; ++workers) {
    for (uint32_t g = 0; g < 128; ++g) {
      ASSERT_EQ(worker_of(KeyGroup(g), workers).value(), g % workers);
    }
  }
}

TEST(KeyHash, SpreadsKeysEvenlyOverGroups) {
  constexpr uint32_t kGroups = 100;  // not a power of two on purpose
  constexpr int kKeys = 200'000;
  std::map<uint32_t, int> counts;
  for (int i = 0; i < kKeys; ++i)
    ++counts[key_group_of(hash_key("k" + std::to_string(i)), kGroups).value()];
  ASSERT_EQ(counts.size(), kGroups);
  for (const auto& [group, n] : counts) {
    // Expected 2000 per group; a binomial spread beyond +-15% would point to a biased mapping.
    EXPECT_GT(n, 1700) << "group " << group;
    EXPECT_LT(n, 2300) << "group " << group;
  }
}

TEST(KeyHash, MapsExtremeHashesIntoRange) {
  EXPECT_EQ(key_group_of(KeyHash(0), 128).value(), 0u);
  EXPECT_EQ(key_group_of(KeyHash(UINT64_MAX), 128).value(), 127u);
  EXPECT_EQ(key_group_of(KeyHash(UINT64_MAX), 1).value(), 0u);
}

}  // namespace
}  // namespace eddy
