#include "connectors/outbound/delivery_connection.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace eddy {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

DeliveryConnection::DeliveryConnection(Strand strand,
                                       std::shared_ptr<const ConnectionOptions> options)
    : options_(std::move(options)), resolver_(strand), stream_(strand) {}

void DeliveryConnection::send(Request request, Done done) {
  request_ = std::move(request);
  done_ = std::move(done);
  if (closing_) {
    // Never calls back from inside send(): the caller may be in the middle of its own state.
    boost::asio::post(stream_.get_executor(), [self = shared_from_this()] {
      self->fail("send", boost::asio::error::operation_aborted);
    });
    return;
  }
  parser_.emplace();
  parser_->body_limit(options_->max_response_body);
  reused_ = open_;
  if (open_) {
    do_write();
  } else {
    do_resolve();
  }
}

void DeliveryConnection::close() {
  closing_ = true;
  resolver_.cancel();
  reset_socket();
}

void DeliveryConnection::do_resolve() {
  resolver_.async_resolve(
      options_->url.host, std::to_string(options_->url.port),
      beast::bind_front_handler(&DeliveryConnection::on_resolve, shared_from_this()));
}

void DeliveryConnection::on_resolve(beast::error_code ec, tcp::resolver::results_type results) {
  if (ec || closing_) return fail("resolve", ec ? ec : boost::asio::error::operation_aborted);
  do_connect(results);
}

void DeliveryConnection::do_connect(const tcp::resolver::results_type& results) {
  stream_.expires_after(options_->connect_timeout);
  stream_.async_connect(
      results, beast::bind_front_handler(&DeliveryConnection::on_connect, shared_from_this()));
}

void DeliveryConnection::on_connect(beast::error_code ec, const tcp::endpoint&) {
  if (ec || closing_) return fail("connect", ec ? ec : boost::asio::error::operation_aborted);
  open_ = true;
  do_write();
}

void DeliveryConnection::do_write() {
  // One deadline for writing the request and reading the whole answer: a receiver that trickles
  // its response is cut off as surely as one that never answers.
  stream_.expires_after(options_->request_timeout);
  http::async_write(stream_, request_,
                    beast::bind_front_handler(&DeliveryConnection::on_write, shared_from_this()));
}

void DeliveryConnection::on_write(beast::error_code ec, size_t) {
  if (ec) return on_transfer_error("write", ec);
  do_read();
}

void DeliveryConnection::do_read() {
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&DeliveryConnection::on_read, shared_from_this()));
}

void DeliveryConnection::on_read(beast::error_code ec, size_t) {
  // The status is the answer; a body too large to read is the receiver's business, not a reason
  // to send the event again. The connection cannot be reused with the rest of it unread.
  const bool answered_with_large_body =
      ec == http::error::body_limit && parser_->is_header_done() && !closing_;
  if (ec && !answered_with_large_body) return on_transfer_error("read", ec);
  stream_.expires_never();
  const auto& response = parser_->get();
  AttemptResult result;
  result.status = response.result_int();
  result.retry_after = response[http::field::retry_after];
  if (answered_with_large_body || !response.keep_alive()) reset_socket();
  complete(std::move(result));
}

void DeliveryConnection::on_transfer_error(const char* stage, beast::error_code ec) {
  const bool stale = reused_ && !closing_ && !parser_->got_some() && ec != beast::error::timeout;
  if (!stale) return fail(stage, ec);
  reused_ = false;
  reset_socket();
  parser_.emplace();
  parser_->body_limit(options_->max_response_body);
  do_resolve();
}

void DeliveryConnection::fail(const char* stage, beast::error_code ec) {
  reset_socket();
  AttemptResult result;
  result.error = std::string(stage) + ": " +
                 (ec == beast::error::timeout ? std::string("timeout") : ec.message());
  complete(std::move(result));
}

void DeliveryConnection::complete(AttemptResult result) {
  // Moved out first: `done` may hand this connection its next request at once.
  Done done = std::move(done_);
  done_ = nullptr;
  if (done) done(std::move(result));
}

void DeliveryConnection::reset_socket() {
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.close();
  buffer_.clear();
  open_ = false;
}

}  // namespace eddy
