#include "tests/connectors/outbound/test_receiver.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cctype>
#include <future>
#include <optional>

namespace eddy::test {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

std::string RecordedRequest::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

// One accepted connection: read a request, record it, answer it (or park until released), read
// the next.
class TestReceiver::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, TestReceiver& owner, uint64_t id)
      : stream_(std::move(socket)), owner_(owner), id_(id) {}

  void run() { do_read(); }
  bool idle() const { return idle_ && stream_.socket().is_open(); }
  void close() {
    beast::error_code ignored;
    stream_.socket().close(ignored);
  }

  void respond(size_t index) {
    const ScriptedResponse answer = owner_.answer_for(index);
    response_ = {};
    response_.result(answer.status);
    response_.version(11);
    response_.set(http::field::server, "eddy-test-receiver");
    for (const auto& [name, value] : answer.headers)
      response_.set(name, value);
    close_after_ = answer.close || !keep_alive_;
    response_.keep_alive(!close_after_);
    response_.body() = answer.body;
    response_.prepare_payload();
    http::async_write(stream_, response_,
                      beast::bind_front_handler(&Session::on_write, shared_from_this()));
  }

 private:
  void do_read() {
    parser_.emplace();
    parser_->body_limit(16 * 1024 * 1024);
    idle_ = true;
    stream_.expires_after(std::chrono::seconds(60));
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, size_t) {
    idle_ = false;
    if (ec) return close();
    stream_.expires_never();
    http::request<http::string_body> request = parser_->release();
    keep_alive_ = request.keep_alive();
    RecordedRequest recorded;
    recorded.received = std::chrono::steady_clock::now();
    recorded.received_wall = std::chrono::system_clock::now();
    recorded.connection = id_;
    recorded.method = std::string(request.method_string());
    recorded.target = std::string(request.target());
    for (const auto& field : request) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      recorded.headers[name] = std::string(field.value());
    }
    recorded.body = std::move(request.body());
    const size_t index = owner_.record(std::move(recorded));
    if (owner_.holding()) return owner_.park(shared_from_this(), index);
    respond(index);
  }

  void on_write(beast::error_code ec, size_t) {
    if (ec || close_after_) {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      return close();
    }
    do_read();
  }

  beast::tcp_stream stream_;
  TestReceiver& owner_;
  uint64_t id_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  bool keep_alive_ = true;
  bool close_after_ = false;
  bool idle_ = false;
};

TestReceiver::TestReceiver() : acceptor_(io_) {
  const tcp::endpoint endpoint(boost::asio::ip::make_address("127.0.0.1"), 0);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen();
  port_ = acceptor_.local_endpoint().port();
  do_accept();
  thread_ = std::thread([this] { io_.run(); });
}

TestReceiver::~TestReceiver() {
  io_.stop();
  thread_.join();
  for (auto& [session, index] : parked_)
    session->close();
  parked_.clear();
}

std::string TestReceiver::url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

void TestReceiver::script(std::vector<ScriptedResponse> responses) {
  std::lock_guard lock(mu_);
  script_.insert(script_.end(), responses.begin(), responses.end());
}

void TestReceiver::set_default(ScriptedResponse response) {
  std::lock_guard lock(mu_);
  default_ = std::move(response);
}

void TestReceiver::hold(bool on) {
  {
    std::lock_guard lock(mu_);
    hold_ = on;
  }
  if (!on) boost::asio::post(io_, [this] { release_parked(); });
}

size_t TestReceiver::close_idle_connections() {
  std::promise<size_t> done;
  boost::asio::post(io_, [this, &done] {
    size_t closed = 0;
    for (const auto& weak : sessions_) {
      if (auto session = weak.lock(); session && session->idle()) {
        session->close();
        ++closed;
      }
    }
    done.set_value(closed);
  });
  return done.get_future().get();
}

std::vector<RecordedRequest> TestReceiver::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

size_t TestReceiver::request_count() const {
  std::lock_guard lock(mu_);
  return requests_.size();
}

bool TestReceiver::wait_for_requests(size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return arrived_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
}

void TestReceiver::do_accept() {
  acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec) return;
    auto session = std::make_shared<Session>(std::move(socket), *this, ++next_connection_);
    std::erase_if(sessions_, [](const auto& weak) { return weak.expired(); });
    sessions_.push_back(session);
    session->run();
    do_accept();
  });
}

size_t TestReceiver::record(RecordedRequest request) {
  std::lock_guard lock(mu_);
  requests_.push_back(std::move(request));
  arrived_.notify_all();
  return requests_.size() - 1;
}

bool TestReceiver::holding() const {
  std::lock_guard lock(mu_);
  return hold_;
}

ScriptedResponse TestReceiver::answer_for(size_t index) {
  std::lock_guard lock(mu_);
  ScriptedResponse answer = default_;
  if (!script_.empty()) {
    answer = std::move(script_.front());
    script_.pop_front();
  }
  requests_[index].answered = answer.status;
  return answer;
}

void TestReceiver::park(std::shared_ptr<Session> session, size_t index) {
  parked_.emplace_back(std::move(session), index);
}

void TestReceiver::release_parked() {
  auto parked = std::move(parked_);
  parked_.clear();
  for (auto& [session, index] : parked)
    session->respond(index);
}

uint16_t unused_port() {
  boost::asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

}  // namespace eddy::test
