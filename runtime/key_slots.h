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
class KeySlots {
 public:
  struct Lookup {
    uint32_t slot;
    bool created;
  };

  KeySlots();

  Lookup find_or_add(KeyHash hash, std::string_view key);
  std::optional<uint32_t> find(KeyHash hash) const;
  void prefetch(KeyHash hash) const { __builtin_prefetch(&table_[hash.value() & mask_]); }
  size_t size() const { return keys_.size(); }
  std::string_view key(uint32_t slot) const { return keys_[slot]; }
  KeyHash hash(uint32_t slot) const { return hashes_[slot]; }

  void snapshot(StateWriter& out) const;
  Status restore(StateReader& in);

 private:
  struct Bucket {
    uint64_t hash = 0;
    uint32_t slot_plus_one = 0;  // 0: empty
  };
  void grow();
  void place(uint64_t hash, uint32_t slot);

  std::vector<Bucket> table_;
  size_t mask_;
  std::vector<std::string> keys_;
  std::vector<KeyHash> hashes_;
};

}  // namespace eddy
