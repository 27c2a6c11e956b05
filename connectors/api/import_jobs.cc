#include "connectors/api/import_jobs.h"

#include <cstdio>
#include <random>
#include <vector>

namespace eddy {

namespace {

std::string new_import_id() {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  char hex[33];
  std::snprintf(hex, sizeof hex, "%016llx%016llx", static_cast<unsigned long long>(random()),
                static_cast<unsigned long long>(random()));
  return std::string("import_") + hex;
}

}  // namespace

ImportJobs::ImportJobs(ImportSettings settings, ImportTracker& tracker, const Clock& clock)
    : settings_(settings), tracker_(tracker), clock_(clock) {}

ImportJobs::~ImportJobs() {
  stop();
}

Result<std::string> ImportJobs::start(ImportRequest request) {
  std::lock_guard lock(mu_);
  if (stopped_) return Status(Errc::kStopped, "eddy is shutting down");
  trim_locked();
  if (running_ >= settings_.max_concurrent) {
    return Status(Errc::kBusy, std::to_string(running_) +
                                   " imports are running, as many as this eddy runs at once; "
                                   "retry once one has finished submitting");
  }
  auto job = std::make_unique<Job>();
  job->progress =
      std::make_shared<ImportProgress>(new_import_id(), settings_.max_listed_rejections, clock_);
  // Before the first record is submitted: an outcome may come back before submit returns.
  tracker_.track(job->progress);
  ++running_;
  Job& started = *job;
  // The job is started under the lock, so on_job_ended (which takes it) cannot run before
  // `jobs_` holds the job; the request, body included, is freed when the thread ends.
  started.thread = std::jthread([this, &started, request = std::move(request)](std::stop_token s) {
    run_import(request, settings_, started.progress, clock_, s);
    on_job_ended(started);
  });
  jobs_.push_back(std::move(job));
  return started.progress->id();
}

void ImportJobs::on_job_ended(Job& job) {
  std::lock_guard lock(mu_);
  job.running = false;
  --running_;
}

void ImportJobs::trim_locked() {
  size_t ended = 0;
  for (const auto& job : jobs_) {
    if (job->running) continue;
    ++ended;
    // Its thread has returned from run_import and holds nothing: joining is immediate.
    if (job->thread.joinable()) job->thread.join();
  }
  for (auto it = jobs_.begin(); it != jobs_.end() && ended > settings_.kept_finished;) {
    if ((*it)->running) {
      ++it;
      continue;
    }
    tracker_.forget((*it)->progress->id());
    it = jobs_.erase(it);
    --ended;
  }
}

std::optional<ImportSummary> ImportJobs::find(std::string_view id) const {
  std::lock_guard lock(mu_);
  for (const auto& job : jobs_) {
    if (job->progress->id() == id) return job->progress->summary();
  }
  return std::nullopt;
}

void ImportJobs::stop() {
  std::vector<std::jthread> threads;
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
    for (auto& job : jobs_) {
      if (job->thread.joinable()) threads.push_back(std::move(job->thread));
    }
  }
  // Joined without the lock, which an ending job takes.
  for (std::jthread& thread : threads) {
    thread.request_stop();
    thread.join();
  }
}

}  // namespace eddy
