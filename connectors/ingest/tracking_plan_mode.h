#pragma once

#include <cstdint>

namespace eddy {

// What ingest does with an event that breaks the tracking plan (docs/event-model.md).
enum class TrackingPlanMode : uint8_t {
  kReject,  // refuse it with tracking_plan_violation, naming the field and the reason
  kTag,     // take it, with the violations in its `tracking_plan_violations` property
};

}  // namespace eddy
