#include "bench/load/log_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace eddy::load {
namespace {

constexpr int kSubBits = 7;
constexpr uint64_t kSub = uint64_t{1} << kSubBits;  // buckets per power of two
constexpr size_t kBuckets = kSub + (64 - kSubBits) * kSub;

}  // namespace

LogHistogram::LogHistogram() : counts_(kBuckets, 0) {}

size_t LogHistogram::bucket_of(uint64_t value) {
  if (value < kSub) return static_cast<size_t>(value);
  const int exponent = 63 - std::countl_zero(value);  // >= kSubBits
  const int shift = exponent - kSubBits;
  const uint64_t sub = (value >> shift) - kSub;  // the kSubBits bits below the leading one
  return static_cast<size_t>(kSub + static_cast<uint64_t>(shift) * kSub + sub);
}

uint64_t LogHistogram::bucket_top(size_t bucket) {
  if (bucket < kSub) return bucket;
  const uint64_t shift = (bucket - kSub) / kSub;
  const uint64_t sub = (bucket - kSub) % kSub;
  const uint64_t bottom = (kSub + sub) << shift;
  return bottom + ((uint64_t{1} << shift) - 1);
}

void LogHistogram::record(uint64_t value) {
  ++counts_[bucket_of(value)];
  ++count_;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  sum_ += static_cast<long double>(value);
}

void LogHistogram::merge(const LogHistogram& other) {
  for (size_t i = 0; i < kBuckets; ++i)
    counts_[i] += other.counts_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

double LogHistogram::mean() const {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_ / static_cast<long double>(count_));
}

uint64_t LogHistogram::percentile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  const uint64_t rank =
      std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_))));
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(bucket_top(i), max_);
  }
  return max_;
}

}  // namespace eddy::load
