#include "connectors/http/session.h"

#include <boost/asio/buffer.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <cstdint>
#include <limits>

#include "connectors/http/request_checks.h"
#include "connectors/http/server.h"

namespace eddy {

namespace beast = boost::beast;
namespace net = boost::asio;
using std::chrono::milliseconds;

namespace {

constexpr size_t kFirstReadBytes = 4096;

bool is_timeout(boost::system::error_code ec) {
  return ec == beast::error::timeout;
}

bool is_gone(boost::system::error_code ec) {
  return ec == http::error::end_of_stream || ec == net::error::eof ||
         ec == net::error::connection_reset || ec == net::error::broken_pipe ||
         ec == net::error::operation_aborted;
}

}  // namespace

HttpSession::HttpSession(net::ip::tcp::socket socket, HttpServer& server)
    : socket_(std::move(socket)), server_(server), heartbeat_(socket_.get_executor()) {}

HttpSession::~HttpSession() = default;

void HttpSession::abandon() {
  if (stream_) stream_->close();
}

void HttpSession::run() {
  net::dispatch(socket_.get_executor(), [self = shared_from_this()] { self->do_read(); });
}

void HttpSession::shut_down() {
  net::post(socket_.get_executor(), [self = shared_from_this()] {
    self->closing_ = true;
    if (self->stream_) {
      self->stream_->close();
      return;
    }
    if (self->pending_.empty()) self->close();
  });
}

void HttpSession::do_read() {
  if (reading_ || reading_stopped() || closed_) return;
  if (pending_.size() >= server_.settings_.max_pipelined_responses) return;
  reading_ = true;
  if (buffer_.size() > 0) return do_read_header();
  // Waiting for a request's first byte is idleness, not a slow request: it has its own deadline.
  socket_.expires_after(milliseconds(server_.settings_.idle_timeout_ms));
  socket_.async_read_some(
      buffer_.prepare(kFirstReadBytes),
      beast::bind_front_handler(&HttpSession::on_first_bytes, shared_from_this()));
}

void HttpSession::on_first_bytes(boost::system::error_code ec, size_t n) {
  buffer_.commit(n);
  if (ec) {
    reading_ = false;
    if (stream_ && ec == net::error::operation_aborted) return;
    // A quiet keep-alive connection timing out, or the client hanging up, ends it without a word.
    if (pending_.empty()) return close();
    closing_ = true;
    return;
  }
  do_read_header();
}

void HttpSession::do_read_header() {
  header_parser_.emplace();
  header_parser_->header_limit(server_.settings_.max_header_bytes);
  // Beast's parser refuses a Content-Length over its default body limit (1 MiB) while it reads
  // the header, as a 400; on_header compares it with max_body_bytes instead (413), and the body
  // parser enforces that limit on what arrives.
  header_parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
  socket_.expires_after(milliseconds(server_.settings_.header_timeout_ms));
  http::async_read_header(socket_, buffer_, *header_parser_,
                          beast::bind_front_handler(&HttpSession::on_header, shared_from_this()));
}

void HttpSession::on_header(boost::system::error_code ec, size_t) {
  if (ec) {
    reading_ = false;
    if (stream_ && ec == net::error::operation_aborted) return;
    // A deadline that passes closes the socket (Beast's tcp_stream), so there is no one to answer.
    if (is_timeout(ec)) return close();
    if (is_gone(ec)) return pending_.empty() ? close() : void(closing_ = true);
    if (ec == http::error::header_limit)
      return fail_request(http::status::request_header_fields_too_large, "header_too_large",
                          "the request's headers exceed " +
                              std::to_string(server_.settings_.max_header_bytes) + " bytes");
    return fail_request(http::status::bad_request, "bad_request",
                        "the request could not be parsed: " + ec.message());
  }
  const auto& header = header_parser_->get();
  if (auto problem = framing_problem(header))
    return fail_request(http::status::bad_request, "ambiguous_framing", *problem);
  // Refused before the body is read, so a client is not made to send what will be thrown away.
  if (auto length = header_parser_->content_length();
      length && *length > server_.settings_.max_body_bytes)
    return fail_request(http::status::payload_too_large, "body_too_large",
                        "the request's body exceeds " +
                            std::to_string(server_.settings_.max_body_bytes) + " bytes");

  auto expect = header.find(http::field::expect);
  if (expect != header.end() && beast::iequals(expect->value(), "100-continue") &&
      header.version() >= 11) {
    // curl and many SDKs wait for this before sending a body larger than a kilobyte.
    static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    return net::async_write(socket_, net::buffer(kContinue),
                            [self = shared_from_this()](boost::system::error_code wec, size_t) {
                              self->on_continue_written(wec);
                            });
  }
  do_read_body();
}

void HttpSession::on_continue_written(boost::system::error_code ec) {
  if (ec) {
    reading_ = false;
    return close();
  }
  do_read_body();
}

void HttpSession::do_read_body() {
  body_parser_.emplace(std::move(*header_parser_));
  header_parser_.reset();
  body_parser_->body_limit(server_.settings_.max_body_bytes);
  socket_.expires_after(milliseconds(server_.settings_.body_timeout_ms));
  http::async_read(socket_, buffer_, *body_parser_,
                   beast::bind_front_handler(&HttpSession::on_body, shared_from_this()));
}

void HttpSession::on_body(boost::system::error_code ec, size_t) {
  reading_ = false;
  if (ec) {
    if (stream_ && ec == net::error::operation_aborted) return;
    if (is_timeout(ec)) return close();
    if (ec == http::error::body_limit)
      return fail_request(http::status::payload_too_large, "body_too_large",
                          "the request's body exceeds " +
                              std::to_string(server_.settings_.max_body_bytes) + " bytes");
    if (is_gone(ec)) return pending_.empty() ? close() : void(closing_ = true);
    return fail_request(http::status::bad_request, "bad_request",
                        "the request's body could not be read: " + ec.message());
  }
  http::request<http::string_body> message = body_parser_->release();
  body_parser_.reset();
  const bool keep_alive = message.keep_alive();
  dispatch(std::move(message));
  if (!keep_alive) closing_ = true;
  do_read();
}

void HttpSession::dispatch(http::request<http::string_body> message) {
  auto pending = std::make_shared<Pending>();
  pending->version = message.version();
  pending->keep_alive = message.keep_alive();
  pending->started = std::chrono::steady_clock::now();
  pending_.push_back(pending);

  HttpRequest request;
  request.message = std::move(message);
  // Weak: the server's registry keeps an open session alive, and an answer that comes after the
  // connection closed (or the server went away) has nowhere to go.
  std::weak_ptr<HttpSession> weak = weak_from_this();
  Responder respond([weak, pending](HttpResponse response) {
    auto self = weak.lock();
    if (!self) return;
    net::post(self->socket_.get_executor(),
              [self, pending, response = std::move(response)]() mutable {
                self->on_response(pending, std::move(response));
              });
  });
  pending->route = std::string(server_.router_->dispatch(request, std::move(respond)));
}

void HttpSession::fail_request(http::status status, std::string_view code,
                               std::string_view message) {
  auto pending = std::make_shared<Pending>();
  pending->keep_alive = false;
  pending->route = "unreadable";
  pending->started = std::chrono::steady_clock::now();
  pending_.push_back(pending);
  closing_ = true;
  on_response(pending, error_response(status, code, message));
}

void HttpSession::on_response(const std::shared_ptr<Pending>& pending, HttpResponse response) {
  if (closed_) return;
  if (server_.observer_) {
    server_.observer_(pending->route, static_cast<unsigned>(response.status),
                      std::chrono::steady_clock::now() - pending->started);
  }
  pending->response = std::move(response);
  do_write();
}

void HttpSession::do_write() {
  if (writing_ || closed_ || pending_.empty() || !pending_.front()->response) return;
  std::shared_ptr<Pending> front = pending_.front();
  HttpResponse& r = *front->response;
  if (r.stream) return start_stream(std::move(r.stream));

  auto message = std::make_shared<http::response<http::string_body>>(r.status, front->version);
  message->set(http::field::server, "eddy");
  message->set(http::field::content_type, r.content_type);
  for (auto& [name, value] : r.headers)
    message->set(name, value);
  message->body() = std::move(r.body);
  const bool close_after = closing_ && pending_.size() == 1;
  message->keep_alive(front->keep_alive && !close_after && !server_.stopping());
  message->prepare_payload();
  const bool close = !message->keep_alive();
  writing_ = true;
  writing_message_ = message;
  // The read side's deadline covers a write while a read is pending; otherwise this one does, so
  // that a client that stops reading cannot hold the connection forever.
  if (!reading_) socket_.expires_after(milliseconds(server_.settings_.body_timeout_ms));
  http::async_write(socket_, *message,
                    [self = shared_from_this(), close](boost::system::error_code ec, size_t) {
                      self->on_write(ec, close);
                    });
}

void HttpSession::on_write(boost::system::error_code ec, bool close_after) {
  writing_ = false;
  writing_message_.reset();
  if (!pending_.empty()) pending_.pop_front();
  if (ec || close_after) return close();
  if (closing_ && pending_.empty()) return close();
  do_write();
  do_read();
}

void HttpSession::start_stream(std::shared_ptr<EventStream> stream) {
  stream_ = std::move(stream);
  // No further request is read on this connection; a read already waiting is cancelled so that its
  // deadline cannot end the stream.
  if (reading_) socket_.socket().cancel();
  socket_.expires_never();
  static const std::string kHead =
      "HTTP/1.1 200 OK\r\nServer: eddy\r\nContent-Type: text/event-stream\r\n"
      "Cache-Control: no-cache\r\nConnection: close\r\n\r\n: connected\n\n";
  stream_out_ = {kHead};
  writing_ = true;
  socket_.expires_after(milliseconds(server_.settings_.body_timeout_ms));
  net::async_write(socket_, net::buffer(stream_out_.front()),
                   [self = shared_from_this()](boost::system::error_code ec, size_t) {
                     self->on_stream_write(ec);
                   });
}

void HttpSession::pump_stream() {
  if (writing_ || closed_) return;
  stream_out_ = stream_->take();
  if (stream_out_.empty()) {
    if (stream_->closed()) return close();
    // While a stream waits for events no I/O is pending, so the waker keeps the session alive. The
    // cycle (session, stream, waker) ends when the stream wakes it: an event, or a close from
    // either side.
    stream_->on_ready([self = shared_from_this()] {
      net::post(self->socket_.get_executor(), [self] { self->pump_stream(); });
    });
    return;
  }
  std::vector<net::const_buffer> buffers;
  for (const std::string& s : stream_out_)
    buffers.emplace_back(net::buffer(s));
  writing_ = true;
  socket_.expires_after(milliseconds(server_.settings_.body_timeout_ms));
  net::async_write(socket_, buffers,
                   [self = shared_from_this()](boost::system::error_code ec, size_t) {
                     self->on_stream_write(ec);
                   });
}

void HttpSession::on_stream_write(boost::system::error_code ec) {
  writing_ = false;
  socket_.expires_never();
  if (ec) return close();
  arm_heartbeat();
  pump_stream();
}

void HttpSession::arm_heartbeat() {
  heartbeat_.expires_after(milliseconds(server_.settings_.sse_heartbeat_ms));
  heartbeat_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || self->closed_ || self->writing_) return;
    // A comment line: it keeps proxies from timing the stream out and tells us when the client has
    // gone, since writing to a closed connection fails.
    static const std::string kPing = ": ping\n\n";
    self->writing_ = true;
    self->socket_.expires_after(milliseconds(self->server_.settings_.body_timeout_ms));
    net::async_write(self->socket_, net::buffer(kPing),
                     [self](boost::system::error_code wec, size_t) { self->on_stream_write(wec); });
  });
}

void HttpSession::close() {
  if (closed_) return;
  closed_ = true;
  server_.forget(this);
  heartbeat_.cancel();
  if (stream_) stream_->close();
  boost::system::error_code ignored;
  socket_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
  socket_.close();
}

}  // namespace eddy
