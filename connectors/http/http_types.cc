#include "connectors/http/http_types.h"

#include <atomic>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace eddy {

std::string_view HttpRequest::header(http::field f) const {
  auto it = message.find(f);
  return it == message.end() ? std::string_view() : std::string_view(it->value());
}

std::string_view HttpRequest::header(std::string_view name) const {
  auto it = message.find(name);
  return it == message.end() ? std::string_view() : std::string_view(it->value());
}

std::string_view HttpRequest::query_param(std::string_view name) const {
  auto it = query.find(name);
  return it == query.end() ? std::string_view() : std::string_view(it->second);
}

std::string_view HttpRequest::param(std::string_view name) const {
  auto it = params.find(name);
  return it == params.end() ? std::string_view() : std::string_view(it->second);
}

HttpResponse json_response(http::status status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse error_response(http::status status, std::string_view code, std::string_view message) {
  boost::json::object o{{"code", code}, {"message", message}};
  return json_response(status, boost::json::serialize(o));
}

struct Responder::State {
  Deliver deliver;
  std::atomic<bool> answered{false};

  ~State() {
    if (!answered.load()) {
      deliver(error_response(http::status::internal_server_error, "internal",
                             "the route did not answer"));
    }
  }
};

Responder::Responder(Deliver deliver) : state_(std::make_shared<State>()) {
  state_->deliver = std::move(deliver);
}

void Responder::operator()(HttpResponse response) const {
  if (state_->answered.exchange(true)) return;
  state_->deliver(std::move(response));
}

}  // namespace eddy
