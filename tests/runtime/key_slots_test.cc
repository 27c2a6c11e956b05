#include "runtime/key_slots.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

#include "runtime/key_hash.h"

namespace eddy {
namespace {

// Checks every key of `expected` (key -> slot) is found where it should be, and nothing else is.
void expect_holds(const KeySlots& slots, const std::map<std::string, uint32_t>& expected,
                  const std::vector<std::string>& gone) {
  EXPECT_EQ(slots.key_count(), expected.size());
  for (const auto& [key, slot] : expected) {
    const auto found = slots.find(hash_key(key));
    ASSERT_TRUE(found.has_value()) << key;
    EXPECT_EQ(*found, slot) << key;
    EXPECT_EQ(slots.key(slot), key);
    EXPECT_TRUE(slots.holds(slot, hash_key(key)));
  }
  for (const std::string& key : gone) {
    if (!expected.contains(key)) {
      EXPECT_FALSE(slots.find(hash_key(key)).has_value()) << key;
    }
  }
}

TEST(KeySlots, RemovingKeysLeavesEveryOtherKeyFindableAtItsSlot) {
  std::mt19937_64 random(7);
  KeySlots slots;
  std::map<std::string, uint32_t> expected;
  std::vector<std::string> gone;
  for (int round = 0; round < 20'000; ++round) {
    const std::string key = "k" + std::to_string(random() % 3000);
    if (random() % 3 == 0) {
      EXPECT_EQ(slots.remove(hash_key(key)), expected.erase(key) == 1) << key;
      gone.push_back(key);
    } else {
      const KeySlots::Lookup found = slots.find_or_add(hash_key(key), key);
      EXPECT_EQ(found.created, !expected.contains(key)) << key;
      if (found.created) expected[key] = found.slot;
    }
  }
  expect_holds(slots, expected, gone);
  EXPECT_LE(slots.size(), 3000u) << "freed slots are reused, so slots stay as few as keys were";
}

TEST(KeySlots, KeysWhoseProbeRunsWrapAroundSurviveTheRemovalOfAnyOfThem) {
  // 16 buckets: hashes 15, 31 and 47 share the last bucket and wrap to the first ones; 16 and 32
  // have homes there too. Each removal must keep the rest findable.
  const std::vector<uint64_t> hashes = {15, 31, 47, 16, 32, 1};
  for (size_t victim = 0; victim < hashes.size(); ++victim) {
    KeySlots slots;
    for (uint64_t h : hashes)
      slots.find_or_add(KeyHash(h), "h" + std::to_string(h));
    ASSERT_TRUE(slots.remove(KeyHash(hashes[victim])));
    for (size_t i = 0; i < hashes.size(); ++i) {
      EXPECT_EQ(slots.find(KeyHash(hashes[i])).has_value(), i != victim)
          << "victim " << hashes[victim] << ", looking for " << hashes[i];
    }
  }
}

TEST(KeySlots, AFreedSlotKeepsNoKeyAndGoesLowestFirstToTheNextNewKeys) {
  KeySlots slots;
  for (int i = 0; i < 6; ++i)
    slots.find_or_add(hash_key("k" + std::to_string(i)), "k" + std::to_string(i));
  ASSERT_TRUE(slots.remove(hash_key("k4")));
  ASSERT_TRUE(slots.remove(hash_key("k1")));
  EXPECT_FALSE(slots.remove(hash_key("k1"))) << "already gone";
  EXPECT_FALSE(slots.is_live(1));
  EXPECT_EQ(slots.key(1), "");
  EXPECT_EQ(slots.hash(1), KeyHash(0));
  EXPECT_FALSE(slots.holds(1, hash_key("k1")));
  EXPECT_EQ(slots.size(), 6u);
  EXPECT_EQ(slots.key_count(), 4u);

  EXPECT_EQ(slots.find_or_add(hash_key("new1"), "new1").slot, 1u);
  EXPECT_EQ(slots.find_or_add(hash_key("new2"), "new2").slot, 4u);
  EXPECT_EQ(slots.find_or_add(hash_key("new3"), "new3").slot, 6u);
}

TEST(KeySlots, ASnapshotRestoresFreeSlotsWhereTheyWereAndHandsThemOutTheSameWay) {
  KeySlots slots;
  for (int i = 0; i < 40; ++i)
    slots.find_or_add(hash_key("k" + std::to_string(i)), "k" + std::to_string(i));
  for (int i : {3, 17, 25, 9})
    slots.remove(hash_key("k" + std::to_string(i)));
  StateWriter out;
  slots.snapshot(out);
  const std::string bytes = out.take();
  EXPECT_EQ(bytes.find("k17"), std::string::npos) << "a removed key leaves no trace";

  KeySlots restored;
  StateReader in(bytes);
  ASSERT_TRUE(restored.restore(in).is_ok());
  EXPECT_EQ(restored.size(), slots.size());
  EXPECT_EQ(restored.key_count(), slots.key_count());
  for (uint32_t s = 0; s < slots.size(); ++s) {
    EXPECT_EQ(restored.is_live(s), slots.is_live(s)) << s;
    EXPECT_EQ(restored.key(s), slots.key(s)) << s;
  }
  for (int i = 0; i < 6; ++i) {
    const std::string key = "n" + std::to_string(i);
    EXPECT_EQ(restored.find_or_add(hash_key(key), key).slot,
              slots.find_or_add(hash_key(key), key).slot);
  }
}

}  // namespace
}  // namespace eddy
