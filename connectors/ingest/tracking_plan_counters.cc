#include "connectors/ingest/tracking_plan_counters.h"

namespace eddy {

void TrackingPlanCounters::add(std::string_view event, std::string_view field) {
  std::lock_guard lock(mutex_);
  // The key is built only to look up; violations are rare enough that this allocation is not
  // worth a heterogeneous pair comparator.
  Series key{std::string(event), std::string(field)};
  if (auto it = counts_.find(key); it != counts_.end()) {
    ++it->second;
  } else if (counts_.size() < kMaxTrackingPlanSeries) {
    counts_.emplace(std::move(key), 1);
  } else {
    ++other_;
  }
}

uint64_t TrackingPlanCounters::get(std::string_view event, std::string_view field) const {
  std::lock_guard lock(mutex_);
  if (event == kOtherSeries && field == kOtherSeries) return other_;
  auto it = counts_.find(Series{std::string(event), std::string(field)});
  return it != counts_.end() ? it->second : 0;
}

void TrackingPlanCounters::visit(
    const std::function<void(std::string_view event, std::string_view field, uint64_t n)>& fn)
    const {
  std::lock_guard lock(mutex_);
  for (const auto& [series, n] : counts_)
    fn(series.first, series.second, n);
  if (other_ != 0) fn(kOtherSeries, kOtherSeries, other_);
}

}  // namespace eddy
