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

StageId stage_named(const ApiContext& api, const std::string& name) {
  return *api.engine->topology().find_stage(name);
}

HttpResponse unknown_customer(const std::string& id) {
  return error_response(http::status::not_found, "unknown_customer",
                        "no events have been seen for customer '" + id + "'");
}

// Which customer an identifier belongs to, by the identity stage: the user it is linked to, else
// itself. Calls `then` with it, or answers the error.
void resolve_customer(const ApiContext& api, const std::string& id, const Responder& respond,
                      std::function<void(std::string customer)> then) {
  if (api.identity_stage.empty()) {
    then(id);
    return;
  }
  Status s = api.engine->query_key(
      stage_named(api, api.identity_stage), id,
      [respond, id, then = std::move(then)](Result<boost::json::object> answer) {
        if (!answer && answer.status().code() != Errc::kNotFound) {
          respond(engine_error(answer.status()));
          return;
        }
        std::string customer = id;
        if (answer) {
          const auto* identity = answer->if_contains("identity");
          const auto* linked = identity != nullptr && identity->is_object()
                                   ? identity->as_object().if_contains("customer")
                                   : nullptr;
          if (linked != nullptr && linked->is_string()) customer = linked->as_string();
        }
        then(std::move(customer));
      });
  if (!s) respond(engine_error(s));
}

// Asks the worker that owns the customer of identifier `id`, and answers from there; `shape` gets
// the customer's id and profile.
void query_customer(const ApiContext& api, HttpRequest& req, Responder respond,
                    std::function<HttpResponse(const std::string&, boost::json::object)> shape) {
  const std::string id(req.param("id"));
  resolve_customer(
      api, id, respond, [&api, respond, id, shape = std::move(shape)](std::string customer) {
        Status s = api.engine->query_key(
            stage_named(api, api.profile_stage), customer,
            [respond, id, customer, shape](Result<boost::json::object> answer) {
              if (!answer) {
                respond(answer.status().code() == Errc::kNotFound ? unknown_customer(id)
                                                                  : engine_error(answer.status()));
                return;
              }
              respond(shape(customer, std::move(answer).value()));
            });
        if (!s) respond(engine_error(s));
      });
}

boost::json::object identified(const std::string& id, const std::string& customer) {
  return {{"id", id}, {"customer_id", customer}};
}

}  // namespace

void add_customer_routes(Router& router, const ApiContext& api) {
  router.add(http::verb::get, "/v1/customers/{id}", RouteAccess::kToken,
             [&api](HttpRequest& req, Responder respond) {
               const std::string id(req.param("id"));
               query_customer(api, req, respond,
                              [id](const std::string& customer, boost::json::object profile) {
                                boost::json::object out = identified(id, customer);
                                for (auto& [k, v] : profile)
                                  out[k] = std::move(v);
                                return json_response(http::status::ok, boost::json::serialize(out));
                              });
             });
  router.add(http::verb::get, "/v1/customers/{id}/segments", RouteAccess::kToken,
             [&api](HttpRequest& req, Responder respond) {
               const std::string id(req.param("id"));
               query_customer(api, req, respond,
                              [id](const std::string& customer, boost::json::object profile) {
                                boost::json::object out = identified(id, customer);
                                out["segments"] = boost::json::array();
                                if (auto* s = profile.if_contains("segments"))
                                  out["segments"] = std::move(*s);
                                return json_response(http::status::ok, boost::json::serialize(out));
                              });
             });
  router.add(http::verb::get, "/v1/customers/{id}/identities", RouteAccess::kToken,
             [&api](HttpRequest& req, Responder respond) {
               const std::string id(req.param("id"));
               query_customer(api, req, respond,
                              [id](const std::string& customer, boost::json::object profile) {
                                boost::json::object out = identified(id, customer);
                                boost::json::array ids{boost::json::value(customer)};
                                int64_t unlisted = 0;
                                if (const auto* found = profile.if_contains("identities")) {
                                  const auto& identities = found->as_object();
                                  for (const auto& linked : identities.at("linked").as_array())
                                    ids.push_back(linked);
                                  unlisted = identities.at("unlisted").to_number<int64_t>();
                                }
                                out["identities"] = std::move(ids);
                                out["unlisted"] = unlisted;
                                return json_response(http::status::ok, boost::json::serialize(out));
                              });
             });
}

}  // namespace eddy
