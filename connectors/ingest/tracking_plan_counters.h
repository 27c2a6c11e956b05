#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace eddy {

// Distinct (event, field) label pairs kept apart. Event names and, for properties outside the
// plan, field names come from clients: without a cap a client could grow the metrics without
// bound.
inline constexpr size_t kMaxTrackingPlanSeries = 500;
// The labels every violation beyond the cap is counted under.
inline constexpr std::string_view kOtherSeries = "other";

// Tracking-plan violations by event name and field, rendered as
// eddy_tracking_plan_violations_total{event="Order Completed",field="properties.revenue"}.
//
// Thread-safe. A mutex guards the map: only events that break the plan reach it, and an event
// that keeps to the plan never calls add.
class TrackingPlanCounters {
 public:
  void add(std::string_view event, std::string_view field);
  uint64_t get(std::string_view event, std::string_view field) const;
  void visit(const std::function<void(std::string_view event, std::string_view field, uint64_t n)>&
                 fn) const;

 private:
  using Series = std::pair<std::string, std::string>;

  mutable std::mutex mutex_;
  std::map<Series, uint64_t, std::less<>> counts_;
  uint64_t other_ = 0;
};

}  // namespace eddy
