#include "connectors/ingest/message_dedup.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace eddy {

MessageIdHash hash_message_id(std::string_view message_id) {
  return MessageIdHash(XXH3_64bits(message_id.data(), message_id.size()));
}

MessageDedup::MessageDedup(MessageDedupSettings settings)
    : settings_(settings),
      per_shard_(0),
      shards_(new Shard[std::max<uint32_t>(settings.shards, 1)]) {
  settings_.shards = std::max<uint32_t>(settings_.shards, 1);
  per_shard_ =
      std::max<size_t>((settings_.max_entries + settings_.shards - 1) / settings_.shards, 1);
  for (uint32_t i = 0; i < settings_.shards; ++i)
    shards_[i].times.max_load_factor(0.8f);
}

MessageDedup::~MessageDedup() = default;

MessageDedup::Shard& MessageDedup::shard_of(MessageIdHash id) const {
  return shards_[shard_index(id.value())];
}

void MessageDedup::trim(Shard& s, int64_t now) {
  const int64_t expired_before = now - settings_.window_ms;
  while (!s.order.empty()) {
    const Claim front = s.order.front();
    auto it = s.times.find(front.id);
    if (it == s.times.end() || time_of(it->second) != front.time) {
      s.order.pop_front();
      continue;
    }
    const bool expired = front.time <= expired_before;
    // The queue may run ahead of the map by stale entries; bound it at twice the map's limit.
    const bool full = s.times.size() > per_shard_ || s.order.size() > 2 * per_shard_;
    if (!expired && !full) break;
    s.times.erase(it);
    s.order.pop_front();
    (expired ? expirations_ : evictions_).fetch_add(1, std::memory_order_relaxed);
  }
}

DedupClaim MessageDedup::claim(MessageIdHash id, WallTime now) {
  Shard& s = shard_of(id);
  std::lock_guard lock(s.mu);
  auto [it, inserted] = s.times.try_emplace(id.value(), now.value());
  if (!inserted) {
    if (time_of(it->second) > now.value() - settings_.window_ms) {
      duplicates_.fetch_add(1, std::memory_order_relaxed);
      return DedupClaim::kDuplicate;
    }
    // Remembered, but longer ago than the window: a new message as far as anyone can tell.
    it.value() = now.value();
  }
  s.order.push_back({id.value(), now.value()});
  trim(s, now.value());
  return DedupClaim::kFirst;
}

void MessageDedup::release(MessageIdHash id, WallTime claimed_at) {
  Shard& s = shard_of(id);
  std::lock_guard lock(s.mu);
  auto it = s.times.find(id.value());
  if (it != s.times.end() && time_of(it->second) == claimed_at.value()) s.times.erase(it);
}

bool MessageDedup::contains(MessageIdHash id, WallTime now) const {
  Shard& s = shard_of(id);
  std::lock_guard lock(s.mu);
  auto it = s.times.find(id.value());
  return it != s.times.end() && time_of(it->second) > now.value() - settings_.window_ms;
}

void MessageDedup::mark_logged(MessageIdHash id) {
  Shard& s = shard_of(id);
  std::lock_guard lock(s.mu);
  auto it = s.times.find(id.value());
  if (it != s.times.end()) it.value() |= kLoggedBit;
}

void MessageDedup::remember_logged_locked(Shard& s, uint64_t id, int64_t claimed_at) {
  auto [it, inserted] = s.times.try_emplace(id, claimed_at | kLoggedBit);
  if (!inserted) {
    if (time_of(it->second) >= claimed_at) {
      it.value() |= kLoggedBit;
      return;
    }
    it.value() = claimed_at | kLoggedBit;
  }
  s.order.push_back({id, claimed_at});
}

void MessageDedup::remember_logged(MessageIdHash id, WallTime claimed_at) {
  Shard& s = shard_of(id);
  std::lock_guard lock(s.mu);
  remember_logged_locked(s, id.value(), claimed_at.value());
  trim(s, claimed_at.value());
}

std::string MessageDedup::snapshot_logged(WallTime now) const {
  // Room first, outside the locks: growing (and first touching) tens of megabytes under a shard's
  // lock stalled every request whose id fell in that shard for as long (55 ms at p99 of /v1/track
  // during a checkpoint, against 8 ms without the copy; bench/load/checkpoint_latency.sh).
  size_t estimate = 0;
  for (uint32_t i = 0; i < settings_.shards; ++i) {
    std::lock_guard lock(shards_[i].mu);
    estimate += shards_[i].times.size();
  }
  std::vector<Claim> logged(estimate + estimate / 8 + 64);
  size_t n = 0;
  for (uint32_t i = 0; i < settings_.shards; ++i) {
    std::lock_guard lock(shards_[i].mu);
    for (const auto& [id, stored] : shards_[i].times) {
      if ((stored & kLoggedBit) == 0 || time_of(stored) <= now.value() - settings_.window_ms)
        continue;
      if (n == logged.size()) logged.resize(n + n / 2 + 64);  // ids claimed since the estimate
      logged[n++] = {id, time_of(stored)};
    }
  }
  logged.resize(n);
  // Oldest first, so that a restore queues them in the order expiry walks.
  std::sort(logged.begin(), logged.end(),
            [](const Claim& a, const Claim& b) { return a.time < b.time; });
  std::string out(logged.size() * sizeof(Claim), '\0');
  std::memcpy(out.data(), logged.data(), out.size());
  return out;
}

void MessageDedup::reserve(size_t ids) {
  const size_t per_shard = std::min(ids, settings_.max_entries) / settings_.shards + 1;
  for (uint32_t i = 0; i < settings_.shards; ++i) {
    std::lock_guard lock(shards_[i].mu);
    shards_[i].times.reserve(shards_[i].times.size() + per_shard);
  }
}

bool MessageDedup::restore_logged(std::string_view snapshot) {
  if (snapshot.size() % sizeof(Claim) != 0) return false;
  reserve(snapshot.size() / sizeof(Claim));
  // Sorted out by shard first, so that each shard's lock is taken once rather than once an id:
  // taking it per id made restoring 1.6M ids take a second.
  const size_t n = snapshot.size() / sizeof(Claim);
  std::vector<std::vector<Claim>> by_shard(settings_.shards);
  for (auto& shard : by_shard)
    shard.reserve(n / settings_.shards + n / settings_.shards / 4 + 16);
  for (size_t at = 0; at < snapshot.size(); at += sizeof(Claim)) {
    Claim c{};
    std::memcpy(&c, snapshot.data() + at, sizeof(Claim));
    by_shard[shard_index(c.id)].push_back(c);
  }
  for (uint32_t i = 0; i < settings_.shards; ++i) {
    if (by_shard[i].empty()) continue;
    Shard& s = shards_[i];
    std::lock_guard lock(s.mu);
    for (const Claim& c : by_shard[i])
      remember_logged_locked(s, c.id, c.time);
    // The snapshot is oldest first, so its last claim is this shard's newest.
    trim(s, by_shard[i].back().time);
  }
  return true;
}

MessageDedupMetrics MessageDedup::metrics() const {
  MessageDedupMetrics m;
  for (uint32_t i = 0; i < settings_.shards; ++i) {
    std::lock_guard lock(shards_[i].mu);
    m.entries += shards_[i].times.size();
  }
  m.duplicates = duplicates_.load(std::memory_order_relaxed);
  m.evictions = evictions_.load(std::memory_order_relaxed);
  m.expirations = expirations_.load(std::memory_order_relaxed);
  return m;
}

}  // namespace eddy
