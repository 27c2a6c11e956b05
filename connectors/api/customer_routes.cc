#include <boost/json/serialize.hpp>

#include "connectors/api/api_context.h"

namespace eddy {

HttpResponse engine_error(const Status& s) {
  switch (s.code()) {
    case Errc::kBusy: {
      HttpResponse r = error_response(http::status::service_unavailable, "busy", s.message());
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
    case Errc::kStopped:
      return error_response(http::status::service_unavailable, "shutting_down", s.message());
    case Errc::kIo: {
      // The write-ahead log cannot write: a full or failing disk, which may pass.
      HttpResponse r =
          error_response(http::status::service_unavailable, "storage_unavailable", s.message());
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
    case Errc::kNotFound:
      return error_response(http::status::not_found, "not_found", s.message());
    case Errc::kInvalidArgument:
      return error_response(http::status::bad_request, "invalid", s.message());
    default:
      return error_response(http::status::internal_server_error, "internal", s.message());
  }
}

namespace {

StageId profile_stage(const ApiContext& api) {
  return *api.engine->topology().find_stage(api.profile_stage);
}

// Asks the worker that owns the customer, and answers from there.
void query_customer(const ApiContext& api, HttpRequest& req, Responder respond,
                    std::function<HttpResponse(boost::json::object)> shape) {
  const std::string id(req.param("id"));
  Status s = api.engine->query_key(
      profile_stage(api), id,
      [respond, id, shape = std::move(shape)](Result<boost::json::object> answer) {
        if (!answer) {
          if (answer.status().code() == Errc::kNotFound) {
            respond(error_response(http::status::not_found, "unknown_customer",
                                   "no events have been seen for customer '" + id + "'"));
          } else {
            respond(engine_error(answer.status()));
          }
          return;
        }
        respond(shape(std::move(answer).value()));
      });
  if (!s) respond(engine_error(s));
}

}  // namespace

void add_customer_routes(Router& router, const ApiContext& api) {
  router.add(http::verb::get, "/v1/customers/{id}", RouteAccess::kToken,
             [&api](HttpRequest& req, Responder respond) {
               const std::string id(req.param("id"));
               query_customer(api, req, respond, [id](boost::json::object profile) {
                 boost::json::object out;
                 out["id"] = id;
                 for (auto& [k, v] : profile)
                   out[k] = std::move(v);
                 return json_response(http::status::ok, boost::json::serialize(out));
               });
             });
  router.add(http::verb::get, "/v1/customers/{id}/segments", RouteAccess::kToken,
             [&api](HttpRequest& req, Responder respond) {
               const std::string id(req.param("id"));
               query_customer(api, req, respond, [id](boost::json::object profile) {
                 boost::json::object out{{"id", id}, {"segments", boost::json::array()}};
                 if (auto* s = profile.if_contains("segments")) out["segments"] = std::move(*s);
                 return json_response(http::status::ok, boost::json::serialize(out));
               });
             });
}

}  // namespace eddy
