#include "runtime/key_slots.h"

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
  const auto slot = static_cast<uint32_t>(keys_.size());
  keys_.emplace_back(key);
  hashes_.push_back(hash);
  // At most 70% full keeps probe runs short.
  if (keys_.size() * 10 > table_.size() * 7) {
    grow();
    place(hash.value(), slot);
  } else {
    table_[i] = {hash.value(), slot + 1};
  }
  return {slot, true};
}

std::optional<uint32_t> KeySlots::find(KeyHash hash) const {
  size_t i = hash.value() & mask_;
  while (table_[i].slot_plus_one != 0) {
    if (table_[i].hash == hash.value()) return table_[i].slot_plus_one - 1;
    i = (i + 1) & mask_;
  }
  return std::nullopt;
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
  const auto n = in.get<uint64_t>();
  for (uint64_t i = 0; i < n && in.ok(); ++i) {
    const KeyHash hash(in.get<uint64_t>());
    std::string key = in.get_string();
    if (!in.ok()) break;
    find_or_add(hash, key);
  }
  if (!in.ok()) return {Errc::kCorrupt, "key slots are truncated"};
  if (keys_.size() != n) return {Errc::kCorrupt, "key slots hold a duplicate key"};
  return {};
}

}  // namespace eddy
