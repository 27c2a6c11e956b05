#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "runtime/durability/wal_format.h"
#include "runtime/durability/wal_reader.h"
#include "runtime/durability/wal_storage.h"
#include "runtime/status.h"

namespace eddy {

// When a record counts as durable, and so when ingest may acknowledge it.
enum class WalFsync : uint8_t {
  // fdatasync after every group, before any record of it is acknowledged. Nothing acknowledged is
  // lost, even to a power failure. The default.
  kAlways,
  // Acknowledged once written (to the page cache); fdatasync at most `fsync_interval_ms` apart.
  // A crash of the process loses nothing; a power failure or kernel crash loses up to that much
  // acknowledged input.
  kInterval,
  // Never fdatasync. For tests and benchmarks: a power failure may lose anything the kernel had
  // not yet written back.
  kNone,
};
std::optional<WalFsync> parse_wal_fsync(std::string_view name);
const char* wal_fsync_name(WalFsync f);

struct WalSettings {
  std::string dir;
  WalFsync fsync = WalFsync::kAlways;
  int64_t fsync_interval_ms = 10;
  // A segment is closed and the next one started once it holds this much.
  uint64_t segment_bytes = 64ull << 20;
  // Bytes appended but not yet written; beyond this appends are told 'busy'.
  uint64_t max_pending_bytes = 64ull << 20;
  // After a write fails (a full disk), appends are refused this long before the next try.
  int64_t retry_after_failure_ms = 1000;
};

struct WalMetrics {
  uint64_t records = 0;
  uint64_t bytes = 0;
  uint64_t groups = 0;
  uint64_t syncs = 0;
  uint64_t write_failures = 0;
  uint64_t segments_created = 0;
  uint64_t end_offset = 0;      // where the next record goes
  uint64_t durable_offset = 0;  // everything before it is durable under the policy
  bool failed = false;          // an fsync failed: the log takes nothing more
};

// The write-ahead log's writer: group commit of appends from any number of threads.
//
// Appends go to a buffer; one writer thread takes everything buffered as a group, writes it to the
// current segment, makes it durable under the fsync policy, and then calls each record's `done` in
// append order. So one fdatasync covers every record that arrived while the previous one ran.
//
// Failures: a failed write (ENOSPC, EIO) cuts the segment back to its last good record, fails the
// group and everything buffered after it, and refuses appends for `retry_after_failure_ms`; then
// appends are tried again, so ingest resumes by itself once the disk has room. A failed fdatasync
// is never retried and never followed by an acknowledgement (the page cache may have dropped the
// data while the file still looks whole): the log fails closed, and `on_fatal` is told once, so
// that the process can restart into recovery.
//
// Threading contract: append() and metrics() from any thread; `done` callbacks run on the writer
// thread, one at a time, and may block it (which is how back-pressure reaches ingest).
class WriteAheadLog {
 public:
  using Done = std::function<void(const Status& status, uint64_t offset)>;

  // Continues the log that `recovered` describes (read_wal's summary): its last segment is cut to
  // its valid length, which drops a torn tail. With no segment yet, the first starts at
  // recovered.end_offset.
  static Result<std::unique_ptr<WriteAheadLog>> open(
      WalSettings settings, const WalReadSummary& recovered,
      std::unique_ptr<WalStorage> storage = nullptr,
      std::function<void(const Status&)> on_fatal = {});
  ~WriteAheadLog();
  WriteAheadLog(const WriteAheadLog&) = delete;
  WriteAheadLog& operator=(const WriteAheadLog&) = delete;

  // Buffers a record. 'busy' when too much waits; an I/O error while the disk is failing or after
  // the log failed; 'stopped' after stop(). On success `done` will be called exactly once.
  // `new_segment` starts a segment with this record, so that every earlier record lies in
  // segments that release_before(its offset) deletes whole: how an erasure leaves the log.
  Status append(RecordKind kind, std::span<const uint8_t> payload, Done done,
                bool new_segment = false);

  // Called on the writer thread after the callbacks of each group that made it to disk, so that a
  // consumer can act once per group (hand the engine one merged batch instead of many small ones).
  void set_group_end(std::function<void()> fn);

  // Writes and syncs what is buffered, calls its callbacks, and joins the writer.
  void stop();

  // Deletes segments that hold only records before `offset` (they are covered by a checkpoint).
  Status release_before(uint64_t offset);

  WalMetrics metrics() const;
  const WalSettings& settings() const { return settings_; }

 private:
  struct Pending {
    Done done;
    uint64_t offset;
    bool new_segment = false;
  };
  struct Group {
    std::string bytes;
    std::vector<Pending> records;
  };

  WriteAheadLog(WalSettings settings, std::unique_ptr<WalStorage> storage,
                std::function<void(const Status&)> on_fatal);
  Status continue_log(const WalReadSummary& recovered);
  std::string path_of(const std::string& name) const;
  // The preparer thread: keeps a wal-next.log made and its directory entry synced.
  void prepare_segments();
  // The next segment, with its header written and its name given: the prepared one, or one made
  // on the spot when the preparer has none ready.
  Result<std::unique_ptr<WalFile>> claim_segment(uint64_t first_offset);
  Status start_segment(uint64_t first_offset);
  void run();
  // Writes records in order; `written` says how many made it when one did not.
  Status write_group(const Group& group, size_t& written);
  Status sync_now();
  void fail_group(Group& group, const Status& why);
  void on_write_failure(Group& group, const Status& why);
  void on_sync_failure(Group& group, const Status& why);

  const WalSettings settings_;
  std::unique_ptr<WalStorage> storage_;
  std::function<void(const Status&)> on_fatal_;

  // Writer thread only.
  std::unique_ptr<WalFile> file_;
  uint64_t file_bytes_ = 0;   // of the current segment, header included
  uint64_t written_end_ = 0;  // logical offset after the last written record
  std::chrono::steady_clock::time_point last_sync_;
  bool unsynced_ = false;
  bool sync_failed_ = false;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  Group buffer_;
  uint64_t next_offset_ = 0;
  bool stopping_ = false;
  bool failed_ = false;
  Status last_error_;
  std::chrono::steady_clock::time_point refuse_until_{};
  std::function<void()> group_end_;
  std::vector<WalSegmentFile> segments_;  // oldest first; the last is the one being written

  std::atomic<uint64_t> records_{0};
  std::atomic<uint64_t> bytes_{0};
  std::atomic<uint64_t> groups_{0};
  std::atomic<uint64_t> syncs_{0};
  std::atomic<uint64_t> write_failures_{0};
  std::atomic<uint64_t> segments_created_{0};
  std::atomic<uint64_t> durable_offset_{0};

  std::mutex prep_mu_;
  std::condition_variable prep_wake_;
  std::unique_ptr<WalFile> prepared_;
  bool prep_failed_ = false;
  bool prep_busy_ = false;
  bool prep_stopping_ = false;

  std::thread writer_;
  std::thread preparer_;
};

}  // namespace eddy
