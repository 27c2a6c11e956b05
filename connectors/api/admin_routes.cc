#include <boost/json/serialize.hpp>

#include "connectors/api/api_context.h"

namespace eddy {

namespace {

void take_checkpoint(const ApiContext& api, Responder respond) {
  if (!api.checkpoint) {
    return respond(error_response(http::status::not_found, "not_enabled",
                                  "this eddy takes no checkpoints (it runs without a data "
                                  "directory's write-ahead log)"));
  }
  Status s = api.checkpoint([respond](Result<boost::json::object> taken) {
    if (!taken) {
      HttpResponse r = error_response(http::status::service_unavailable, "checkpoint_failed",
                                      taken.status().message());
      r.headers.emplace_back("Retry-After", "5");
      return respond(std::move(r));
    }
    respond(json_response(http::status::ok, boost::json::serialize(*taken)));
  });
  if (!s) respond(engine_error(s));
}

}  // namespace

void add_admin_routes(Router& router, const ApiContext& api) {
  router.add(http::verb::post, "/v1/admin/checkpoint", RouteAccess::kToken,
             [&api](HttpRequest&, Responder respond) { take_checkpoint(api, std::move(respond)); });
}

}  // namespace eddy
