#include "connectors/http/server.h"

#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include "connectors/http/session.h"
#include "runtime/log.h"
#include "runtime/this_thread.h"

namespace eddy {

namespace net = boost::asio;
using tcp = net::ip::tcp;

HttpServer::HttpServer(HttpSettings settings, std::shared_ptr<const Router> router,
                       ResponseObserver observer)
    : settings_(std::move(settings)),
      router_(std::move(router)),
      observer_(std::move(observer)),
      acceptor_(net::make_strand(ioc_)) {}

HttpServer::~HttpServer() {
  if (!threads_.empty()) stop(std::chrono::milliseconds(0));
}

Status HttpServer::start() {
  boost::system::error_code ec;
  const auto address = net::ip::make_address(settings_.address, ec);
  if (ec)
    return {Errc::kInvalidArgument, "http address '" + settings_.address + "': " + ec.message()};
  const tcp::endpoint endpoint(address, settings_.port);
  const std::string where = settings_.address + ":" + std::to_string(settings_.port);
  if (acceptor_.open(endpoint.protocol(), ec); ec)
    return {Errc::kIo, "http " + where + ": open: " + ec.message()};
  if (acceptor_.set_option(net::socket_base::reuse_address(true), ec); ec)
    return {Errc::kIo, "http " + where + ": " + ec.message()};
  if (acceptor_.bind(endpoint, ec); ec)
    return {Errc::kIo, "http " + where + ": bind: " + ec.message()};
  if (acceptor_.listen(net::socket_base::max_listen_connections, ec); ec)
    return {Errc::kIo, "http " + where + ": listen: " + ec.message()};
  port_ = acceptor_.local_endpoint().port();

  do_accept();
  uint32_t n = settings_.io_threads;
  if (n == 0) n = std::max(1u, std::thread::hardware_concurrency());
  for (uint32_t i = 0; i < n; ++i)
    threads_.emplace_back([this, i] {
      name_this_thread("eddy-http-" + std::to_string(i));
      ioc_.run();
    });
  return Status::ok();
}

void HttpServer::do_accept() {
  acceptor_.async_accept(net::make_strand(ioc_),
                         [this](boost::system::error_code ec, tcp::socket socket) {
                           on_accept(ec, std::move(socket));
                         });
}

void HttpServer::on_accept(boost::system::error_code ec, tcp::socket socket) {
  if (stopping()) return;
  if (ec) {
    // Running out of descriptors must not end the listener; the next accept may succeed.
    log_line(LogLevel::kWarn, "http accept failed", {{"error", ec.message()}});
  } else if (open_.load(std::memory_order_relaxed) >= settings_.max_connections) {
    refuse(std::move(socket));
  } else {
    // Responses are written whole; Nagle's algorithm would only hold their last segment back
    // until the client's delayed ACK, tens of milliseconds at low request rates.
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto session = std::make_shared<HttpSession>(std::move(socket), *this);
    remember(session);
    session->run();
  }
  do_accept();
}

void HttpServer::refuse(tcp::socket socket) {
  refused_.fetch_add(1, std::memory_order_relaxed);
  static const std::string kBusy =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
      "Retry-After: 1\r\nContent-Length: 70\r\n\r\n"
      "{\"code\":\"too_many_connections\",\"message\":\"the connection limit is reached\"}";
  auto s = std::make_shared<tcp::socket>(std::move(socket));
  net::async_write(*s, net::buffer(kBusy), [s](boost::system::error_code, size_t) {
    boost::system::error_code ignored;
    s->shutdown(tcp::socket::shutdown_both, ignored);
    s->close(ignored);
  });
}

void HttpServer::remember(const std::shared_ptr<HttpSession>& session) {
  std::lock_guard lock(sessions_mu_);
  sessions_[session.get()] = session;
  open_.fetch_add(1, std::memory_order_relaxed);
}

void HttpServer::forget(HttpSession* session) {
  std::lock_guard lock(sessions_mu_);
  if (sessions_.erase(session) != 0) open_.fetch_sub(1, std::memory_order_relaxed);
}

void HttpServer::stop(std::chrono::milliseconds grace) {
  if (threads_.empty()) return;
  stopping_.store(true, std::memory_order_release);
  net::post(acceptor_.get_executor(), [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  });
  {
    std::lock_guard lock(sessions_mu_);
    for (auto& [raw, session] : sessions_)
      session->shut_down();
  }
  // Connections finish what they owe and close themselves; whatever is left at the deadline is
  // cut off when the io_context stops.
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (open_.load(std::memory_order_relaxed) > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ioc_.stop();
  for (std::thread& t : threads_)
    t.join();
  threads_.clear();
  std::map<HttpSession*, std::shared_ptr<HttpSession>> left;
  {
    std::lock_guard lock(sessions_mu_);
    left.swap(sessions_);
    open_.store(0, std::memory_order_relaxed);
  }
  for (auto& [raw, session] : left)
    session->abandon();
}

}  // namespace eddy
