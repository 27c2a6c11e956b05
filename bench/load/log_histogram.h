#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace eddy::load {

// A histogram of non-negative integers (latencies in nanoseconds) with a bounded relative error,
// after HdrHistogram: values below 128 have a bucket each; above, every power of two is split into
// 128 equal buckets, so a value is known to within 1/128 (0.8%) of itself, from 1 ns to centuries,
// in 7,424 counters (58 KiB).
//
// Not thread-safe; one per thread, merged at the end.
class LogHistogram {
 public:
  LogHistogram();

  void record(uint64_t value);
  void merge(const LogHistogram& other);

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  uint64_t max() const { return max_; }
  double mean() const;
  // The smallest recorded value v such that a fraction q (0..1) of the values are <= v, to within
  // the histogram's precision (the top of v's bucket, never above max()). 0 when empty.
  uint64_t percentile(double q) const;

  static size_t bucket_of(uint64_t value);
  // The largest value that falls in `bucket`.
  static uint64_t bucket_top(size_t bucket);

 private:
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
  long double sum_ = 0;
};

}  // namespace eddy::load
