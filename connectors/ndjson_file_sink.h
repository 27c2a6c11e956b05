#pragma once

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

#include "runtime/event_types.h"
#include "runtime/sink.h"
#include "runtime/status.h"

namespace eddy {

// Appends every event it receives to a file, one JSON object per line:
//   {"key":"u42","type":"Cart Abandoned","time_ms":...,"amount":...,"quantity":...,"item":"...",
//    "properties":{...}}
// Thread-safe; each batch is written with one call and flushed, so a line is never torn by another
// writer. A failed write is counted, not retried (the outbound sink with retries is a connector of
// its own).
class NdjsonFileSink final : public Sink {
 public:
  static Result<std::unique_ptr<NdjsonFileSink>> open(
      const std::string& path, std::shared_ptr<const EventTypeRegistry> types);
  ~NdjsonFileSink() override;

  void write(const EventBatch& batch) override;
  // Rewrites the file without the lines that mention the ids (runtime/ndjson_redaction.h).
  Result<uint64_t> erase_customers(const std::unordered_set<std::string>& ids) override;
  uint64_t written() const;
  uint64_t failed_writes() const;

 private:
  NdjsonFileSink(std::FILE* file, std::string path, std::shared_ptr<const EventTypeRegistry> types)
      : file_(file), path_(std::move(path)), types_(std::move(types)) {}

  mutable std::mutex mu_;
  std::FILE* file_;  // null after a reopen failed: writes then fail and are counted
  std::string path_;
  std::shared_ptr<const EventTypeRegistry> types_;
  uint64_t written_ = 0;
  uint64_t failed_ = 0;
};

// One event as the JSON line above, without the newline.
std::string event_to_json(const EventRef& event, const EventTypeRegistry& types);

}  // namespace eddy
