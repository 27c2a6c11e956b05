#include "connectors/metrics/latency.h"

#include <cassert>

namespace eddy::metrics {

Histogram& latency_histogram(MetricsRegistry& registry, std::string_view name,
                             std::string_view help, const Labels& labels) {
  // Bounds in seconds under a name in another unit would mislead every dashboard. A release build
  // still registers it: the scrape stays valid, only the name is wrong.
  assert(name.ends_with("_seconds") && "a latency histogram's name ends in _seconds");
  return registry.histogram(name, help, labels, kLatencyBucketsSeconds);
}

}  // namespace eddy::metrics
