#include "runtime/key_slots.h"

#include <algorithm>
#include <functional>

namespace eddy {

namespace {
constexpr size_t kInitialBuckets = 16;
}  // namespace

KeySlots::KeySlots() : table_(kInitialBuckets), mask_(kInitialBuckets - 1) {}

void KeySlots::place(uint64_t hash, uint32_t slot) {
  size_t i = hash & mask_;
  while (table_[i].slot_plus_one != 0)
    i = (i + 1) & mask_;
  table_[i] = {hash, slot + 1};
}

void KeySlots::grow() {
  std::vector<Bucket> old = std::move(table_);
  table_.assign(old.size() * 2, Bucket{});
  mask_ = table_.size() - 1;
  for (const Bucket& b : old) {
    if (b.slot_plus_one != 0) place(b.hash, b.slot_plus_one - 1);
  }
}

KeySlots::Lookup KeySlots::find_or_add(KeyHash hash, std::string_view key) {
  size_t i = hash.value() & mask_;
  while (table_[i].slot_plus_one != 0) {
    if (table_[i].hash == hash.value()) return {table_[i].slot_plus_one - 1, false};
    i = (i + 1) & mask_;
  }
  uint32_t slot;
  if (!free_.empty()) {
    std::pop_heap(free_.begin(), free_.end(), std::greater<>());
    slot = free_.back();
    free_.pop_back();
    keys_[slot] = key;
    hashes_[slot] = hash;
    live_[slot] = 1;
  } else {
    slot = static_cast<uint32_t>(keys_.size());
    keys_.emplace_back(key);
    hashes_.push_back(hash);
    live_.push_back(1);
  }
  // At most 70% full keeps probe runs short.
  if (key_count() * 10 > table_.size() * 7) {
    grow();
    place(hash.value(), slot);
  } else {
    table_[i] = {hash.value(), slot + 1};
  }
  return {slot, true};
}

size_t KeySlots::bucket_of(uint64_t hash) const {
  size_t i = hash & mask_;
  while (table_[i].slot_plus_one != 0) {
    if (table_[i].hash == hash) return i;
    i = (i + 1) & mask_;
  }
  return table_.size();
}

std::optional<uint32_t> KeySlots::find(KeyHash hash) const {
  const size_t i = bucket_of(hash.value());
  if (i == table_.size()) return std::nullopt;
  return table_[i].slot_plus_one - 1;
}

bool KeySlots::remove(KeyHash hash) {
  size_t hole = bucket_of(hash.value());
  if (hole == table_.size()) return false;
  const uint32_t slot = table_[hole].slot_plus_one - 1;
  // Backward-shift deletion: every later entry of the probe run whose home bucket does not lie
  // after the hole (cyclically) moves into it, so that no lookup stops at the hole too early and
  // no tombstones accumulate.
  for (size_t j = (hole + 1) & mask_; table_[j].slot_plus_one != 0; j = (j + 1) & mask_) {
    const size_t home = table_[j].hash & mask_;
    const bool home_after_hole =
        hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (home_after_hole) continue;
    table_[hole] = table_[j];
    hole = j;
  }
  table_[hole] = Bucket{};
  // The key may be personal data that must not outlive an erasure: its bytes go, not just its
  // length.
  std::string().swap(keys_[slot]);
  hashes_[slot] = KeyHash(0);
  live_[slot] = 0;
  free_.push_back(slot);
  std::push_heap(free_.begin(), free_.end(), std::greater<>());
  return true;
}

void KeySlots::snapshot(StateWriter& out) const {
  out.put<uint64_t>(keys_.size());
  for (size_t i = 0; i < keys_.size(); ++i) {
    out.put<uint64_t>(hashes_[i].value());
    out.put_string(keys_[i]);
  }
}

Status KeySlots::restore(StateReader& in) {
  *this = KeySlots();
  // Free slots are set aside until the end, so that find_or_add appends every slot in order.
  std::vector<uint32_t> free;
  const auto n = in.get<uint64_t>();
  for (uint64_t i = 0; i < n && in.ok(); ++i) {
    const KeyHash hash(in.get<uint64_t>());
    std::string key = in.get_string();
    if (!in.ok()) break;
    if (hash.value() == 0 && key.empty()) {
      // A free slot. Not given out while restoring: the slots must come back where they were.
      keys_.emplace_back();
      hashes_.push_back(hash);
      live_.push_back(0);
      free.push_back(static_cast<uint32_t>(keys_.size() - 1));
      continue;
    }
    find_or_add(hash, key);
  }
  free_ = std::move(free);
  std::make_heap(free_.begin(), free_.end(), std::greater<>());
  if (!in.ok()) return {Errc::kCorrupt, "key slots are truncated"};
  if (keys_.size() != n) return {Errc::kCorrupt, "key slots hold a duplicate key"};
  return {};
}

}  // namespace eddy
