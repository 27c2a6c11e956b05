#pragma once

#include <cstdint>
#include <string_view>

#include "runtime/ids.h"
#include "runtime/status.h"

namespace eddy {

// Event times as senders write them, to UTC milliseconds since the epoch:
//
//   "2024-03-10T14:05:09.123+05:30"   ISO 8601 with any offset, read by parse_iso8601
//   "1710079509"  "1710079509.123"    epoch seconds, optionally with a fraction
//   "1710079509123"                   epoch milliseconds
//
// Seconds or milliseconds is decided by magnitude, because nothing else in the value says which:
// a number below 1e11 is seconds and one at or above it is milliseconds. 1e11 seconds is the year
// 5138 and 1e11 milliseconds is March 1973, so for events from 1973 to 5138 the rule cannot be
// wrong. Milliseconds beyond the year 9999 (the limit parse_iso8601 has too) are refused, which
// also catches microseconds and nanoseconds, whose current values are 1000 and 10^6 times larger.
// Negative numbers are refused: an event before 1970 in a live customer stream is a bug upstream.
//
// A decimal fraction in text is truncated to milliseconds, as parse_iso8601 truncates. A JSON
// double is rounded to the nearest millisecond instead: 1710079509.123 has no exact binary form,
// it is stored as 1710079509.12299990..., and truncation would make it .122.
//
// Information lost, and so kept raw by the caller: the sender's offset (its local time of day),
// digits below a millisecond, and which unit an epoch number was in.
Result<EventTime> normalize_timestamp(std::string_view raw);

// The same rule for numbers taken from a JSON body. Separate overloads rather than one taking a
// double because a double cannot hold every int64; a call with a plain `int` or an unsigned type
// is ambiguous and does not compile, which is better than a silent conversion.
Result<EventTime> normalize_timestamp(int64_t epoch);
Result<EventTime> normalize_timestamp(double epoch);

}  // namespace eddy
