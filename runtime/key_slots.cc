#include "runtime/key_slots.h"

namespace eddy {

KeySlots::Lookup KeySlots::find_or_add(KeyHash hash, std::string_view key) {
  auto [it, inserted] = index_.try_emplace(hash.value(), static_cast<uint32_t>(keys_.size()));
  if (inserted) {
    keys_.emplace_back(key);
    hashes_.push_back(hash);
  }
  return {it->second, inserted};
}

std::optional<uint32_t> KeySlots::find(KeyHash hash) const {
  auto it = index_.find(hash.value());
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

void KeySlots::snapshot(StateWriter& out) const {
  out.put<uint64_t>(keys_.size());
  for (size_t i = 0; i < keys_.size(); ++i) {
    out.put<uint64_t>(hashes_[i].value());
    out.put_string(keys_[i]);
  }
}

Status KeySlots::restore(StateReader& in) {
  index_.clear();
  keys_.clear();
  hashes_.clear();
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
