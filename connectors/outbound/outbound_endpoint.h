#pragma once

#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "connectors/outbound/backoff.h"
#include "connectors/outbound/dead_letter.h"
#include "connectors/outbound/delivery_connection.h"
#include "connectors/outbound/endpoint_url.h"
#include "connectors/outbound/outbound_message.h"
#include "connectors/outbound/webhook_endpoint.h"
#include "connectors/webhooks/standard_webhooks.h"
#include "connectors/webhooks/webhook_id_store.h"
#include "runtime/clock.h"
#include "runtime/ids.h"

namespace eddy {

// A snapshot of one endpoint's counters, for metrics and tests.
struct OutboundEndpointMetrics {
  std::string_view endpoint;
  uint64_t delivered = 0;
  uint64_t attempts = 0;
  // Attempts that failed and were scheduled again.
  uint64_t retried = 0;
  std::array<uint64_t, kDeadLetterReasonCount> dead_lettered{};
  // Dead letters that could not be written (the file's disk is full, ...); logged as errors.
  uint64_t dead_letter_write_failures = 0;
  uint64_t in_flight = 0;
  // Events held and not on the wire: queued, or waiting for their next attempt.
  uint64_t queue_depth = 0;
  // Events not sent because the memory says the endpoint was delivered them before (a replay).
  uint64_t already_delivered = 0;
  bool disabled = false;

  uint64_t dead_lettered_for(DeadLetterReason reason) const {
    return dead_lettered[static_cast<size_t>(reason)];
  }
  uint64_t dead_lettered_total() const;
};

// Delivers events to one endpoint: a bounded queue, up to max_in_flight keep-alive connections,
// retries with backoff, dead letters.
//
// Threading contract: enqueue(), close_intake(), drain_until(), abort(), held() and metrics() may
// be called from any thread. Everything else runs on the endpoint's strand, which owns the
// connections, the retry timers and the in-flight table; only the queue (shared with writers)
// sits behind a mutex, held for a push or a pop and never across I/O. Every event accepted by
// enqueue() leaves exactly once: delivered, or written to the dead-letter file.
class OutboundEndpoint : public std::enable_shared_from_this<OutboundEndpoint> {
 public:
  using Strand = DeliveryConnection::Strand;

  struct Options {
    WebhookEndpoint config;
    EndpointUrl url;
    std::optional<WebhookSecret> secret;
    // Indexed by EventType value; empty when the endpoint takes every event.
    std::vector<bool> wanted_types;
    std::shared_ptr<DeadLetterFile> dead_letters;
    // The delivered-id memory (OutboundSettings::delivered_ids); null for none.
    std::shared_ptr<WebhookIdStore> delivered_ids;
    const Clock* clock = nullptr;
    uint64_t seed = 0;
    // Called (from any thread) whenever held() drops to zero.
    std::function<void()> on_drained;
  };

  OutboundEndpoint(boost::asio::io_context& io, Options options);

  const std::string& name() const { return options_.config.name; }
  bool wants(EventType type) const;

  // Takes the messages there is room for and dead-letters the rest at once (queue_full,
  // endpoint_gone, or shutdown after close_intake()). Never waits for I/O but that write.
  void enqueue(std::vector<OutboundMessage> messages);
  // Reserves each message's id in the delivered-id memory and drops (and counts) those the
  // endpoint was delivered before or has in hand already.
  void skip_delivered(std::vector<OutboundMessage>& messages);
  void close_intake();
  // Keeps delivering, but dead-letters at once any retry that would come after `deadline`.
  void drain_until(std::chrono::steady_clock::time_point deadline);
  // Dead-letters everything held (reason shutdown) and closes every connection.
  void abort();

  // Events accepted and not yet delivered or dead-lettered.
  size_t held() const;
  OutboundEndpointMetrics metrics() const;

 private:
  struct InFlight {
    OutboundMessage message;
    std::shared_ptr<DeliveryConnection> connection;
  };
  struct Waiting {
    OutboundMessage message;
    std::unique_ptr<boost::asio::steady_timer> timer;
  };

  void pump();
  void start_attempt(OutboundMessage message);
  DeliveryConnection::Request make_request(const OutboundMessage& message) const;
  std::shared_ptr<DeliveryConnection> take_connection();
  void on_attempt_done(uint64_t seq, AttemptResult result);
  void on_answer(OutboundMessage message, const AttemptResult& result);
  void retry_later(OutboundMessage message, std::optional<std::chrono::milliseconds> asked);
  void on_retry_due(uint64_t seq);
  void disable();
  // Dead-letters every event held but not in flight.
  void flush_held(DeadLetterReason reason);
  void give_up(const OutboundMessage& message, DeadLetterReason reason);
  void dead_letter(const OutboundMessage& message, DeadLetterReason reason);
  void release(size_t count);
  void publish_gauges();

  Options options_;
  std::shared_ptr<const ConnectionOptions> connection_options_;
  BackoffPolicy backoff_;
  Strand strand_;

  // Shared with writers.
  mutable std::mutex mu_;
  std::deque<OutboundMessage> queue_;
  size_t held_ = 0;
  bool closed_ = false;
  bool disabled_ = false;
  bool pump_posted_ = false;

  // Strand only.
  std::deque<OutboundMessage> ready_;  // retries whose wait is over; they go before the queue
  std::unordered_map<uint64_t, InFlight> in_flight_;
  std::unordered_map<uint64_t, Waiting> waiting_;
  std::vector<std::shared_ptr<DeliveryConnection>> idle_;
  uint64_t next_seq_ = 0;
  bool draining_ = false;
  std::chrono::steady_clock::time_point drain_deadline_;
  bool aborted_ = false;
  std::mt19937_64 rng_;

  // Counters, readable from any thread.
  std::atomic<uint64_t> delivered_{0};
  std::atomic<uint64_t> already_delivered_{0};
  std::atomic<uint64_t> attempts_{0};
  std::atomic<uint64_t> retried_{0};
  std::array<std::atomic<uint64_t>, kDeadLetterReasonCount> dead_lettered_{};
  std::atomic<uint64_t> dead_letter_failures_{0};
  std::atomic<uint64_t> queued_gauge_{0};
  std::atomic<uint64_t> retry_gauge_{0};
  std::atomic<uint64_t> in_flight_gauge_{0};
  std::atomic<bool> disabled_flag_{false};
};

}  // namespace eddy
