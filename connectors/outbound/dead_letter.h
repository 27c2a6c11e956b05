#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

#include "runtime/ids.h"
#include "runtime/status.h"

namespace eddy {

// Why an event was given up on. Stable names: they appear in dead-letter files and metrics.
enum class DeadLetterReason : uint8_t {
  kQueueFull,     // the endpoint already held queue_capacity events when it arrived
  kEndpointGone,  // the receiver answered 410 Gone; the endpoint is disabled
  kRejected,      // a 4xx (other than 408, 410, 429) or a 1xx/3xx: retrying cannot help
  kMaxAttempts,   // every attempt failed
  kShutdown,      // the sink stopped before the event could be delivered
};
inline constexpr size_t kDeadLetterReasonCount = 5;

const char* dead_letter_reason_name(DeadLetterReason reason);

// One line of a dead-letter file.
struct DeadLetterRecord {
  WallTime time;
  std::string_view endpoint;
  std::string_view url;
  std::string_view webhook_id;
  std::string_view event_json;  // spliced in as an object, not re-encoded as a string
  uint32_t attempts = 0;
  unsigned last_status = 0;     // null in the file when 0 (no receiver answered)
  std::string_view last_error;  // null in the file when empty
  DeadLetterReason reason = DeadLetterReason::kMaxAttempts;
};

// {"time_ms":…,"endpoint":…,"url":…,"webhook_id":…,"reason":…,"attempts":…,"last_status":…,
//  "last_error":…,"event":{…}} without the newline.
std::string dead_letter_line(const DeadLetterRecord& record);

// An append-only NDJSON file. Thread-safe: endpoints dead-letter from their io threads and from
// writers whose events found a full queue. Each line is written and flushed under the lock, so
// lines from different endpoints sharing a file never interleave.
class DeadLetterFile {
 public:
  static Result<std::shared_ptr<DeadLetterFile>> open(const std::string& path);
  ~DeadLetterFile();
  DeadLetterFile(const DeadLetterFile&) = delete;
  DeadLetterFile& operator=(const DeadLetterFile&) = delete;

  Status append(std::string_view line);
  // Customer erasure: rewrites the file without the lines that mention the ids
  // (runtime/ndjson_redaction.h); appends wait meanwhile.
  Result<uint64_t> erase_customers(const std::unordered_set<std::string>& ids);
  const std::string& path() const { return path_; }

 private:
  DeadLetterFile(std::FILE* file, std::string path) : file_(file), path_(std::move(path)) {}

  std::mutex mu_;
  std::FILE* file_;  // null after a reopen failed: appends then fail
  std::string path_;
};

}  // namespace eddy
