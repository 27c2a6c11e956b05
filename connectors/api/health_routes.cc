#include "connectors/api/health_routes.h"

namespace eddy {

void add_health_routes(Router& router, HealthHooks hooks) {
  router.add(http::verb::get, "/healthz", RouteAccess::kOpen, [](HttpRequest&, Responder respond) {
    respond(json_response(http::status::ok, R"({"status":"ok"})"));
  });
  router.add(http::verb::get, "/readyz", RouteAccess::kOpen,
             [ready = hooks.ready](HttpRequest&, Responder respond) {
               if (ready())
                 return respond(json_response(http::status::ok, R"({"status":"ready"})"));
               HttpResponse r = error_response(http::status::service_unavailable, "not_ready",
                                               "eddy is restoring its state");
               r.headers.emplace_back("Retry-After", "1");
               respond(std::move(r));
             });
  router.add(http::verb::get, "/metrics", RouteAccess::kOpen,
             [metrics = hooks.metrics](HttpRequest&, Responder respond) {
               HttpResponse r;
               r.content_type = "text/plain; version=0.0.4; charset=utf-8";
               r.body = metrics ? metrics() : std::string();
               respond(std::move(r));
             });
  router.add(http::verb::get, "/openapi.json", RouteAccess::kOpen,
             [](HttpRequest&, Responder respond) {
               respond(json_response(http::status::ok, std::string(openapi_document())));
             });
}

}  // namespace eddy
