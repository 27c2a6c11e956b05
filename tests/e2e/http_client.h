#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace eddy::e2e {

struct HttpReply {
  int status = 0;  // 0: no answer (connection refused, closed, or timed out)
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

// The reply's body as a JSON object; empty when it is not one.
boost::json::object json_of(const HttpReply& r);

// A blocking HTTP/1.1 client on one keep-alive loopback connection, reconnecting when the server
// closed it. For tests: every call has a deadline.
class HttpClient {
 public:
  explicit HttpClient(uint16_t port);
  ~HttpClient();

  HttpReply request(const std::string& method, const std::string& target,
                    const std::string& body = "",
                    const std::vector<std::pair<std::string, std::string>>& headers = {},
                    std::chrono::milliseconds timeout = std::chrono::seconds(20));
  HttpReply get(const std::string& target,
                const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    return request("GET", target, "", headers);
  }
  HttpReply post(const std::string& target, const std::string& body,
                 const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    return request("POST", target, body, headers);
  }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace eddy::e2e
