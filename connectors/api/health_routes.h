#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "connectors/http/router.h"

namespace eddy {

struct HealthHooks {
  // True once the engine has restored its state and taken over input; /readyz answers 503 before.
  std::function<bool()> ready = [] { return true; };
  // The Prometheus text exposition of every metric, rendered per scrape.
  std::function<std::string()> metrics;
};

// GET /healthz (the process answers), /readyz (it may take traffic), /metrics (Prometheus text
// format 0.0.4) and /openapi.json (the OpenAPI 3 document of every route, docs/openapi.json).
void add_health_routes(Router& router, HealthHooks hooks);

// docs/openapi.json as built into the binary.
std::string_view openapi_document();

}  // namespace eddy
