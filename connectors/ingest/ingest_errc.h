#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace eddy {

// Why ingest refused an event or a whole request. The names are the stable `code` of the JSON
// error bodies and the `reason` label of the ingest metrics.
enum class IngestErrc : uint8_t {
  kMalformedJson,          // not JSON at all
  kJsonTooDeep,            // nested deeper than HttpSettings::max_json_depth
  kInvalidRequest,         // JSON, but not the shape the route takes (no `batch` array, ...)
  kInvalidMessage,         // a message that is not an object, or a field of the wrong kind
  kInvalidType,            // `type` missing or not a Segment call
  kMissingEvent,           // a track call without an `event` name
  kMissingUserId,          // neither `userId` nor `anonymousId`
  kInvalidIdentifier,      // an id over kMaxIdentifierBytes or with a control character
  kBadTimestamp,           // `timestamp`, `originalTimestamp` or `sentAt` is not ISO 8601
  kEventTooLarge,          // one message over HttpSettings::max_event_bytes
  kBatchTooLarge,          // a /v1/batch body over HttpSettings::max_batch_bytes
  kTooManyEvents,          // a /v1/batch with more than HttpSettings::max_batch_events items
  kTooManyProperties,      // more than kMaxEventProperties properties or traits
  kUnknownEventType,       // a name the topology does not accept (and no "track" catch-all)
  kTrackingPlanViolation,  // the event breaks the tracking plan, which is set to reject
  kUnauthorized,           // no write key, or one that is not configured
  kBusy,                   // the engine's inboxes are full; retry
  kShuttingDown,           // the engine no longer takes input
  kStorageUnavailable,     // the write-ahead log cannot write (a full or failing disk); retry
  kInvalidEvents,          // every event of the request was refused (reply code only)
  kInternal,               // a bug or an allocation failure
};
inline constexpr size_t kIngestErrcCount = static_cast<size_t>(IngestErrc::kInternal) + 1;

std::string_view ingest_errc_code(IngestErrc e);

// An event or a request ingest refused, and why in words. `position` is the byte offset of a JSON
// syntax error within the text parsed (a line of NDJSON, or the whole body).
struct IngestError {
  IngestErrc code = IngestErrc::kInternal;
  std::string message;
  std::optional<size_t> position;
};

// The routes that feed ingest, as labels for its counters.
enum class IngestEndpoint : uint8_t {
  kTrack,
  kIdentify,
  kPage,
  kScreen,
  kGroup,
  kAlias,
  kBatch,
  kEvents,
};
inline constexpr size_t kIngestEndpointCount = static_cast<size_t>(IngestEndpoint::kEvents) + 1;

std::string_view ingest_endpoint_name(IngestEndpoint e);

}  // namespace eddy
