#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "runtime/durability/wal_format.h"
#include "runtime/status.h"

namespace eddy {

struct WalRecord {
  uint64_t offset = 0;
  RecordKind kind = RecordKind::kEvents;
  std::span<const uint8_t> payload;  // valid during the visit only
};

struct WalSegmentFile {
  uint64_t first_offset = 0;
  std::string path;
  bool prepared = false;  // still named wal-next.log (see wal_format.h)
};

// The segments in `dir`, oldest first. A missing directory has none. A wal-next.log counts once
// it has a valid header (its first offset comes from there).
Result<std::vector<WalSegmentFile>> list_wal_segments(const std::string& dir);

struct WalReadOptions {
  // A corrupt record in the middle of the log stops the read with an error naming the file and
  // offset; with this set it is skipped (counted and logged) and the read goes on at the next
  // record that checks.
  bool skip_corrupt = false;
};

struct WalReadSummary {
  uint64_t records = 0;
  // Where the next record goes: the end of the last valid record.
  uint64_t end_offset = 0;
  // The last segment, and how many of its bytes hold valid records: the writer cuts the file to
  // that length before appending, which drops a torn tail.
  std::string tail_path;
  uint64_t tail_first_offset = 0;
  bool tail_prepared = false;
  uint64_t tail_valid_bytes = 0;
  uint64_t torn_bytes = 0;  // bytes after the last valid record of the last segment
  uint64_t skipped_records = 0;
  uint64_t skipped_bytes = 0;
};

// Calls `visit` for every valid record at or after `from`, in log order, and says where the log
// ends. A record the crash left half-written at the very end of the last segment is a torn tail:
// it is reported, logged and not visited. Anything else that fails its checks is corruption (see
// WalReadOptions). A visit that fails stops the read with its status.
Result<WalReadSummary> read_wal(const std::string& dir, uint64_t from,
                                const WalReadOptions& options,
                                const std::function<Status(const WalRecord&)>& visit);

}  // namespace eddy
