#pragma once

#include <boost/json/object.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/ingest/segment_call.h"
#include "runtime/status.h"

namespace eddy {

// More violations than this in one event add nothing an operator can act on, and an event with
// hundreds of stray properties must not make ingest build hundreds of messages.
inline constexpr size_t kMaxTrackingPlanViolations = 8;

// The property a tagged event carries: its violations as "field: reason", joined by "; ".
inline constexpr std::string_view kTrackingPlanViolationsProperty = "tracking_plan_violations";

// One way a message breaks the plan: the field as a path ("properties.revenue", "traits.age",
// "context.traits.age", "event") and why ("required", "expected number, got string",
// "not in the plan").
struct TrackingPlanViolation {
  std::string field;
  std::string reason;

  bool operator==(const TrackingPlanViolation&) const = default;
};

// A JSON type as the plan names it. A field may allow several, hence the bits.
enum class JsonType : uint8_t {
  kString = 1 << 0,
  kNumber = 1 << 1,  // any number, integers included
  kInteger = 1 << 2,
  kBoolean = 1 << 3,
  kObject = 1 << 4,
  kArray = 1 << 5,
  kNull = 1 << 6,
};

// What the plan says of one property or trait. No type bits means any type.
struct FieldRule {
  uint8_t types = 0;
  bool required = false;
};

// A tracking plan, as Segment Protocols and Snowplow's schema validation use one: per event name,
// the properties it must carry and their types, and the types of identify traits. The file format
// is in docs/event-model.md ("Tracking plan").
//
// Immutable once parsed: `validate` may run on any number of threads at once.
class TrackingPlan {
 public:
  // A plan that says nothing: every event passes.
  TrackingPlan() = default;

  // A plan file that is wrong fails with a message naming the event or field and what is wrong.
  static Result<TrackingPlan> parse(std::string_view json);
  static Result<TrackingPlan> load(const std::string& path);

  // How `message` breaks the plan, at most kMaxTrackingPlanViolations of it; empty when it does
  // not. Track calls are checked against their event's entry, identify calls' traits (top level
  // and context.traits) against the plan's traits; other calls pass.
  std::vector<TrackingPlanViolation> validate(const boost::json::object& message,
                                              SegmentCall call) const;

 private:
  // Sorted by name, so that a lookup neither hashes nor allocates.
  using Rules = std::vector<std::pair<std::string, FieldRule>>;
  struct EventRules {
    Rules properties;
    bool allow_other_properties = true;
  };
  class Parser;
  class Checker;

  static const FieldRule* find(const Rules& rules, std::string_view name);
  const EventRules* find_event(std::string_view name) const;

  std::vector<std::pair<std::string, EventRules>> events_;  // sorted by name
  Rules traits_;
  bool allow_unplanned_events_ = true;
};

}  // namespace eddy
