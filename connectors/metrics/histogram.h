#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
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
// Threading: observe() may run on any number of threads at once, lock-free: a relaxed atomic add
// on the bucket the value falls in and a compare-and-swap loop on the sum (a double). snapshot()
// may run concurrently with them; it reads each atomic once, so under load the sum may lag or lead
// the buckets by the observations in flight (every Prometheus client accepts the same). The
// rendered `_count` is the sum of the buckets, so `_count` equals the `+Inf` bucket in every
// scrape.
//
// Sharded by thread: each thread adds to one of kShards copies of the buckets and sum, on cache
// lines of their own, and snapshot() adds the copies up. Two threads observing one unsharded
// histogram at once made each observation 14 times as expensive (213 ns instead of 15 ns: the
// lines bounce between the cores and the sum's compare-and-swap retries), while two threads on
// separate copies scale linearly (bench/RESULTS.md). Counters stay unsharded: their contended cost
// is 24 ns, for one cache line each instead of four.
class alignas(64) Histogram {
 public:
  static constexpr size_t kShards = 4;

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
  struct alignas(64) Line {
    std::atomic<uint64_t> cells[8];
  };
  static constexpr size_t kCellsPerLine = 8;

  // A shard's cells: the sum's bits first (so that it shares a line with the low buckets), then
  // one count per bucket, +Inf last.
  std::atomic<uint64_t>& cell(size_t shard, size_t i) const {
    const size_t at = shard * shard_cells_ + i;
    return lines_[at / kCellsPerLine].cells[at % kCellsPerLine];
  }

  std::vector<double> bounds_;
  size_t shard_cells_;  // cells per shard, a whole number of lines
  std::unique_ptr<Line[]> lines_;
};

// Bucket bounds must be finite and strictly increasing, and there must be at least one (+Inf is
// implied and must not be given).
Status check_bucket_bounds(std::span<const double> bounds);

}  // namespace eddy::metrics
