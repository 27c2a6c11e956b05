#pragma once

#include <optional>

#include "runtime/ids.h"

namespace eddy {

// The times a Segment message carries, as the client's clock read them.
struct ClientTimes {
  std::optional<EventTime> timestamp;
  std::optional<EventTime> original_timestamp;
  std::optional<EventTime> sent_at;  // the message's own, else its batch's
};

// When the event happened, corrected for a client clock that is off, as Segment does: the client
// measured (sentAt - originalTimestamp) with its own clock, which is right about durations even
// when it is wrong about the hour, so the event happened that long before we received it:
//
//   time = receivedAt - (sentAt - (originalTimestamp, else timestamp))   when sentAt is sent
//   time = timestamp, else originalTimestamp                             when it is not
//   time = receivedAt                                                    when no time is sent
//
// A sentAt without a time of the event means the event was sent as it happened: receivedAt.
EventTime corrected_event_time(const ClientTimes& client, WallTime received_at);

}  // namespace eddy
