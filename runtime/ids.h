#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace eddy {

// A distinct integer type per kind of identifier, so that a key group can never be passed where a
// worker id is expected. Only explicit construction and comparison are offered; arithmetic is
// written out where it is meant.
template <typename T, typename Tag>
class NamedType {
 public:
  using value_type = T;

  constexpr NamedType() = default;
  constexpr explicit NamedType(T v) : value_(v) {}

  constexpr T value() const { return value_; }
  constexpr auto operator<=>(const NamedType&) const = default;

 private:
  T value_{};
};

using KeyHash = NamedType<uint64_t, struct KeyHashTag>;
using KeyGroup = NamedType<uint32_t, struct KeyGroupTag>;
using WorkerId = NamedType<uint32_t, struct WorkerIdTag>;
using StageId = NamedType<uint32_t, struct StageIdTag>;
using LogOffset = NamedType<uint64_t, struct LogOffsetTag>;
using CheckpointId = NamedType<uint64_t, struct CheckpointIdTag>;
using EventType = NamedType<uint16_t, struct EventTypeTag>;

// Event time and watermarks: milliseconds since the Unix epoch, UTC.
using EventTime = NamedType<int64_t, struct EventTimeTag>;
// Wall-clock time from the injectable clock, also in milliseconds since the epoch.
using WallTime = NamedType<int64_t, struct WallTimeTag>;

inline constexpr EventTime kMinEventTime{INT64_MIN};
inline constexpr EventTime kMaxEventTime{INT64_MAX};

constexpr int64_t kMillisPerSecond = 1000;
constexpr int64_t kMillisPerMinute = 60 * kMillisPerSecond;
constexpr int64_t kMillisPerHour = 60 * kMillisPerMinute;
constexpr int64_t kMillisPerDay = 24 * kMillisPerHour;

}  // namespace eddy

template <typename T, typename Tag>
struct std::hash<eddy::NamedType<T, Tag>> {
  size_t operator()(eddy::NamedType<T, Tag> v) const noexcept { return std::hash<T>{}(v.value()); }
};
