#include "connectors/outbound/outbound_message.h"

#include <algorithm>
#include <cstdio>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace eddy {

namespace {

constexpr size_t kMaxTriggerIdBytes = 200;

std::string hashed_id(std::string_view bytes) {
  const XXH128_hash_t h = XXH3_128bits(bytes.data(), bytes.size());
  char text[4 + 32 + 1];
  std::snprintf(text, sizeof text, "evt_%016llx%016llx", static_cast<unsigned long long>(h.high64),
                static_cast<unsigned long long>(h.low64));
  return std::string(text, sizeof text - 1);
}

// Printable ASCII without spaces: safe in a header and in the signed "id.timestamp.body".
bool header_safe(std::string_view id) {
  return !id.empty() && id.size() <= kMaxTriggerIdBytes &&
         std::all_of(id.begin(), id.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

}  // namespace

std::string webhook_id_for(const EventRef& event, std::string_view body) {
  const PropValue trigger = event.prop("trigger_id");
  std::string id;
  if (trigger.kind() == PropKind::kString) {
    id = trigger.as_string();
  } else if (trigger.kind() == PropKind::kInt) {
    id = std::to_string(trigger.as_int());
  } else {
    return hashed_id(body);
  }
  return header_safe(id) ? id : hashed_id(id);
}

}  // namespace eddy
