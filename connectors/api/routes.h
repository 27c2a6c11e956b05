#pragma once

#include "connectors/api/api_context.h"
#include "connectors/api/health_routes.h"
#include "connectors/http/router.h"
#include "connectors/ingest/ingest_service.h"
#include "connectors/webhooks/webhook_receiver.h"

namespace eddy {

// Everything the routes of the HTTP surface reach. Must outlive the router.
struct EdgeServices {
  const ApiContext* api = nullptr;
  IngestService* ingest = nullptr;
  WebhookReceiver* webhooks = nullptr;
  const Clock* clock = nullptr;
  HealthHooks health;
};

// Every route of the HTTP surface (docs/openapi.json documents each one).
void add_all_routes(Router& router, const EdgeServices& services);

}  // namespace eddy
