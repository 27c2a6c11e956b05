#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <string_view>

namespace eddy::test {

// A blocking loopback client that writes exactly the bytes a test gives it, so that tests can send
// what no well-behaved HTTP library would: smuggling shapes, trickled headers, pipelined requests.
class RawClient {
 public:
  explicit RawClient(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }

  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads until `done(received)` is true, the peer closes, or the deadline passes.
  template <typename Done>
  std::string read_until(Done done, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done(received_)) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char buf[8192];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      received_.append(buf, static_cast<size_t>(n));
    }
    return received_;
  }

  // Reads `count` whole responses (each headers plus Content-Length bytes of body).
  std::string read_responses(size_t count,
                             std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    return read_until([count](const std::string& s) { return complete_responses(s) >= count; },
                      timeout);
  }
  // Reads until the server closes the connection.
  std::string read_to_close(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    return read_until([this](const std::string&) { return closed_; }, timeout);
  }
  bool closed() const { return closed_; }
  const std::string& received() const { return received_; }

  static size_t complete_responses(std::string_view s) {
    size_t count = 0;
    while (true) {
      const size_t end = s.find("\r\n\r\n");
      if (end == std::string_view::npos) return count;
      size_t length = 0;
      const size_t cl = s.substr(0, end).find("Content-Length: ");
      if (cl != std::string_view::npos) length = std::stoul(std::string(s.substr(cl + 16, 12)));
      if (s.size() < end + 4 + length) return count;
      ++count;
      s.remove_prefix(end + 4 + length);
    }
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
  std::string received_;
};

}  // namespace eddy::test
