#pragma once

#include <string_view>

#include "connectors/metrics/labels.h"
#include "connectors/metrics/metric_type.h"
#include "runtime/status.h"

namespace eddy::metrics {

// The naming rules of eddy's metrics, a strict subset of what Prometheus accepts, chosen so that
// `promtool check metrics` has nothing to say about any family that passes them:
//   - family names match `eddy_[a-z0-9_]*[a-z0-9]` (lower-case snake case under one prefix);
//   - counters end in `_total`, and nothing else does;
//   - no family ends in `_bucket`, `_sum` or `_count`, so a histogram's sample names can never
//     collide with another family's name;
//   - units are spelled out as base units (`_seconds`, `_bytes`): `_milliseconds` and friends are
//     refused;
//   - label names match `[a-z_][a-z0-9_]*`, do not start with `__` (reserved by Prometheus), appear
//     once per label set, and `le` is reserved for histogram buckets.
// Each returns kInvalidArgument with a message naming what is wrong.
Status check_family_name(std::string_view name, MetricType type);
Status check_label_name(std::string_view name);
Status check_labels(const Labels& labels);
// Every family explains itself: `promtool check metrics` flags a family without help.
Status check_help(std::string_view help);

}  // namespace eddy::metrics
