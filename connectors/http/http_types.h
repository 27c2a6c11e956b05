#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "connectors/http/event_stream.h"

namespace eddy {

namespace http = boost::beast::http;

// A request as a route sees it: the parsed message, the path split from the query, and the values
// the route's pattern captured ("{id}").
struct HttpRequest {
  http::request<http::string_body> message;
  std::string path;
  std::map<std::string, std::string, std::less<>> query;
  std::map<std::string, std::string, std::less<>> params;

  http::verb method() const { return message.method(); }
  std::string_view header(http::field f) const;
  std::string_view header(std::string_view name) const;
  std::string_view query_param(std::string_view name) const;
  std::string_view param(std::string_view name) const;
  const std::string& body() const { return message.body(); }
};

// What a route answers: a whole response, or, when `stream` is set, the head of a Server-Sent
// Events response whose body follows from the stream until either side closes it.
struct HttpResponse {
  http::status status = http::status::ok;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::shared_ptr<EventStream> stream;
};

HttpResponse json_response(http::status status, std::string body);
// {"code":..., "message":...}: every error the edge gives has this shape.
HttpResponse error_response(http::status status, std::string_view code, std::string_view message);

// Hands a route's answer back to the connection it belongs to, from any thread, exactly once. A
// responder dropped without answering answers 500, so that a route's bug cannot hang a client.
class Responder {
 public:
  using Deliver = std::function<void(HttpResponse)>;
  explicit Responder(Deliver deliver);
  void operator()(HttpResponse response) const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

using RouteHandler = std::function<void(HttpRequest&, Responder)>;

}  // namespace eddy
