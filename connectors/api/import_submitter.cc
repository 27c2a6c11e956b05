#include "connectors/api/import_submitter.h"

#include <algorithm>
#include <condition_variable>

namespace eddy {

namespace {

Status stopped() {
  return {Errc::kStopped, "eddy is shutting down"};
}

}  // namespace

RecordSubmitter::RecordSubmitter(SubmitRecords submit, SubmitPacing pacing,
                                 std::function<void(size_t)> on_durable, std::stop_token stop)
    : submit_(std::move(submit)),
      pacing_(pacing),
      on_durable_(std::move(on_durable)),
      stop_(std::move(stop)) {}

RecordSubmitter::~RecordSubmitter() {
  (void)drain();
}

Status RecordSubmitter::wait_for_room() {
  std::unique_lock lock(window_->mu);
  window_->settled.wait(lock, [&] { return window_->in_flight < pacing_.max_in_flight; });
  return window_->first_failure;
}

bool RecordSubmitter::back_off(std::chrono::milliseconds delay) const {
  std::mutex mu;
  std::condition_variable_any wake;
  std::unique_lock lock(mu);
  // Only a stop request ends the wait early: the predicate is that one.
  return !wake.wait_for(lock, stop_, delay, [] { return false; }) && !stop_.stop_requested();
}

Status RecordSubmitter::submit(const EventBatch& batch) {
  if (Status failed = wait_for_room(); !failed) return failed;
  auto delay = pacing_.first_backoff;
  while (true) {
    if (stop_.stop_requested()) return stopped();
    {
      // Counted before the hand-over: the acknowledgement may come before submit_ returns.
      std::lock_guard lock(window_->mu);
      ++window_->in_flight;
    }
    auto done = [window = window_, on_durable = on_durable_, events = batch.size()](Status s) {
      if (s && on_durable) on_durable(events);
      std::lock_guard lock(window->mu);
      --window->in_flight;
      if (!s && window->first_failure) window->first_failure = std::move(s);
      window->settled.notify_all();
    };
    Status taken = submit_(batch, std::move(done));
    if (taken) return {};
    {
      std::lock_guard lock(window_->mu);
      --window_->in_flight;
      window_->settled.notify_all();
    }
    if (taken.code() != Errc::kBusy) return taken;
    if (!back_off(delay)) return stopped();
    delay = std::min(delay * 2, pacing_.max_backoff);
  }
}

Status RecordSubmitter::drain() {
  std::unique_lock lock(window_->mu);
  window_->settled.wait(lock, [&] { return window_->in_flight == 0; });
  return window_->first_failure;
}

}  // namespace eddy
