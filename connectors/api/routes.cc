#include "connectors/api/routes.h"

#include "connectors/api/ingest_routes.h"
#include "connectors/api/webhook_routes.h"

namespace eddy {

void add_all_routes(Router& router, const EdgeServices& s) {
  add_health_routes(router, s.health);
  add_ingest_routes(router, *s.ingest, s.api->http);
  add_webhook_routes(router, *s.webhooks, *s.ingest, s.api->http, *s.clock);
  add_customer_routes(router, *s.api);
  add_segment_routes(router, *s.api);
  add_admin_routes(router, *s.api);
  add_import_routes(router, *s.api);
}

}  // namespace eddy
