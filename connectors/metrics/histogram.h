#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "runtime/status.h"

namespace eddy::metrics {

// What a histogram held at one moment.
struct HistogramSnapshot {
  std::vector<double> bounds;    // finite upper bounds (`le`), strictly increasing
  std::vector<uint64_t> counts;  // per bucket, not cumulative; one more than bounds: the +Inf one
  double sum = 0.0;

  uint64_t count() const;
};

// A distribution of observed values in fixed buckets: one series of a histogram family.
//
// Threading: observe() may run on any number of threads at once, lock-free: one relaxed atomic add
// on the bucket the value falls in and one on the sum (a compare-and-swap loop, as the sum is a
// double). snapshot() may run concurrently with them; it reads each atomic once, so under load the
// sum may lag or lead the buckets by the observations in flight (every Prometheus client accepts
// the same). The rendered `_count` is always the sum of the buckets, so `_count` equals the `+Inf`
// bucket in every scrape.
class alignas(64) Histogram {
 public:
  // `bounds` must pass check_bucket_bounds (the registry checks before it constructs).
  explicit Histogram(std::vector<double> bounds);

  // Counts `v` in the first bucket whose bound is >= v (Prometheus's `le`). NaN is ignored: it
  // would poison the sum for the life of the process.
  void observe(double v);
  // Observes the seconds elapsed since `start`, for latencies.
  void observe_since(std::chrono::steady_clock::time_point start) {
    observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }

  const std::vector<double>& bounds() const { return bounds_; }
  HistogramSnapshot snapshot() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_.size() + 1
  std::atomic<double> sum_{0.0};
};

// Bucket bounds must be finite and strictly increasing, and there must be at least one (+Inf is
// implied and must not be given).
Status check_bucket_bounds(std::span<const double> bounds);

}  // namespace eddy::metrics
