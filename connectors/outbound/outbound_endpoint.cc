#include "connectors/outbound/outbound_endpoint.h"

#include <boost/asio/post.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <cassert>
#include <numeric>

#include "connectors/outbound/delivery_outcome.h"
#include "runtime/log.h"

namespace eddy {

namespace http = boost::beast::http;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

uint64_t OutboundEndpointMetrics::dead_lettered_total() const {
  return std::accumulate(dead_lettered.begin(), dead_lettered.end(), uint64_t{0});
}

OutboundEndpoint::OutboundEndpoint(boost::asio::io_context& io, Options options)
    : options_(std::move(options)), strand_(boost::asio::make_strand(io)), rng_(options_.seed) {
  auto connection = std::make_shared<ConnectionOptions>();
  connection->url = options_.url;
  connection->connect_timeout = milliseconds(options_.config.connect_timeout_ms);
  connection->request_timeout = milliseconds(options_.config.request_timeout_ms);
  connection_options_ = std::move(connection);
  backoff_.base = milliseconds(options_.config.base_backoff_ms);
  backoff_.max = milliseconds(options_.config.max_backoff_ms);
}

bool OutboundEndpoint::wants(EventType type) const {
  const std::vector<bool>& wanted = options_.wanted_types;
  return wanted.empty() || (type.value() < wanted.size() && wanted[type.value()]);
}

void OutboundEndpoint::skip_delivered(std::vector<OutboundMessage>& messages) {
  if (!options_.delivered_ids) return;
  const WallTime now = options_.clock->now();
  std::erase_if(messages, [&](OutboundMessage& m) {
    std::string key = name() + " " + m.id;
    if (options_.delivered_ids->reserve(key, now) != IdReservation::kFresh) {
      already_delivered_.fetch_add(1);
      return true;
    }
    m.memory_key = std::move(key);
    return false;
  });
}

void OutboundEndpoint::enqueue(std::vector<OutboundMessage> messages) {
  skip_delivered(messages);
  std::vector<std::pair<size_t, DeadLetterReason>> refused;
  bool post_pump = false;
  {
    std::lock_guard lock(mu_);
    for (size_t i = 0; i < messages.size(); ++i) {
      if (closed_) {
        refused.emplace_back(i, DeadLetterReason::kShutdown);
      } else if (disabled_) {
        refused.emplace_back(i, DeadLetterReason::kEndpointGone);
      } else if (held_ >= options_.config.queue_capacity) {
        refused.emplace_back(i, DeadLetterReason::kQueueFull);
      } else {
        queue_.push_back(std::move(messages[i]));
        ++held_;
      }
    }
    queued_gauge_.store(queue_.size());
    if (!queue_.empty() && !pump_posted_) {
      pump_posted_ = true;
      post_pump = true;
    }
  }
  // Refused events are written here, on the caller's thread: the dead-letter file is the only
  // place they can go, and a full queue must not grow a second, hidden one.
  for (const auto& [index, reason] : refused)
    dead_letter(messages[index], reason);
  if (post_pump) boost::asio::post(strand_, [self = shared_from_this()] { self->pump(); });
}

void OutboundEndpoint::close_intake() {
  std::lock_guard lock(mu_);
  closed_ = true;
}

void OutboundEndpoint::drain_until(steady_clock::time_point deadline) {
  boost::asio::post(strand_, [self = shared_from_this(), deadline] {
    self->draining_ = true;
    self->drain_deadline_ = deadline;
    size_t given_up = 0;
    for (auto it = self->waiting_.begin(); it != self->waiting_.end();) {
      if (it->second.timer->expiry() <= deadline) {
        ++it;
        continue;
      }
      self->dead_letter(it->second.message, DeadLetterReason::kShutdown);
      ++given_up;
      it = self->waiting_.erase(it);  // the timer's destructor cancels its wait
    }
    self->publish_gauges();
    self->release(given_up);
    self->pump();
  });
}

void OutboundEndpoint::abort() {
  boost::asio::post(strand_, [self = shared_from_this()] {
    self->aborted_ = true;
    self->flush_held(DeadLetterReason::kShutdown);
    // Requests on the wire are given up too; their handlers find no entry and do nothing.
    size_t given_up = 0;
    for (auto& [seq, flight] : self->in_flight_) {
      flight.connection->close();
      self->dead_letter(flight.message, DeadLetterReason::kShutdown);
      ++given_up;
    }
    self->in_flight_.clear();
    for (auto& connection : self->idle_)
      connection->close();
    self->idle_.clear();
    self->publish_gauges();
    self->release(given_up);
  });
}

size_t OutboundEndpoint::held() const {
  std::lock_guard lock(mu_);
  return held_;
}

OutboundEndpointMetrics OutboundEndpoint::metrics() const {
  OutboundEndpointMetrics m;
  m.endpoint = name();
  m.delivered = delivered_.load();
  m.attempts = attempts_.load();
  m.retried = retried_.load();
  for (size_t i = 0; i < kDeadLetterReasonCount; ++i)
    m.dead_lettered[i] = dead_lettered_[i].load();
  m.dead_letter_write_failures = dead_letter_failures_.load();
  m.in_flight = in_flight_gauge_.load();
  m.queue_depth = queued_gauge_.load() + retry_gauge_.load();
  m.already_delivered = already_delivered_.load();
  m.disabled = disabled_flag_.load();
  return m;
}

void OutboundEndpoint::pump() {
  {
    std::lock_guard lock(mu_);
    pump_posted_ = false;
  }
  while (!aborted_ && in_flight_.size() < options_.config.max_in_flight) {
    OutboundMessage next;
    if (!ready_.empty()) {
      next = std::move(ready_.front());
      ready_.pop_front();
    } else {
      std::lock_guard lock(mu_);
      if (queue_.empty()) break;
      next = std::move(queue_.front());
      queue_.pop_front();
      queued_gauge_.store(queue_.size());
    }
    start_attempt(std::move(next));
  }
  publish_gauges();
}

void OutboundEndpoint::start_attempt(OutboundMessage message) {
  ++message.attempts;
  attempts_.fetch_add(1);
  DeliveryConnection::Request request = make_request(message);
  std::shared_ptr<DeliveryConnection> connection = take_connection();
  const uint64_t seq = next_seq_++;
  in_flight_.emplace(seq, InFlight{std::move(message), connection});
  connection->send(std::move(request), [self = shared_from_this(), seq](AttemptResult result) {
    self->on_attempt_done(seq, std::move(result));
  });
}

DeliveryConnection::Request OutboundEndpoint::make_request(const OutboundMessage& message) const {
  // Each attempt is stamped and signed anew: receivers reject signatures older than a few
  // minutes, and a retry may come hours after the first attempt.
  const int64_t timestamp_s = options_.clock->now().value() / kMillisPerSecond;
  DeliveryConnection::Request request{http::verb::post, options_.url.target, 11};
  request.set(http::field::host, options_.url.host_header);
  request.set(http::field::user_agent, "eddy-outbound");
  request.set(http::field::content_type, "application/json");
  request.set("webhook-id", message.id);
  request.set("webhook-timestamp", std::to_string(timestamp_s));
  if (options_.secret) {
    request.set("webhook-signature",
                sign_webhook(*options_.secret, message.id, timestamp_s, *message.body));
  }
  request.keep_alive(true);
  request.body() = *message.body;
  request.prepare_payload();
  return request;
}

std::shared_ptr<DeliveryConnection> OutboundEndpoint::take_connection() {
  if (!idle_.empty()) {
    std::shared_ptr<DeliveryConnection> connection = std::move(idle_.back());
    idle_.pop_back();
    return connection;
  }
  // At most max_in_flight connections exist: one is made only when none is idle and fewer than
  // max_in_flight are busy.
  return std::make_shared<DeliveryConnection>(strand_, connection_options_);
}

void OutboundEndpoint::on_attempt_done(uint64_t seq, AttemptResult result) {
  auto it = in_flight_.find(seq);
  if (it == in_flight_.end()) return;  // abort() has dead-lettered it already
  InFlight flight = std::move(it->second);
  in_flight_.erase(it);
  publish_gauges();
  if (flight.connection->reusable()) idle_.push_back(std::move(flight.connection));
  on_answer(std::move(flight.message), result);
  pump();
}

void OutboundEndpoint::on_answer(OutboundMessage message, const AttemptResult& result) {
  message.last_status = result.status;
  message.last_error = result.error;
  if (result.status == 0) return retry_later(std::move(message), std::nullopt);
  switch (classify_status(result.status)) {
    case DeliveryVerdict::kDelivered:
      delivered_.fetch_add(1);
      if (!message.memory_key.empty()) {
        // Remembered in memory even when the write fails; only a restart would then forget it.
        (void)options_.delivered_ids->commit(message.memory_key, options_.clock->now());
      }
      release(1);
      return;
    case DeliveryVerdict::kGone:
      disable();
      give_up(message, DeadLetterReason::kEndpointGone);
      return;
    case DeliveryVerdict::kThrottled:
      return retry_later(std::move(message),
                         parse_retry_after(result.retry_after, options_.clock->now()));
    case DeliveryVerdict::kRetry:
      return retry_later(std::move(message), std::nullopt);
    case DeliveryVerdict::kReject:
      give_up(message, DeadLetterReason::kRejected);
      return;
  }
}

void OutboundEndpoint::retry_later(OutboundMessage message, std::optional<milliseconds> asked) {
  // Another request of this endpoint may have met a 410 while this one was on the wire.
  if (disabled_flag_.load()) return give_up(message, DeadLetterReason::kEndpointGone);
  if (message.attempts >= options_.config.max_attempts) {
    return give_up(message, DeadLetterReason::kMaxAttempts);
  }
  const milliseconds wait = asked ? throttled_backoff(backoff_, *asked)
                                  : full_jitter_backoff(backoff_, message.attempts - 1, rng_);
  // During shutdown a retry that cannot come before the deadline is given up now, so that stop()
  // does not sit out the wait only to give it up then.
  if (draining_ && steady_clock::now() + wait > drain_deadline_) {
    return give_up(message, DeadLetterReason::kShutdown);
  }
  retried_.fetch_add(1);
  const uint64_t seq = next_seq_++;
  auto timer = std::make_unique<boost::asio::steady_timer>(strand_, wait);
  timer->async_wait(
      [self = shared_from_this(), seq](boost::system::error_code) { self->on_retry_due(seq); });
  waiting_.emplace(seq, Waiting{std::move(message), std::move(timer)});
  publish_gauges();
}

void OutboundEndpoint::on_retry_due(uint64_t seq) {
  // Looked up rather than trusted: a timer cancelled by drain_until(), abort() or disable() may
  // already have been due, and then its handler runs with success all the same.
  auto it = waiting_.find(seq);
  if (it == waiting_.end()) return;
  ready_.push_back(std::move(it->second.message));
  waiting_.erase(it);
  pump();
}

void OutboundEndpoint::disable() {
  if (disabled_flag_.exchange(true)) return;
  {
    std::lock_guard lock(mu_);
    disabled_ = true;
  }
  log_line(LogLevel::kWarn,
           "outbound endpoint disabled: the receiver answered 410 Gone; its events now go to the "
           "dead-letter file",
           {{"endpoint", name()}, {"url", options_.config.url}});
  flush_held(DeadLetterReason::kEndpointGone);
  for (auto& connection : idle_)
    connection->close();
  idle_.clear();
}

void OutboundEndpoint::flush_held(DeadLetterReason reason) {
  std::deque<OutboundMessage> queued;
  {
    std::lock_guard lock(mu_);
    queued.swap(queue_);
    queued_gauge_.store(0);
  }
  size_t given_up = 0;
  for (const OutboundMessage& message : ready_) {
    dead_letter(message, reason);
    ++given_up;
  }
  ready_.clear();
  for (const auto& [seq, waiting] : waiting_) {
    dead_letter(waiting.message, reason);
    ++given_up;
  }
  waiting_.clear();
  for (const OutboundMessage& message : queued) {
    dead_letter(message, reason);
    ++given_up;
  }
  publish_gauges();
  release(given_up);
}

void OutboundEndpoint::give_up(const OutboundMessage& message, DeadLetterReason reason) {
  dead_letter(message, reason);
  publish_gauges();
  release(1);
}

void OutboundEndpoint::dead_letter(const OutboundMessage& message, DeadLetterReason reason) {
  // Not delivered: a later emission of the same event (a replay) may try again.
  if (!message.memory_key.empty()) options_.delivered_ids->release(message.memory_key);
  DeadLetterRecord record;
  record.time = options_.clock->now();
  record.endpoint = name();
  record.url = options_.config.url;
  record.webhook_id = message.id;
  record.event_json = message.body ? std::string_view(*message.body) : std::string_view();
  record.attempts = message.attempts;
  record.last_status = message.last_status;
  record.last_error = message.last_error;
  record.reason = reason;
  if (Status s = options_.dead_letters->append(dead_letter_line(record)); !s) {
    // Logged at the 1st, 2nd, 4th, 8th... failure: a full disk must not flood the log as well.
    const uint64_t failures = dead_letter_failures_.fetch_add(1) + 1;
    if ((failures & (failures - 1)) == 0) {
      log_line(LogLevel::kError, "outbound: a dead letter could not be written; the event is lost",
               {{"endpoint", name()}, {"error", s.message()}, {"failures", failures}});
    }
  }
  // Counted after the line is written, so that whoever sees the count can read the line.
  dead_lettered_[static_cast<size_t>(reason)].fetch_add(1);
}

void OutboundEndpoint::release(size_t count) {
  bool drained = false;
  {
    std::lock_guard lock(mu_);
    assert(held_ >= count);
    held_ -= count;
    drained = held_ == 0;
  }
  if (drained && options_.on_drained) options_.on_drained();
}

void OutboundEndpoint::publish_gauges() {
  in_flight_gauge_.store(in_flight_.size());
  retry_gauge_.store(ready_.size() + waiting_.size());
}

}  // namespace eddy
