#pragma once

#include "connectors/http/server.h"
#include "connectors/metrics/metrics_registry.h"

namespace eddy {

// The HTTP edge's metrics: eddy_http_requests_total{route,method,code} and
// eddy_http_request_duration_seconds{route,method}, registered for every route of the router up
// front, so that recording a response takes no lock.
ResponseObserver make_http_observer(metrics::MetricsRegistry& registry, const Router& router);

}  // namespace eddy
