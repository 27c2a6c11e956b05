#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/status.h"

namespace eddy {

// One receiver of outbound webhooks, as a user configures it. The defaults suit a receiver on
// the internet that has short outages; tests shrink the timings to milliseconds.
struct WebhookEndpoint {
  // Names the endpoint in logs, metrics and dead letters; unique within a sink.
  std::string name;
  // "http://host[:port][/path][?query]". https:// is refused for now (see docs/outbound.md).
  std::string url;
  // "whsec_<base64 key>": requests carry a Standard Webhooks signature. Empty: unsigned.
  std::string secret;
  // Event names ("Cart Abandoned", "Segment Entered") delivered to this endpoint; empty: all.
  std::vector<std::string> event_types;

  // Resolving and connecting must finish within this; a fresh connection only.
  uint32_t connect_timeout_ms = 5'000;
  // Writing a request and reading its whole response must finish within this.
  uint32_t request_timeout_ms = 15'000;
  // Attempts per event, the first included; then the event is dead-lettered.
  uint32_t max_attempts = 10;
  // Retry k (0 for the first) waits a random time in [0, min(max, base * 2^k)].
  uint32_t base_backoff_ms = 1'000;
  // Also caps how long a Retry-After header may make a retry wait.
  uint32_t max_backoff_ms = 5 * 60'000;
  // Requests on the wire at once, each on its own keep-alive connection.
  uint32_t max_in_flight = 4;
  // Events held for this endpoint (queued, in flight or waiting to be retried). write() puts
  // events beyond this straight into the dead-letter file.
  uint32_t queue_capacity = 10'000;
  // NDJSON file that receives every event this endpoint gives up on. Required: nothing is
  // dropped silently. Endpoints may share one file.
  std::string dead_letter_path;
};

// Checks one endpoint on its own (names' uniqueness and event names are checked by the sink).
Status validate_endpoint(const WebhookEndpoint& endpoint);

}  // namespace eddy
