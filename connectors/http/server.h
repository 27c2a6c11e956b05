#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "connectors/http/http_settings.h"
#include "connectors/http/router.h"
#include "runtime/status.h"

namespace eddy {

class HttpSession;

// Called once per response, on an io thread: the route's pattern, the status, and the time from
// the end of the request's body to the response being handed to the connection.
using ResponseObserver =
    std::function<void(std::string_view route, unsigned status, std::chrono::nanoseconds latency)>;

// The HTTP/1.1 server, in the shape of Beast's advanced server: a listener accepting on its own
// io_context, run by `io_threads` threads, and a session per connection on a strand of its own.
// Routes reach the engine only by message (Engine::query_key, Source::submit, ...).
//
// Threading contract: start() and stop() from one controlling thread; connections() from any.
class HttpServer {
 public:
  HttpServer(HttpSettings settings, std::shared_ptr<const Router> router,
             ResponseObserver observer = {});
  ~HttpServer();

  // Binds and listens (port 0 picks a free one), then starts the io threads.
  Status start();
  uint16_t port() const { return port_; }

  // Stops accepting, lets every connection finish the request it is serving (answering with
  // Connection: close), closes idle and streaming connections, and after `grace` cuts off what is
  // left. Returns once every io thread has ended.
  void stop(std::chrono::milliseconds grace);

  size_t connections() const { return open_.load(std::memory_order_relaxed); }
  uint64_t refused_connections() const { return refused_.load(std::memory_order_relaxed); }

 private:
  friend class HttpSession;
  void do_accept();
  void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);
  void refuse(boost::asio::ip::tcp::socket socket);
  void remember(const std::shared_ptr<HttpSession>& session);
  void forget(HttpSession* session);
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }

  const HttpSettings settings_;
  std::shared_ptr<const Router> router_;
  ResponseObserver observer_;
  // Open sessions, owned here until they close, so that a route answering later (from a worker)
  // finds its connection while it is open, and no session outlives the io_context.
  std::mutex sessions_mu_;
  std::map<HttpSession*, std::shared_ptr<HttpSession>> sessions_;
  std::atomic<size_t> open_{0};
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> refused_{0};
};

}  // namespace eddy
