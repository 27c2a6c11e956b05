#pragma once

#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "connectors/api/import_job.h"
#include "connectors/api/import_progress.h"
#include "connectors/api/import_tracker.h"
#include "runtime/clock.h"
#include "runtime/status.h"

namespace eddy {

// The imports of this process (POST /v1/import, GET /v1/imports/{id}): each job runs run_import on
// a thread of its own, never on an HTTP io thread, at most `max_concurrent` at once. Statuses live
// in memory only: those of the running jobs, and of the newest `kept_finished` jobs that have
// ended (matching, done or failed); the tracker forgets an import when its status goes. A restart
// forgets them all (docs/import.md says what survives).
//
// Threading contract: every member from any thread. One mutex guards the list; no job runs under
// it. stop() must be called before the intake the jobs submit to closes for good, so that no job
// waits on it; the destructor calls it too.
class ImportJobs {
 public:
  ImportJobs(ImportSettings settings, ImportTracker& tracker, const Clock& clock);
  ~ImportJobs();
  ImportJobs(const ImportJobs&) = delete;
  ImportJobs& operator=(const ImportJobs&) = delete;

  // Starts an import and returns its id ("import_" and 32 hex digits, random, so that ids tell
  // nothing about other imports); kBusy when `max_concurrent` jobs are running, kStopped after
  // stop().
  Result<std::string> start(ImportRequest request);

  // The status of an import this process still keeps.
  std::optional<ImportSummary> find(std::string_view id) const;

  // Asks every running job to stop submitting and waits for them; takes no more imports.
  void stop();

  const ImportSettings& settings() const { return settings_; }

 private:
  struct Job {
    std::shared_ptr<ImportProgress> progress;
    std::jthread thread;
    bool running = true;  // under mu_; false once run_import has returned
  };

  void on_job_ended(Job& job);
  // Joins the threads of ended jobs and forgets the oldest ended jobs beyond `kept_finished`.
  void trim_locked();

  const ImportSettings settings_;
  ImportTracker& tracker_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::deque<std::unique_ptr<Job>> jobs_;  // oldest first
  size_t running_ = 0;
  bool stopped_ = false;
};

}  // namespace eddy
