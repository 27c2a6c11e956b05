#include "connectors/metrics/histogram.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <string>

namespace eddy::metrics {

uint64_t HistogramSnapshot::count() const {
  uint64_t total = 0;
  for (uint64_t c : counts)
    total += c;
  return total;
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  assert(check_bucket_bounds(bounds_).is_ok());
  for (size_t i = 0; i <= bounds_.size(); ++i)
    counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double v) {
  if (std::isnan(v)) return;
  const size_t bucket =
      static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

HistogramSnapshot Histogram::snapshot() const {
  HistogramSnapshot s;
  s.bounds = bounds_;
  s.counts.resize(bounds_.size() + 1);
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    s.counts[i] = counts_[i].load(std::memory_order_relaxed);
  }
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

Status check_bucket_bounds(std::span<const double> bounds) {
  if (bounds.empty()) return {Errc::kInvalidArgument, "a histogram needs at least one bucket"};
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i])) {
      return {Errc::kInvalidArgument, "bucket bounds must be finite (+Inf is implied)"};
    }
    if (i > 0 && !(bounds[i - 1] < bounds[i])) {
      return {Errc::kInvalidArgument,
              "bucket bounds must increase strictly (bound " + std::to_string(i) + ")"};
    }
  }
  return Status::ok();
}

}  // namespace eddy::metrics
