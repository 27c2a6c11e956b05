#include "bench/load/load_client.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <memory>
#include <optional>

namespace eddy::load {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kMaxResponseBytes = 64ull * 1024 * 1024;
constexpr auto kReconnectDelay = std::chrono::milliseconds(100);
constexpr auto kLateThreshold = std::chrono::milliseconds(1);

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6)
      out += kAlphabet[(v >> s) & 63];
  }
  if (i + 1 == in.size()) {
    const uint32_t v = uint8_t(in[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    const uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

// A request's place in the schedule.
struct Slot {
  Clock::time_point due;
  uint64_t max_events;
};

// The run's shared state. Everything runs on the one io_context thread, so nothing here is
// guarded.
class LoadRun {
 public:
  LoadRun(const LoadOptions& options, RequestSource& source, tcp::endpoint endpoint)
      : options_(options),
        source_(source),
        endpoint_(endpoint),
        hard_stop_(ioc_),
        signals_(ioc_, SIGINT, SIGTERM) {
    report_.paced = options.rate > 0;
    if (options.rate > 0) {
      interval_ = std::chrono::nanoseconds(static_cast<int64_t>(
          1e9 * static_cast<double>(options.events_per_request()) / options.rate));
    }
    if (!options.write_key.empty() && options.mode != LoadMode::kQuery) {
      authorization_ = "Basic " + base64(options.write_key + ":");
    } else if (!options.token.empty() && options.mode == LoadMode::kQuery) {
      authorization_ = "Bearer " + options.token;
    }
    host_ = options.host.find(':') == std::string::npos
                ? options.host + ":" + std::to_string(options.port)
                : "[" + options.host + "]:" + std::to_string(options.port);
  }

  LoadReport run();

  net::io_context& ioc() { return ioc_; }
  const LoadOptions& options() const { return options_; }
  const tcp::endpoint& endpoint() const { return endpoint_; }
  RequestSource& source() { return source_; }
  LoadReport& report() { return report_; }
  const std::string& authorization() const { return authorization_; }
  const std::string& host() const { return host_; }
  bool stopping() const { return stopping_; }

  std::optional<Slot> take_slot();
  // The source had nothing for the slot just taken: it was never used.
  void exhausted() {
    --issued_requests_;
    source_exhausted_ = true;
    stop_taking_work();
  }
  void answered(Clock::time_point at) { last_answer_ = at; }
  void connection_done();

 private:
  void stop_taking_work();

  const LoadOptions& options_;
  RequestSource& source_;
  tcp::endpoint endpoint_;
  net::io_context ioc_{1};
  net::steady_timer hard_stop_;
  net::signal_set signals_;
  LoadReport report_;
  std::string authorization_;
  std::string host_;
  std::chrono::nanoseconds interval_{0};
  Clock::time_point start_;
  Clock::time_point deadline_;
  Clock::time_point last_answer_;
  uint64_t issued_requests_ = 0;
  uint64_t issued_events_ = 0;
  uint32_t live_connections_ = 0;
  bool stopping_ = false;
  bool source_exhausted_ = false;
};

// One keep-alive connection: connect, then take a slot, wait until it is due, write, read, and
// again, until the run stops giving out slots. Beast's async server example, turned around.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  explicit Connection(LoadRun& run) : run_(run), stream_(run.ioc()), timer_(run.ioc()) {}

  void start() { do_connect(); }

 private:
  void do_connect();
  void on_connect(beast::error_code ec);
  void do_next();
  void on_due(beast::error_code ec);
  void do_write();
  void on_write(beast::error_code ec);
  void on_read(beast::error_code ec);
  void fail(beast::error_code ec);
  void finish();
  std::chrono::milliseconds timeout() const {
    return std::chrono::milliseconds(run_.options().timeout_ms);
  }

  LoadRun& run_;
  beast::tcp_stream stream_;
  net::steady_timer timer_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  std::optional<http::response_parser<http::string_body>> parser_;
  OutgoingRequest outgoing_;
  Slot slot_{};
  Clock::time_point sent_;
  bool in_flight_ = false;
};

void Connection::do_connect() {
  stream_.expires_after(timeout());
  stream_.async_connect(run_.endpoint(),
                        beast::bind_front_handler(&Connection::on_connect, shared_from_this()));
}

void Connection::on_connect(beast::error_code ec) {
  if (ec) {
    ++run_.report().connect_errors;
    stream_.close();
    if (run_.stopping()) return finish();
    timer_.expires_after(kReconnectDelay);
    timer_.async_wait([self = shared_from_this()](beast::error_code) { self->do_connect(); });
    return;
  }
  stream_.socket().set_option(tcp::no_delay(true));
  do_next();
}

void Connection::do_next() {
  std::optional<Slot> slot = run_.take_slot();
  if (!slot) return finish();
  slot_ = *slot;
  if (slot_.due > Clock::now()) {
    timer_.expires_at(slot_.due);
    timer_.async_wait(beast::bind_front_handler(&Connection::on_due, shared_from_this()));
    return;
  }
  do_write();
}

void Connection::on_due(beast::error_code ec) {
  if (ec) return finish();
  do_write();
}

void Connection::do_write() {
  // Built now rather than when the slot was taken, so that live events carry the send time.
  if (!run_.source().next(slot_.max_events, outgoing_)) {
    run_.exhausted();
    return finish();
  }
  request_ = {};
  request_.method(outgoing_.get ? http::verb::get : http::verb::post);
  request_.target(outgoing_.target);
  request_.version(11);
  request_.set(http::field::host, run_.host());
  request_.set(http::field::user_agent, "eddy-load/0.1");
  if (!outgoing_.get) request_.set(http::field::content_type, outgoing_.content_type);
  if (!run_.authorization().empty()) {
    request_.set(http::field::authorization, run_.authorization());
  }
  request_.keep_alive(true);
  request_.body() = std::move(outgoing_.body);
  request_.prepare_payload();

  sent_ = Clock::now();
  LoadReport& r = run_.report();
  if (r.paced && sent_ - slot_.due > kLateThreshold) {
    ++r.late_requests;
    r.max_lag_ns =
        std::max<uint64_t>(r.max_lag_ns, static_cast<uint64_t>((sent_ - slot_.due).count()));
  }
  in_flight_ = true;
  stream_.expires_after(timeout());
  http::async_write(stream_, request_, [self = shared_from_this()](beast::error_code ec, size_t) {
    self->on_write(ec);
  });
}

void Connection::on_write(beast::error_code ec) {
  if (ec) return fail(ec);
  run_.report().bytes_sent += request_.body().size();
  parser_.emplace();
  parser_->body_limit(kMaxResponseBytes);
  http::async_read(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
}

void Connection::on_read(beast::error_code ec) {
  if (ec) return fail(ec);
  const Clock::time_point now = Clock::now();
  in_flight_ = false;
  run_.answered(now);
  const http::response<http::string_body>& response = parser_->get();
  const unsigned status = response.result_int();
  LoadReport& r = run_.report();
  ++r.requests;
  ++r.statuses[status];
  r.events_sent += outgoing_.events;
  if (status >= 200 && status < 300) r.events_ok += outgoing_.events;
  const Clock::time_point from = r.paced ? slot_.due : sent_;
  r.latency_ns.record(static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(now - from).count()));
  if (!response.keep_alive()) {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
    buffer_.clear();
    if (run_.stopping()) return finish();
    return do_connect();
  }
  do_next();
}

void Connection::fail(beast::error_code ec) {
  LoadReport& r = run_.report();
  if (ec == beast::error::timeout) {
    ++r.timeouts;
  } else {
    ++r.io_errors;
  }
  if (in_flight_) ++r.unanswered;
  in_flight_ = false;
  stream_.close();
  buffer_.clear();
  if (run_.stopping()) return finish();
  timer_.expires_after(kReconnectDelay);
  timer_.async_wait([self = shared_from_this()](beast::error_code) { self->do_connect(); });
}

void Connection::finish() {
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.close();
  run_.connection_done();
}

std::optional<Slot> LoadRun::take_slot() {
  if (stopping_) return std::nullopt;
  const uint64_t per_request = options_.events_per_request();
  uint64_t max_events = per_request;
  if (options_.events > 0) {
    if (issued_events_ >= options_.events) {
      stop_taking_work();
      return std::nullopt;
    }
    max_events = std::min(max_events, options_.events - issued_events_);
  }
  const Clock::time_point now = Clock::now();
  const Clock::time_point due =
      interval_.count() > 0 ? start_ + interval_ * static_cast<int64_t>(issued_requests_) : now;
  // A paced run sends every request due before the deadline, however late; an unpaced one stops
  // at the deadline.
  if (interval_.count() > 0 ? due >= deadline_ : now >= deadline_) {
    stop_taking_work();
    return std::nullopt;
  }
  ++issued_requests_;
  issued_events_ += max_events;
  return Slot{due, max_events};
}

void LoadRun::stop_taking_work() {
  if (stopping_) return;
  stopping_ = true;
  // Whatever is still in flight gets one timeout to finish; then the run ends regardless.
  hard_stop_.expires_after(std::chrono::milliseconds(options_.timeout_ms) +
                           std::chrono::milliseconds(100));
  hard_stop_.async_wait([this](beast::error_code ec) {
    if (!ec) ioc_.stop();
  });
}

void LoadRun::connection_done() {
  if (--live_connections_ == 0) {
    hard_stop_.cancel();
    signals_.cancel();
  }
}

LoadReport LoadRun::run() {
  start_ = Clock::now();
  last_answer_ = start_;
  deadline_ = start_ + std::chrono::duration_cast<Clock::duration>(
                           std::chrono::duration<double>(options_.duration_s));
  signals_.async_wait([this](beast::error_code ec, int) {
    if (!ec) stop_taking_work();
  });
  // Also bounds a run whose connections never get through.
  hard_stop_.expires_at(deadline_ + std::chrono::milliseconds(options_.timeout_ms));
  hard_stop_.async_wait([this](beast::error_code ec) {
    if (!ec) ioc_.stop();
  });
  live_connections_ = options_.connections;
  for (uint32_t i = 0; i < options_.connections; ++i) {
    std::make_shared<Connection>(*this)->start();
  }
  ioc_.run();
  const uint64_t answered_or_lost = report_.requests + report_.unanswered;
  if (issued_requests_ > answered_or_lost) {
    report_.unanswered += issued_requests_ - answered_or_lost;
  }
  if (interval_.count() > 0) {
    // Requests due before the deadline that the run ended before sending (it ends at the
    // deadline plus one timeout at the latest, however far behind it fell).
    uint64_t planned =
        static_cast<uint64_t>((deadline_ - start_ + interval_ - Clock::duration(1)) / interval_);
    if (options_.events > 0) {
      const uint64_t per_request = options_.events_per_request();
      planned = std::min(planned, (options_.events + per_request - 1) / per_request);
    }
    if (!source_exhausted_ && planned > issued_requests_) {
      report_.unsent = planned - issued_requests_;
    }
  }
  report_.elapsed_s = std::chrono::duration<double>(last_answer_ - start_).count();
  return std::move(report_);
}

}  // namespace

Result<LoadReport> run_load(const LoadOptions& options, RequestSource& source) {
  boost::system::error_code ec;
  const auto address = net::ip::make_address(options.host, ec);
  if (ec) return Status(Errc::kInvalidArgument, "bad address " + options.host);
  LoadRun run(options, source, tcp::endpoint(address, options.port));
  return run.run();
}

}  // namespace eddy::load
