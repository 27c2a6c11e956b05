#include "connectors/ingest/segment_call.h"

#include <array>

namespace eddy {
namespace {

constexpr std::array<std::string_view, 6> kNames = {"track",  "identify", "page",
                                                    "screen", "group",    "alias"};

}  // namespace

std::string_view segment_call_name(SegmentCall call) {
  return kNames[static_cast<size_t>(call)];
}

std::optional<SegmentCall> segment_call_from_name(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<SegmentCall>(i);
  }
  return std::nullopt;
}

IngestEndpoint endpoint_of(SegmentCall call) {
  // The endpoints list the calls first, in the same order.
  return static_cast<IngestEndpoint>(static_cast<uint8_t>(call));
}

}  // namespace eddy
