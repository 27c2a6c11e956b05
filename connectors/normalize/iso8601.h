#pragma once

#include <string>
#include <string_view>

#include "runtime/ids.h"
#include "runtime/status.h"

namespace eddy {

// Segment's timestamps: ISO 8601 in its RFC 3339 form, as every Segment library writes them.
//
//   2024-03-10T14:05:09Z            2024-03-10T14:05:09.123456+05:30     2024-03-10 14:05:09-0800
//   2024-03-10T14:05Z               2024-03-10T14:05:09,5-08             2024-03-10 (midnight UTC)
//
// A time of day needs its offset ('Z' or ±hh[:mm]): local time is ambiguous, so it is refused
// rather than guessed. Fractions may have any number of digits and are truncated to milliseconds.
// A leap second (:60) counts as the last millisecond of its minute, so that order within the
// minute holds. Years run from 0000 to 9999. Anything else fails with kInvalidArgument and a
// message saying what is wrong and where.
Result<EventTime> parse_iso8601(std::string_view text);

// The canonical form, always UTC with milliseconds: "2024-03-10T14:05:09.123Z". Meant for times
// within the years parse_iso8601 takes; parsing what it writes gives the same time back.
std::string format_iso8601(EventTime time);

}  // namespace eddy
