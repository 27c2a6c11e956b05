#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace eddy::test {

// How the receiver answers one request.
struct ScriptedResponse {
  unsigned status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  // Answer with Connection: close and close the connection afterwards.
  bool close = false;
  std::string body = "{}";
};

struct RecordedRequest {
  std::chrono::steady_clock::time_point received;
  std::chrono::system_clock::time_point received_wall;
  uint64_t connection = 0;  // numbered from 1 in the order connections were accepted
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  unsigned answered = 0;  // the status it was answered with; 0 while it waits for one

  std::string header(const std::string& name) const;
};

// A scriptable HTTP/1.1 webhook receiver on 127.0.0.1 and an ephemeral port, for tests. It keeps
// connections alive, records every request, and answers them from a script, then with a default
// answer (200 unless changed). Its own thread runs everything it does; every public method is
// thread-safe.
class TestReceiver {
 public:
  TestReceiver();
  ~TestReceiver();
  TestReceiver(const TestReceiver&) = delete;
  TestReceiver& operator=(const TestReceiver&) = delete;

  uint16_t port() const { return port_; }
  std::string url(std::string_view path = "/hook") const;

  // The next requests are answered with these, in order of arrival; later ones with the default.
  void script(std::vector<ScriptedResponse> responses);
  void set_default(ScriptedResponse response);
  // While on, requests are recorded and left unanswered; turning it off answers them.
  void hold(bool on);
  // Closes, without a word, every connection waiting for its next request (as a server whose
  // keep-alive timeout ran out does). Returns how many it closed, once they are closed.
  size_t close_idle_connections();

  std::vector<RecordedRequest> requests() const;
  size_t request_count() const;
  // Waits until at least `n` requests have arrived; false if the timeout came first.
  bool wait_for_requests(size_t n, std::chrono::milliseconds timeout) const;

 private:
  class Session;
  friend class Session;

  void do_accept();
  size_t record(RecordedRequest request);
  bool holding() const;
  ScriptedResponse answer_for(size_t index);
  void park(std::shared_ptr<Session> session, size_t index);
  void release_parked();

  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  uint64_t next_connection_ = 0;
  // Receiver thread only.
  std::vector<std::weak_ptr<Session>> sessions_;
  std::vector<std::pair<std::shared_ptr<Session>, size_t>> parked_;

  mutable std::mutex mu_;
  mutable std::condition_variable arrived_;
  std::vector<RecordedRequest> requests_;
  std::deque<ScriptedResponse> script_;
  ScriptedResponse default_;
  bool hold_ = false;

  std::thread thread_;
};

// A loopback port nothing listens on (it was bound and released), for connection-refused tests.
uint16_t unused_port();

}  // namespace eddy::test
