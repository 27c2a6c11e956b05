#include "connectors/outbound/dead_letter.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <cerrno>
#include <cstring>

#include "runtime/ndjson_redaction.h"

namespace eddy {

const char* dead_letter_reason_name(DeadLetterReason reason) {
  switch (reason) {
    case DeadLetterReason::kQueueFull:
      return "queue_full";
    case DeadLetterReason::kEndpointGone:
      return "endpoint_gone";
    case DeadLetterReason::kRejected:
      return "rejected";
    case DeadLetterReason::kMaxAttempts:
      return "max_attempts";
    case DeadLetterReason::kShutdown:
      return "shutdown";
  }
  return "unknown";
}

std::string dead_letter_line(const DeadLetterRecord& r) {
  boost::json::object o;
  o["time_ms"] = r.time.value();
  o["endpoint"] = r.endpoint;
  o["url"] = r.url;
  o["webhook_id"] = r.webhook_id;
  o["reason"] = dead_letter_reason_name(r.reason);
  o["attempts"] = r.attempts;
  if (r.last_status != 0) {
    o["last_status"] = r.last_status;
  } else {
    o["last_status"] = nullptr;
  }
  if (!r.last_error.empty()) {
    o["last_error"] = r.last_error;
  } else {
    o["last_error"] = nullptr;
  }
  // The event is already JSON; splicing it in keeps it byte for byte what the receiver would
  // have been sent, and saves parsing it again.
  std::string line = boost::json::serialize(o);
  line.pop_back();
  line.append(",\"event\":").append(r.event_json.empty() ? "null" : r.event_json).push_back('}');
  return line;
}

Result<std::shared_ptr<DeadLetterFile>> DeadLetterFile::open(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "ae");
  if (f == nullptr) return {Errc::kIo, "dead-letter file " + path + ": " + std::strerror(errno)};
  return std::shared_ptr<DeadLetterFile>(new DeadLetterFile(f, path));
}

DeadLetterFile::~DeadLetterFile() {
  if (file_ != nullptr) std::fclose(file_);
}

Status DeadLetterFile::append(std::string_view line) {
  std::lock_guard lock(mu_);
  const bool ok = file_ != nullptr &&
                  std::fwrite(line.data(), 1, line.size(), file_) == line.size() &&
                  std::fputc('\n', file_) != EOF && std::fflush(file_) == 0;
  if (!ok) return {Errc::kIo, "dead-letter file " + path_ + ": " + std::strerror(errno)};
  return Status::ok();
}

Result<uint64_t> DeadLetterFile::erase_customers(const std::unordered_set<std::string>& ids) {
  std::lock_guard lock(mu_);
  return remove_lines_mentioning(file_, path_, ids);
}

}  // namespace eddy
