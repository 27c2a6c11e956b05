#include "connectors/ingest/tracking_plan_counters.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace eddy {
namespace {

TEST(TrackingPlanCounters, CountsBeyondTheCapUnderOther) {
  TrackingPlanCounters counters;
  for (size_t i = 0; i < kMaxTrackingPlanSeries; ++i)
    counters.add("E" + std::to_string(i), "properties.x");
  counters.add("E0", "properties.x");
  counters.add("New", "properties.y");
  counters.add("Newer", "event");
  EXPECT_EQ(counters.get("E0", "properties.x"), 2u);
  EXPECT_EQ(counters.get("New", "properties.y"), 0u);
  EXPECT_EQ(counters.get(kOtherSeries, kOtherSeries), 2u);
  size_t series = 0;
  counters.visit([&](std::string_view, std::string_view, uint64_t) { ++series; });
  EXPECT_EQ(series, kMaxTrackingPlanSeries + 1);
}

TEST(TrackingPlanCounters, AddsFromManyThreads) {
  TrackingPlanCounters counters;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&counters] {
      for (int i = 0; i < 1000; ++i)
        counters.add("Order Completed", "properties.revenue");
    });
  }
  for (std::thread& t : threads)
    t.join();
  EXPECT_EQ(counters.get("Order Completed", "properties.revenue"), 4000u);
}

}  // namespace
}  // namespace eddy
