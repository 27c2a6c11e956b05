#pragma once

#include <string_view>

#include "runtime/ids.h"

namespace eddy {

// The one place where keys become key groups and key groups become workers. Routing, state
// ownership and checkpoints all go through these functions, so they always agree.
//
// The key-group count is fixed for the life of the data (like Flink's max parallelism): changing
// it moves keys between groups and invalidates every checkpoint.

inline constexpr uint32_t kDefaultKeyGroups = 128;

KeyHash hash_key(std::string_view key);

// Uses the high bits of the hash through a multiply-shift, so that any group count (not only powers
// of two) spreads keys evenly.
__extension__ using KeyHashWide = unsigned __int128;

inline KeyGroup key_group_of(KeyHash hash, uint32_t key_groups) {
  const KeyHashWide wide = static_cast<KeyHashWide>(hash.value()) * key_groups;
  return KeyGroup(static_cast<uint32_t>(wide >> 64));
}

inline WorkerId worker_of(KeyGroup group, uint32_t workers) {
  return WorkerId(group.value() % workers);
}

}  // namespace eddy
