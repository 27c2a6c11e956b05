#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/api/import_rejection.h"
#include "runtime/clock.h"

namespace eddy {

// Where an import is. Reading and submitting are the job's own passes over the body; matching
// waits for the master customer index to answer every record the log took.
enum class ImportState : uint8_t { kReading, kSubmitting, kMatching, kDone, kFailed };
std::string_view to_string(ImportState state);

// What GET /v1/imports/{id} answers.
struct ImportSummary {
  std::string id;
  ImportState state = ImportState::kReading;
  uint64_t lines = 0;      // records in the body, taken or not
  uint64_t submitted = 0;  // records durable in the write-ahead log
  uint64_t created = 0;
  uint64_t merged = 0;
  uint64_t updated = 0;
  uint64_t matched = 0;  // every outcome, the three above and any other
  uint64_t rejected = 0;
  // Emails and phone numbers so many records of the import share that they were not matched on.
  uint64_t placeholders = 0;
  std::vector<ImportRejection> rejections;  // the first ones, up to the listing limit
  uint64_t rejections_unlisted = 0;
  std::string error;  // why a failed import stopped
  WallTime started_at;
  std::optional<WallTime> finished_at;
};

boost::json::object to_json(const ImportSummary& summary);

// The progress of one import, written by its job's thread and by the tracker's sink (worker
// threads), read by the HTTP routes. Thread-safe; every call holds one mutex briefly.
//
// The import is done once its submission has finished and every submitted record has an outcome.
// Outcomes may arrive before the job learns that their batch is durable (the engine takes a batch
// before the log settles its acknowledgement), so they are counted on their own and compared only
// once submission is over.
class ImportProgress {
 public:
  ImportProgress(std::string id, size_t max_listed_rejections, const Clock& clock);

  const std::string& id() const { return id_; }

  // The job's thread.
  void count_line();
  void count_placeholders(uint64_t n);
  void reject(ImportRejection rejection);
  void start_submitting();
  void count_submitted(uint64_t n);
  // Submission is over: matching, or done at once when every record already has its outcome.
  void finish_submitting();
  // Stops the import; outcomes of what was submitted before are still counted.
  void fail(std::string error);

  // The tracker: one record of this import was matched with `outcome` ("created", "merged", ...).
  void count_outcome(std::string_view outcome);

  ImportSummary summary() const;

 private:
  void finish_if_matched();  // with mu_ held

  const std::string id_;
  const size_t max_listed_rejections_;
  const Clock& clock_;
  mutable std::mutex mu_;
  ImportSummary summary_;
};

}  // namespace eddy
