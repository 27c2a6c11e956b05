#pragma once

#include <array>
#include <string_view>

#include "connectors/metrics/histogram.h"
#include "connectors/metrics/labels.h"
#include "connectors/metrics/metrics_registry.h"

namespace eddy::metrics {

// Latency buckets in seconds for HTTP requests and pipeline stages, from 50 µs (a request answered
// from memory on loopback) to 10 s (a stalled group commit or a timed-out query): a 1-2.5-5 ladder
// per decade, so any quantile is read to within a factor of about 2.5.
inline constexpr std::array<double, 17> kLatencyBucketsSeconds = {
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
    0.05,    0.1,    0.25,    0.5,    1.0,   2.5,    5.0,   10.0,
};

// A histogram of latencies with kLatencyBucketsSeconds; its name must end in `_seconds` (asserted
// in debug builds). Record with `h.observe_since(start)`, `start` taken from
// std::chrono::steady_clock::now().
Histogram& latency_histogram(MetricsRegistry& registry, std::string_view name,
                             std::string_view help, const Labels& labels = {});

}  // namespace eddy::metrics
