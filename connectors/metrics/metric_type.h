#pragma once

#include <string_view>

namespace eddy::metrics {

// The metric types of the Prometheus text exposition format 0.0.4 that eddy emits. Summaries are
// left out on purpose: their quantiles cannot be aggregated across processes, histograms can.
enum class MetricType {
  kCounter,
  kGauge,
  kHistogram,
};

// The word used on `# TYPE` lines.
std::string_view metric_type_name(MetricType type);

}  // namespace eddy::metrics
