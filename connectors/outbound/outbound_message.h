#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "runtime/event.h"

namespace eddy {

// One event on its way to one endpoint. The body is shared by every endpoint the event goes to;
// the rest is this endpoint's account of its attempts.
struct OutboundMessage {
  std::string id;  // the webhook-id header, the same on every attempt
  std::shared_ptr<const std::string> body;
  uint32_t attempts = 0;
  unsigned last_status = 0;  // 0 until a receiver answered
  std::string last_error;    // the last transport failure; empty once a receiver answered
  // Its key in the delivered-id memory, reserved while it is held; empty without a memory.
  std::string memory_key;
};

// The webhook-id of an event. Operators give triggers a deterministic `trigger_id` property, so a
// trigger replayed after recovery carries the id it had the first time; it is used as it is when
// it is a header-safe token of printable ASCII (at most 200 bytes). Any other event, or an
// unusable trigger_id, gets "evt_" and the hex XXH3-128 of its JSON body (or of the trigger_id),
// which is just as stable. Receivers de-duplicate on this id.
std::string webhook_id_for(const EventRef& event, std::string_view body);

}  // namespace eddy
