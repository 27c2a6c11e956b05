#pragma once

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "connectors/http/http_types.h"

namespace eddy {

class HttpServer;

// One connection. Everything it does runs on its strand.
//
// Requests are read one after another while fewer than `max_pipelined_responses` answers are
// owed; answers may come back from routes in any order (some wait on workers) but are written in
// request order. Each request has two deadlines: its headers must arrive within the header timeout
// of its first byte (a client trickling bytes is cut off), its body within the body timeout. An
// idle keep-alive connection is closed after the idle timeout. A response carrying an event
// stream turns the connection into a Server-Sent Events stream until either side closes it.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(boost::asio::ip::tcp::socket socket, HttpServer& server);
  ~HttpSession();

  void run();
  // From any thread: stop reading, finish what is owed with Connection: close, then close.
  void shut_down();
  // Once the io threads have ended: lets go of an event stream, whose waker holds the session.
  void abandon();

 private:
  struct Pending {
    unsigned version = 11;
    bool keep_alive = true;
    std::string route;
    std::chrono::steady_clock::time_point started;
    std::optional<HttpResponse> response;
  };

  void do_read();
  void on_first_bytes(boost::system::error_code ec, size_t n);
  void do_read_header();
  void on_header(boost::system::error_code ec, size_t);
  void on_continue_written(boost::system::error_code ec);
  void do_read_body();
  void on_body(boost::system::error_code ec, size_t);
  void dispatch(http::request<http::string_body> message);
  void on_response(const std::shared_ptr<Pending>& pending, HttpResponse response);
  void do_write();
  void on_write(boost::system::error_code ec, bool close);
  // Answers a request that could not be read (no route saw it) and closes after the answer.
  void fail_request(http::status status, std::string_view code, std::string_view message);

  void start_stream(std::shared_ptr<EventStream> stream);
  void pump_stream();
  void on_stream_write(boost::system::error_code ec);
  void arm_heartbeat();

  void close();
  bool reading_stopped() const { return closing_ || stream_ != nullptr; }

  boost::beast::tcp_stream socket_;
  HttpServer& server_;
  boost::beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> header_parser_;
  std::optional<http::request_parser<http::string_body>> body_parser_;
  std::deque<std::shared_ptr<Pending>> pending_;
  std::shared_ptr<void> writing_message_;
  bool reading_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool closed_ = false;

  std::shared_ptr<EventStream> stream_;
  std::vector<std::string> stream_out_;
  boost::asio::steady_timer heartbeat_;
};

}  // namespace eddy
