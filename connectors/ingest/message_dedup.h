#pragma once

#include <tsl/robin_map.h>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "runtime/ids.h"

namespace eddy {

// A Segment messageId as the memory keeps it: its 64-bit XXH3 hash. Two different ids collide with
// probability about n^2 / 2^65 (3e-6 for 10 million ids), when the later one is taken for a
// duplicate.
using MessageIdHash = NamedType<uint64_t, struct MessageIdHashTag>;
MessageIdHash hash_message_id(std::string_view message_id);

struct MessageDedupSettings {
  // How long an id is remembered; Segment's own de-duplication looks back 24 hours.
  int64_t window_ms = kMillisPerDay;
  // At most this many ids (the oldest go first); about 60 bytes each.
  size_t max_entries = 10'000'000;
  // Independent locks: concurrent requests contend only when their ids land in the same shard.
  uint32_t shards = 64;
};

enum class DedupClaim : uint8_t {
  kFirst,      // not seen within the window: now reserved for the caller
  kDuplicate,  // seen (or reserved by a request still in flight)
};

struct MessageDedupMetrics {
  uint64_t entries = 0;
  uint64_t duplicates = 0;
  uint64_t evictions = 0;  // ids forgotten early because the memory was full
  uint64_t expirations = 0;
};

// Which messageIds ingest has taken recently, so that a client's retry of a request that did get
// through is acknowledged without counting its events twice.
//
// Threading contract: every method is thread-safe. A claim is a reservation: the first caller to
// claim an id owns it, and every later claim within the window is a duplicate, even while the
// first request is still submitting. If the first request fails after all (the engine is busy), it
// releases the id, so the client's retry is taken. Times come from the caller (the ingest Clock);
// they should not go backwards by much, since expiry walks ids in the order they were claimed.
class MessageDedup {
 public:
  explicit MessageDedup(MessageDedupSettings settings = {});
  ~MessageDedup();
  MessageDedup(const MessageDedup&) = delete;
  MessageDedup& operator=(const MessageDedup&) = delete;

  DedupClaim claim(MessageIdHash id, WallTime now);
  // Forgets a claim that `claim(id, claimed_at)` answered kFirst; a no-op when the id has since
  // been claimed again at another time (it expired or was evicted in between).
  void release(MessageIdHash id, WallTime claimed_at);
  bool contains(MessageIdHash id, WallTime now) const;

  // Notes that the id's events are in the write-ahead log. Only such ids go into a checkpoint: an
  // id claimed by a request that then failed must stay free for the client's retry.
  void mark_logged(MessageIdHash id);
  // Claims `id` at `claimed_at` as logged, as replay of the log does; no duplicate counted.
  void remember_logged(MessageIdHash id, WallTime claimed_at);
  // The logged ids still inside the window at `now`, oldest first, for a checkpoint.
  std::string snapshot_logged(WallTime now) const;
  // Makes room for about `ids` more ids (at most max_entries in all), so that a replay does not
  // grow and rehash the maps as it goes.
  void reserve(size_t ids);
  // Remembers the ids of a snapshot_logged() (on top of what is already remembered).
  bool restore_logged(std::string_view snapshot);

  MessageDedupMetrics metrics() const;
  const MessageDedupSettings& settings() const { return settings_; }

 private:
  struct IdentityHash {
    size_t operator()(uint64_t h) const { return static_cast<size_t>(h); }
  };
  // A claim time in the map with this bit set is of an id whose events are logged. Claim times
  // are milliseconds since 1970, far below it.
  static constexpr int64_t kLoggedBit = int64_t{1} << 62;
  static int64_t time_of(int64_t stored) { return stored & ~kLoggedBit; }

  // One lock's worth of ids: the id -> claim time map, and the claims in order, so that the oldest
  // are found without a scan. A claim in the queue whose time no longer matches the map's is stale
  // (the id was released, or claimed again after it expired) and is skipped at the front.
  struct Claim {
    uint64_t id;
    int64_t time;
  };
  struct Shard {
    std::mutex mu;
    tsl::robin_map<uint64_t, int64_t, IdentityHash> times;
    std::deque<Claim> order;
  };

  // The map buckets by the low bits, so the shard takes the high ones.
  size_t shard_index(uint64_t id) const { return (id >> 40) % settings_.shards; }
  Shard& shard_of(MessageIdHash id) const;
  // Claims `id` as logged at `claimed_at` unless a later claim holds it; the caller holds s.mu.
  void remember_logged_locked(Shard& s, uint64_t id, int64_t claimed_at);
  void trim(Shard& s, int64_t now);

  MessageDedupSettings settings_;
  size_t per_shard_;
  std::unique_ptr<Shard[]> shards_;
  std::atomic<uint64_t> duplicates_{0};
  std::atomic<uint64_t> evictions_{0};
  std::atomic<uint64_t> expirations_{0};
};

}  // namespace eddy
