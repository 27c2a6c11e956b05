#pragma once

#include <tsl/robin_map.h>
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
class KeySlots {
 public:
  struct Lookup {
    uint32_t slot;
    bool created;
  };

  Lookup find_or_add(KeyHash hash, std::string_view key);
  std::optional<uint32_t> find(KeyHash hash) const;
  size_t size() const { return keys_.size(); }
  std::string_view key(uint32_t slot) const { return keys_[slot]; }
  KeyHash hash(uint32_t slot) const { return hashes_[slot]; }

  void snapshot(StateWriter& out) const;
  Status restore(StateReader& in);

 private:
  tsl::robin_map<uint64_t, uint32_t> index_;
  std::vector<std::string> keys_;
  std::vector<KeyHash> hashes_;
};

}  // namespace eddy
