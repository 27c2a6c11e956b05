#include "connectors/metrics/histogram.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <thread>
#include <vector>

#include "connectors/metrics/latency.h"

namespace eddy::metrics {
namespace {

TEST(Histogram, AValueOnABoundFallsInThatBucket) {
  Histogram h({0.25, 1, 4});
  for (double v : {0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0})
    h.observe(v);
  HistogramSnapshot s = h.snapshot();
  EXPECT_EQ(s.counts, (std::vector<uint64_t>{2, 2, 2, 1}));
  EXPECT_EQ(s.count(), 7u);
  EXPECT_DOUBLE_EQ(s.sum, 15.875);
}

TEST(Histogram, ExtremesGoToTheEndBuckets) {
  Histogram h({1, 2});
  h.observe(-5);
  h.observe(std::numeric_limits<double>::infinity());
  h.observe(1e300);
  EXPECT_EQ(h.snapshot().counts, (std::vector<uint64_t>{1, 0, 2}));
}

TEST(Histogram, NaNIsIgnored) {
  Histogram h({1});
  h.observe(std::nan(""));
  h.observe(0.5);
  HistogramSnapshot s = h.snapshot();
  EXPECT_EQ(s.count(), 1u);
  EXPECT_DOUBLE_EQ(s.sum, 0.5);
}

TEST(Histogram, BoundsMustBeFiniteAndIncreaseStrictly) {
  EXPECT_TRUE(check_bucket_bounds(std::vector<double>{0.1, 1, 10}).is_ok());
  EXPECT_FALSE(check_bucket_bounds(std::vector<double>{}).is_ok());
  EXPECT_FALSE(check_bucket_bounds(std::vector<double>{1, 1}).is_ok());
  EXPECT_FALSE(check_bucket_bounds(std::vector<double>{2, 1}).is_ok());
  EXPECT_FALSE(
      check_bucket_bounds(std::vector<double>{1, std::numeric_limits<double>::infinity()}).is_ok());
  EXPECT_FALSE(check_bucket_bounds(std::vector<double>{std::nan("")}).is_ok());
}

TEST(Latency, DefaultBucketsRunFrom50MicrosecondsTo10SecondsInOrder) {
  EXPECT_DOUBLE_EQ(kLatencyBucketsSeconds.front(), 50e-6);
  EXPECT_DOUBLE_EQ(kLatencyBucketsSeconds.back(), 10.0);
  EXPECT_TRUE(check_bucket_bounds(kLatencyBucketsSeconds).is_ok());
}

TEST(Latency, ObserveSinceRecordsElapsedSeconds) {
  MetricsRegistry r;
  Histogram& h = latency_histogram(r, "eddy_test_duration_seconds", "A test's latency.");
  const auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  h.observe_since(start);
  HistogramSnapshot s = h.snapshot();
  ASSERT_EQ(s.count(), 1u);
  EXPECT_GE(s.sum, 0.002);
  EXPECT_LT(s.sum, 5.0);
  EXPECT_EQ(s.counts[0] + s.counts[1] + s.counts[2] + s.counts[3] + s.counts[4], 0u)
      << "2 ms cannot land at or below 1 ms";
  EXPECT_EQ(&latency_histogram(r, "eddy_test_duration_seconds", "A test's latency."), &h);
}

}  // namespace
}  // namespace eddy::metrics
