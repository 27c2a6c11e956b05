#include "bench/load/log_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace eddy::load {
namespace {

TEST(LogHistogram, SmallValuesAreExact) {
  LogHistogram h;
  for (uint64_t v = 0; v < 100; ++v)
    h.record(v);
  EXPECT_EQ(h.count(), 100u);
  EXPECT_EQ(h.percentile(0.5), 49u);
  EXPECT_EQ(h.percentile(0.99), 98u);
  EXPECT_EQ(h.percentile(1.0), 99u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_DOUBLE_EQ(h.mean(), 49.5);
}

TEST(LogHistogram, BucketsCoverEveryValueWithinOnePartIn128) {
  for (uint64_t v : {uint64_t{127}, uint64_t{128}, uint64_t{129}, uint64_t{1000},
                     uint64_t{123456789}, uint64_t{1} << 40, UINT64_MAX}) {
    SCOPED_TRACE(v);
    const size_t b = LogHistogram::bucket_of(v);
    EXPECT_GE(LogHistogram::bucket_top(b), v);
    if (b > 0) {
      EXPECT_LT(LogHistogram::bucket_top(b - 1), v);
    }
    EXPECT_LE(static_cast<double>(LogHistogram::bucket_top(b) - v), static_cast<double>(v) / 128);
  }
}

// Against the exact quantiles of a sorted sample: within the promised 1/128.
TEST(LogHistogram, PercentilesMatchASortedSampleWithinPrecision) {
  std::mt19937_64 rng(5);
  std::lognormal_distribution<double> latency(13.0, 1.0);  // around 0.5 ms in ns, long tail
  std::vector<uint64_t> values;
  LogHistogram a;
  LogHistogram b;
  for (int i = 0; i < 200'000; ++i) {
    const uint64_t v = static_cast<uint64_t>(latency(rng));
    values.push_back(v);
    (i % 2 == 0 ? a : b).record(v);
  }
  a.merge(b);
  std::sort(values.begin(), values.end());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    SCOPED_TRACE(q);
    const uint64_t exact = values[static_cast<size_t>(std::ceil(q * values.size())) - 1];
    const uint64_t got = a.percentile(q);
    EXPECT_GE(got, exact);
    EXPECT_LE(static_cast<double>(got - exact), static_cast<double>(exact) / 128 + 1);
  }
  EXPECT_EQ(a.percentile(1.0), values.back());
  EXPECT_EQ(a.max(), values.back());
}

}  // namespace
}  // namespace eddy::load
