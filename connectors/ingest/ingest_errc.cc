#include "connectors/ingest/ingest_errc.h"

namespace eddy {

std::string_view ingest_errc_code(IngestErrc e) {
  switch (e) {
    case IngestErrc::kMalformedJson:
      return "malformed_json";
    case IngestErrc::kJsonTooDeep:
      return "json_too_deep";
    case IngestErrc::kInvalidRequest:
      return "invalid_request";
    case IngestErrc::kInvalidMessage:
      return "invalid_message";
    case IngestErrc::kInvalidType:
      return "invalid_type";
    case IngestErrc::kMissingEvent:
      return "missing_event";
    case IngestErrc::kMissingUserId:
      return "missing_user_id";
    case IngestErrc::kInvalidIdentifier:
      return "invalid_identifier";
    case IngestErrc::kBadTimestamp:
      return "bad_timestamp";
    case IngestErrc::kEventTooLarge:
      return "event_too_large";
    case IngestErrc::kBatchTooLarge:
      return "batch_too_large";
    case IngestErrc::kTooManyEvents:
      return "too_many_events";
    case IngestErrc::kTooManyProperties:
      return "too_many_properties";
    case IngestErrc::kUnknownEventType:
      return "unknown_event_type";
    case IngestErrc::kTrackingPlanViolation:
      return "tracking_plan_violation";
    case IngestErrc::kUnauthorized:
      return "unauthorized";
    case IngestErrc::kBusy:
      return "busy";
    case IngestErrc::kShuttingDown:
      return "shutting_down";
    case IngestErrc::kStorageUnavailable:
      return "storage_unavailable";
    case IngestErrc::kInvalidEvents:
      return "invalid_events";
    case IngestErrc::kInternal:
      return "internal";
  }
  return "internal";
}

std::string_view ingest_endpoint_name(IngestEndpoint e) {
  switch (e) {
    case IngestEndpoint::kTrack:
      return "track";
    case IngestEndpoint::kIdentify:
      return "identify";
    case IngestEndpoint::kPage:
      return "page";
    case IngestEndpoint::kScreen:
      return "screen";
    case IngestEndpoint::kGroup:
      return "group";
    case IngestEndpoint::kAlias:
      return "alias";
    case IngestEndpoint::kBatch:
      return "batch";
    case IngestEndpoint::kEvents:
      return "events";
  }
  return "events";
}

}  // namespace eddy
