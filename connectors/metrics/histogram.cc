#include "connectors/metrics/histogram.h"

#include <algorithm>
#include <bit>
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

namespace {

// Threads take shards round-robin at their first observation, so the first kShards threads that
// observe never share one.
size_t this_thread_shard() {
  static std::atomic<size_t> next{0};
  thread_local const size_t shard = next.fetch_add(1, std::memory_order_relaxed);
  return shard % Histogram::kShards;
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {
  assert(check_bucket_bounds(bounds_).is_ok());
  const size_t cells = bounds_.size() + 2;  // the sum, the buckets, +Inf
  const size_t lines = (cells + kCellsPerLine - 1) / kCellsPerLine;
  shard_cells_ = lines * kCellsPerLine;
  lines_.reset(new Line[lines * kShards]);
  for (size_t shard = 0; shard < kShards; ++shard) {
    for (size_t i = 0; i < shard_cells_; ++i)
      cell(shard, i).store(0, std::memory_order_relaxed);
    cell(shard, 0).store(std::bit_cast<uint64_t>(0.0), std::memory_order_relaxed);
  }
}

void Histogram::observe(double v) {
  if (std::isnan(v)) return;
  const size_t bucket =
      static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  const size_t shard = this_thread_shard();
  cell(shard, 1 + bucket).fetch_add(1, std::memory_order_relaxed);
  std::atomic<uint64_t>& sum = cell(shard, 0);
  uint64_t old = sum.load(std::memory_order_relaxed);
  while (!sum.compare_exchange_weak(old, std::bit_cast<uint64_t>(std::bit_cast<double>(old) + v),
                                    std::memory_order_relaxed)) {
  }
}

HistogramSnapshot Histogram::snapshot() const {
  HistogramSnapshot s;
  s.bounds = bounds_;
  s.counts.assign(bounds_.size() + 1, 0);
  for (size_t shard = 0; shard < kShards; ++shard) {
    for (size_t i = 0; i <= bounds_.size(); ++i) {
      s.counts[i] += cell(shard, 1 + i).load(std::memory_order_relaxed);
    }
    s.sum += std::bit_cast<double>(cell(shard, 0).load(std::memory_order_relaxed));
  }
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
