#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>

#include "runtime/event.h"
#include "runtime/status.h"

namespace eddy {

// Hands a batch of events to the durable intake: ok when the intake took it, and then `done` is
// called once, from another thread or before the call returns, with ok when the batch is durable
// and taken by the engine or why it never will be. A status other than ok means nothing was taken
// and `done` will not be called; kBusy says to try again shortly.
using SubmitRecords =
    std::function<Status(const EventBatch& batch, std::function<void(Status)> done)>;

struct SubmitPacing {
  // Batches handed over and not yet durable: enough to keep the log's group commit fed while one
  // batch is being written, few enough that an import cannot crowd out live ingest.
  size_t max_in_flight = 4;
  // A busy intake is asked again after this, doubling up to `max_backoff`.
  std::chrono::milliseconds first_backoff{2};
  std::chrono::milliseconds max_backoff{200};
};

// Feeds one import's batches to the intake with back-pressure: it waits while `max_in_flight`
// batches are not yet durable, and asks again, after a short backoff, for as long as the intake is
// busy, so that no record is dropped because eddy was loaded. It gives up only when the intake
// refuses for another reason (shutting down, a failing disk), a batch fails to become durable, or
// `stop` is requested.
//
// Used from the import job's thread; acknowledgements arrive on the log's thread. Destruction
// waits for every batch in flight, whose acknowledgements refer to it.
class RecordSubmitter {
 public:
  RecordSubmitter(SubmitRecords submit, SubmitPacing pacing,
                  std::function<void(size_t events)> on_durable, std::stop_token stop);
  ~RecordSubmitter();
  RecordSubmitter(const RecordSubmitter&) = delete;
  RecordSubmitter& operator=(const RecordSubmitter&) = delete;

  // Hands `batch` over; an error when it was not taken, or an earlier batch failed.
  Status submit(const EventBatch& batch);
  // Waits until every batch handed over is durable or failed; the first failure.
  Status drain();

 private:
  // Shared with the acknowledgements in flight.
  struct Window {
    std::mutex mu;
    std::condition_variable settled;
    size_t in_flight = 0;
    Status first_failure;
  };

  Status wait_for_room();
  // False when `stop` was requested before the backoff ran out.
  bool back_off(std::chrono::milliseconds delay) const;

  SubmitRecords submit_;
  SubmitPacing pacing_;
  std::function<void(size_t)> on_durable_;
  std::stop_token stop_;
  std::shared_ptr<Window> window_ = std::make_shared<Window>();
};

}  // namespace eddy
