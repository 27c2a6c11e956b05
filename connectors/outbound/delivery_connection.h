#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "connectors/outbound/endpoint_url.h"

namespace eddy {

// What one attempt came to.
struct AttemptResult {
  unsigned status = 0;      // 0: no response; `error` says why
  std::string retry_after;  // the response's Retry-After header, when it had one
  std::string error;        // "connect: Connection refused", "read: timeout", ...
};

struct ConnectionOptions {
  EndpointUrl url;
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds request_timeout{15'000};
  // Response bodies are read only to keep the connection usable; a larger one ends it.
  uint64_t max_response_body = 64 * 1024;
};

// One HTTP/1.1 client connection to an endpoint, kept alive between requests, one request at a
// time (no pipelining: a receiver may answer slowly, and one slow answer must not hold others).
//
// Threading: everything runs on the strand it is given, the endpoint's; send() and close() must
// be called on it, and `done` is called on it.
//
// A keep-alive connection can be closed by the receiver while it sits idle, and the sender only
// learns so when it uses it again. A request that fails on a reused connection before any byte
// of an answer arrived is therefore sent once more on a fresh connection, without counting as an
// attempt. The receiver may see that request twice (if it processed it and then closed without
// answering), which the webhook-id lets it recognise.
class DeliveryConnection : public std::enable_shared_from_this<DeliveryConnection> {
 public:
  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  using Done = std::function<void(AttemptResult)>;

  DeliveryConnection(Strand strand, std::shared_ptr<const ConnectionOptions> options);

  void send(Request request, Done done);
  // Cancels what is pending (its `done` then sees an error) and closes the socket for good.
  void close();
  // Whether the next send() can go out on this connection, or would open a new one.
  bool reusable() const { return open_ && !closing_; }

 private:
  void do_resolve();
  void on_resolve(boost::beast::error_code ec,
                  boost::asio::ip::tcp::resolver::results_type results);
  void do_connect(const boost::asio::ip::tcp::resolver::results_type& results);
  void on_connect(boost::beast::error_code ec, const boost::asio::ip::tcp::endpoint&);
  void do_write();
  void on_write(boost::beast::error_code ec, size_t);
  void do_read();
  void on_read(boost::beast::error_code ec, size_t);

  // A write or read failed; resends on a fresh connection when the idle connection was stale.
  void on_transfer_error(const char* stage, boost::beast::error_code ec);
  void fail(const char* stage, boost::beast::error_code ec);
  void complete(AttemptResult result);
  void reset_socket();

  std::shared_ptr<const ConnectionOptions> options_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::response_parser<boost::beast::http::string_body>> parser_;
  Request request_;
  Done done_;
  bool open_ = false;
  bool closing_ = false;
  // The current request went out on a connection that had already served one.
  bool reused_ = false;
};

}  // namespace eddy
