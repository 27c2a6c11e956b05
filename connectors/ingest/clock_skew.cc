#include "connectors/ingest/clock_skew.h"

namespace eddy {

EventTime corrected_event_time(const ClientTimes& client, WallTime received_at) {
  const std::optional<EventTime> happened =
      client.original_timestamp ? client.original_timestamp : client.timestamp;
  if (client.sent_at) {
    if (!happened) return EventTime(received_at.value());
    return EventTime(received_at.value() - (client.sent_at->value() - happened->value()));
  }
  const std::optional<EventTime> stated =
      client.timestamp ? client.timestamp : client.original_timestamp;
  return stated ? *stated : EventTime(received_at.value());
}

}  // namespace eddy
