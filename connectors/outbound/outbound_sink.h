#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "connectors/outbound/outbound_endpoint.h"
#include "connectors/outbound/webhook_endpoint.h"
#include "connectors/webhooks/webhook_id_store.h"
#include "runtime/clock.h"
#include "runtime/event.h"
#include "runtime/event_types.h"
#include "runtime/sink.h"
#include "runtime/status.h"

namespace eddy {

struct OutboundSettings {
  // Threads running the sink's io_context. One carries hundreds of requests in flight; more help
  // only when signing and copying bodies becomes the bottleneck.
  uint32_t io_threads = 1;
  // Seeds the backoff jitter (endpoint i draws from seed + i). Unset: one from std::random_device.
  std::optional<uint64_t> random_seed;
  // Stamps webhook-timestamp and dead letters, and dates Retry-After; the system clock when null.
  // Must outlive the sink. Waits themselves are timed by the steady clock.
  const Clock* clock = nullptr;
  // Which events each endpoint has been delivered, so that one re-emitted by a replay of the log
  // after a restart is not delivered again; null for no memory. Keyed by endpoint name and
  // webhook-id, which operators make the same on replay.
  std::shared_ptr<WebhookIdStore> delivered_ids;
};

// Turns an event into a request body. eddy passes event_to_json (connectors/ndjson_file_sink.h):
// that function lives in the `connectors` library, which itself links this one, so it is handed
// in rather than called from here.
using EventSerializer = std::function<std::string(const EventRef&)>;

enum class OutboundStopResult : uint8_t {
  kDrained,       // everything accepted was delivered or dead-lettered before the deadline
  kDeadLettered,  // the deadline came first; what was left went to the dead-letter files
};

// The sink that delivers events to webhook endpoints: each event whose type an endpoint wants is
// POSTed to it on its own, signed (Standard Webhooks), retried with backoff, and written to the
// endpoint's dead-letter file when it cannot be delivered. See docs/outbound.md.
//
// Threading contract: write() may be called from any number of worker threads at once. It
// serialises each event once, hands copies to the endpoints' bounded queues and returns without
// waiting for the network; an event finding a queue full is dead-lettered on the spot. Delivery
// runs on the sink's own io_context threads. stop() and visit() may be called from any thread;
// stop() only once matters (later calls return at once). Nothing accepted is ever dropped
// silently: it is delivered, or its dead letter is written (or, if even that write fails,
// counted and logged). Deliveries to one endpoint are not ordered: retries and parallel
// connections reorder them; receivers order by the event's time_ms.
class OutboundSink final : public Sink {
 public:
  static Result<std::shared_ptr<OutboundSink>> create(std::vector<WebhookEndpoint> endpoints,
                                                      const EventTypeRegistry& types,
                                                      EventSerializer serialize,
                                                      OutboundSettings settings = {});
  // Stops with a deadline of now if stop() was not called.
  ~OutboundSink() override;
  OutboundSink(const OutboundSink&) = delete;
  OutboundSink& operator=(const OutboundSink&) = delete;

  void write(const EventBatch& batch) override;
  // The dead-letter files' lines about these customers. Events still queued or waiting for a
  // retry are delivered as they are: they left the dataflow before the erasure.
  Result<uint64_t> erase_customers(const std::unordered_set<std::string>& ids) override;

  // Stops taking events (later writes are dead-lettered with reason "shutdown"), keeps delivering
  // what is queued, in flight or due for a retry until `deadline`, then dead-letters what is left
  // with reason "shutdown" and joins the io threads. A retry due after the deadline is
  // dead-lettered at once rather than waited for.
  OutboundStopResult stop(std::chrono::steady_clock::time_point deadline);

  // Calls `visitor` with a snapshot of each endpoint's counters, in configuration order.
  void visit(const std::function<void(const OutboundEndpointMetrics&)>& visitor) const;

 private:
  OutboundSink(EventSerializer serialize, const Clock* clock,
               std::shared_ptr<WebhookIdStore> delivered_ids);
  Status add_endpoints(std::vector<WebhookEndpoint> endpoints, const EventTypeRegistry& types,
                       uint64_t seed);
  void start(uint32_t io_threads);
  bool all_drained() const;
  bool wait_drained(std::chrono::steady_clock::time_point deadline);
  void notify_drained();

  SystemClock system_clock_;
  const Clock* clock_;
  EventSerializer serialize_;
  std::shared_ptr<WebhookIdStore> delivered_ids_;
  // Declared before the endpoints: their sockets and timers must go before the io_context does.
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::vector<std::shared_ptr<OutboundEndpoint>> endpoints_;
  std::vector<std::shared_ptr<DeadLetterFile>> dead_letter_files_;  // each once
  std::vector<std::thread> threads_;

  mutable std::mutex drain_mu_;
  std::condition_variable drained_cv_;
  std::mutex stop_mu_;
  bool stopped_ = false;
  OutboundStopResult stop_result_ = OutboundStopResult::kDrained;
};

}  // namespace eddy
