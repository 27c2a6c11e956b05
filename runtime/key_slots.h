#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/ids.h"
#include "runtime/state_io.h"
#include "runtime/status.h"

namespace eddy {

// The keys of one stage instance and the dense slot each one owns. Operators keep per-key state in
// vectors indexed by slot, so a key is looked up once per event for the whole fused stage.
//
// Keys are identified by their 64-bit xxHash3: at a million keys per key group the chance that two
// collide is about 3e-8, accepted in exchange for not comparing strings on the hot path.
//
// The index is an open-addressing table with linear probing, written here rather than taken from a
// library for one reason: prefetch(). The hash is already uniform, so the home bucket is the low
// bits of it, and the worker can start loading the buckets of a whole run of events before it looks
// any of them up; that overlaps the cache misses that dominate large key sets.
//
// A key can be removed (its state moved to another key, or erased): its slot becomes free, keeps
// neither the key nor its hash, and is given to the next new key. Slot numbers therefore stay
// dense, and the operators' per-slot vectors do not grow with keys that are gone.
class KeySlots {
 public:
  struct Lookup {
    uint32_t slot;
    bool created;
  };

  KeySlots();

  Lookup find_or_add(KeyHash hash, std::string_view key);
  std::optional<uint32_t> find(KeyHash hash) const;
  // Forgets the key: find() no longer sees it and its slot goes to a later new key. False when the
  // key is not there.
  bool remove(KeyHash hash);
  // Whether `slot` holds the key `hash` (a slot found before may have been freed and reused since).
  bool holds(uint32_t slot, KeyHash hash) const {
    return slot < hashes_.size() && live_[slot] && hashes_[slot] == hash;
  }
  bool is_live(uint32_t slot) const { return live_[slot] != 0; }
  void prefetch(KeyHash hash) const { __builtin_prefetch(&table_[hash.value() & mask_]); }
  // Slots, free ones included: the bound of slot numbers.
  size_t size() const { return keys_.size(); }
  // Keys held.
  size_t key_count() const { return keys_.size() - free_.size(); }
  std::string_view key(uint32_t slot) const { return keys_[slot]; }
  KeyHash hash(uint32_t slot) const { return hashes_[slot]; }

  // A free slot is written as hash 0 and an empty key: a real key is never empty.
  void snapshot(StateWriter& out) const;
  Status restore(StateReader& in);

 private:
  struct Bucket {
    uint64_t hash = 0;
    uint32_t slot_plus_one = 0;  // 0: empty
  };
  void grow();
  void place(uint64_t hash, uint32_t slot);
  // The bucket holding `hash`, or table_.size() when none does.
  size_t bucket_of(uint64_t hash) const;

  std::vector<Bucket> table_;
  size_t mask_;
  std::vector<std::string> keys_;
  std::vector<KeyHash> hashes_;
  std::vector<uint8_t> live_;  // [slot]
  // Free slots as a min-heap: the lowest is reused first, so that a restored instance, which knows
  // only which slots are free, hands out the same slots as the one that was snapshotted.
  std::vector<uint32_t> free_;
};

}  // namespace eddy
