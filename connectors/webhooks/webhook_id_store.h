#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "runtime/ids.h"
#include "runtime/status.h"

namespace eddy {

enum class FsyncPolicy : uint8_t {
  kAlways,  // every commit is on disk before commit() returns
  kNone,    // the operating system writes when it likes; a machine crash may forget recent ids
};

struct WebhookIdStoreSettings {
  // The data directory. Empty keeps the ids in memory only, and a restart forgets them.
  std::string directory;
  std::string file_name = "webhook-ids.log";
  // How long a delivered id is remembered. Senders retry for about 75 hours (Standard Webhooks'
  // suggested schedule), so four days cover every retry of a delivery that was acknowledged.
  int64_t window_ms = 4 * kMillisPerDay;
  // Remembered ids at most; past it the oldest are forgotten (and counted). Each costs about
  // 150 bytes of memory plus its length.
  size_t max_entries = 1'000'000;
  FsyncPolicy fsync = FsyncPolicy::kAlways;

  // Empty when the settings are usable, else what is wrong with them.
  std::string check() const;
};

// What reserve() found.
enum class IdReservation : uint8_t {
  kFresh,      // never seen (or forgotten): the caller now holds the id and must commit or release
  kDuplicate,  // delivered before: acknowledge, do not process again
  kInFlight,   // another request is processing the same id right now: ask the sender to retry
};
const char* id_reservation_name(IdReservation r);

struct WebhookIdStoreStats {
  size_t entries = 0;    // committed ids remembered
  size_t in_flight = 0;  // reserved, neither committed nor released
  uint64_t duplicates = 0;
  uint64_t expired = 0;  // forgotten because the window passed (at open and since)
  uint64_t evicted = 0;  // forgotten early because of max_entries
  uint64_t write_errors = 0;
  uint64_t compactions = 0;
  // Bytes after the last good record when the file was opened: a record torn by a crash, or
  // corruption; everything from there was dropped.
  uint64_t dropped_bytes_at_open = 0;
};

// Remembers delivered webhook ids for a window, so that a redelivered webhook is acknowledged and
// not processed twice, across restarts. It works like an idempotency key: reserve() the id before
// processing, commit() once the events were accepted, release() when they were not (ingest was
// busy), so that the sender's retry is processed.
//
// Disk: an append-only file in the data directory, one record per committed id:
//   u32 length | u32 CRC32 of the payload | payload = i64 commit time (ms) | id bytes
// little-endian, after an 8-byte magic. A record torn by a crash fails its length or CRC and is
// dropped with everything after it. On open the file is compacted (expired, evicted and duplicate
// records dropped) by writing a temporary file, syncing it, renaming it over the old one and
// syncing the directory; the same happens while running once the file holds more than twice the
// live records.
//
// Thread-safe: every method may be called from any thread. commit() writes (and with kAlways,
// syncs) outside the lock that reserve() takes, so lookups never wait for the disk.
class WebhookIdStore {
 public:
  // Loads and compacts the file; ids committed before `now - window` are forgotten.
  static Result<std::unique_ptr<WebhookIdStore>> open(WebhookIdStoreSettings settings,
                                                      WallTime now);
  ~WebhookIdStore();
  WebhookIdStore(const WebhookIdStore&) = delete;
  WebhookIdStore& operator=(const WebhookIdStore&) = delete;

  IdReservation reserve(std::string_view id, WallTime now);
  // Remembers a reserved id from `now` on. The id is remembered in memory even when the write
  // fails (the error says so): the events were accepted, and ingest's messageId de-duplication
  // still recognises a redelivery after a restart.
  Status commit(std::string_view id, WallTime now);
  // Forgets a reservation, so that the next delivery of the id is processed.
  void release(std::string_view id);

  // Rewrites the file with the live records only. Runs by itself when the file has grown; public
  // for housekeeping and tests.
  Status compact(WallTime now);

  WebhookIdStoreStats stats() const;
  const WebhookIdStoreSettings& settings() const { return settings_; }

 private:
  struct Entry {
    int64_t time_ms = 0;
    uint64_t seq = 0;  // which commit the queue entry belongs to; 0 while in flight
    bool in_flight = false;
  };
  struct Queued {
    int64_t time_ms;
    uint64_t seq;
    std::string id;
  };
  struct Loaded;

  explicit WebhookIdStore(WebhookIdStoreSettings settings) : settings_(std::move(settings)) {}

  std::string path() const;
  Status load(WallTime now);
  void adopt(Loaded& loaded, WallTime now);
  // The following need mu_ held.
  void forget_expired_locked(int64_t now_ms);
  void evict_over_bound_locked();
  // Pops the oldest queue element; true when it was live (and its id is now forgotten).
  bool pop_front_locked();
  // The following need file_mu_ held.
  Status append_locked(std::string_view id, int64_t time_ms);
  Status rewrite_locked(WallTime now);
  bool file_wants_compaction_locked() const;

  const WebhookIdStoreSettings settings_;

  mutable std::mutex mu_;
  // Transparent, so that lookups by string_view do not copy the id.
  struct IdHash {
    using is_transparent = void;
    size_t operator()(std::string_view id) const noexcept {
      return std::hash<std::string_view>{}(id);
    }
  };
  std::unordered_map<std::string, Entry, IdHash, std::equal_to<>> entries_;
  // Committed ids in commit order, the oldest first: expiry and eviction pop from the front.
  // Stale elements (their id was forgotten and committed again) are skipped by seq.
  std::deque<Queued> queue_;
  size_t committed_ = 0;
  size_t in_flight_ = 0;
  uint64_t next_seq_ = 1;
  WebhookIdStoreStats counters_;

  // Held while writing the file; taken before mu_ when both are needed.
  std::mutex file_mu_;
  int fd_ = -1;
  uint64_t file_bytes_ = 0;
  uint64_t file_records_ = 0;
};

// Holds a reservation that reserve() answered kFresh for, and releases it unless it is committed,
// so that no path (an early return, an exception in the caller) leaves an id in flight for ever,
// which would answer every retry with "in flight". Movable; the store must outlive it.
class WebhookIdClaim {
 public:
  WebhookIdClaim() = default;
  WebhookIdClaim(WebhookIdStore& store, std::string id) : store_(&store), id_(std::move(id)) {}
  WebhookIdClaim(WebhookIdClaim&& other) noexcept;
  WebhookIdClaim& operator=(WebhookIdClaim&& other) noexcept;
  ~WebhookIdClaim() { release(); }

  // True until commit() or release().
  bool held() const { return store_ != nullptr; }
  const std::string& id() const { return id_; }

  Status commit(WallTime now);
  void release();

 private:
  WebhookIdStore* store_ = nullptr;
  std::string id_;
};

}  // namespace eddy
