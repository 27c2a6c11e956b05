#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "connectors/ingest/ingest_errc.h"

namespace eddy {

// The six calls of Segment's Tracking API.
enum class SegmentCall : uint8_t { kTrack, kIdentify, kPage, kScreen, kGroup, kAlias };

// "track", "identify", ...: the `type` of a message and the name of its route.
std::string_view segment_call_name(SegmentCall call);
// The call a message's `type` names; nullopt for anything else.
std::optional<SegmentCall> segment_call_from_name(std::string_view name);
IngestEndpoint endpoint_of(SegmentCall call);

}  // namespace eddy
