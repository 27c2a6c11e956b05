#include "connectors/outbound/webhook_endpoint.h"

#include "connectors/outbound/endpoint_url.h"
#include "connectors/webhooks/standard_webhooks.h"

namespace eddy {

namespace {

Status invalid(const WebhookEndpoint& endpoint, std::string_view what) {
  return {Errc::kInvalidArgument,
          "outbound endpoint '" + endpoint.name + "': " + std::string(what)};
}

}  // namespace

Status validate_endpoint(const WebhookEndpoint& endpoint) {
  if (endpoint.name.empty()) return {Errc::kInvalidArgument, "an outbound endpoint needs a name"};
  if (auto url = parse_endpoint_url(endpoint.url); !url) {
    return invalid(endpoint, url.status().message());
  }
  if (!endpoint.secret.empty()) {
    if (auto secret = WebhookSecret::parse(endpoint.secret); !secret) {
      return invalid(endpoint, secret.status().message());
    }
  }
  if (endpoint.dead_letter_path.empty()) {
    return invalid(endpoint, "dead_letter_path is required, so that no event is dropped silently");
  }
  if (endpoint.connect_timeout_ms == 0 || endpoint.request_timeout_ms == 0) {
    return invalid(endpoint, "timeouts must be at least 1 ms");
  }
  if (endpoint.max_attempts == 0) return invalid(endpoint, "max_attempts must be at least 1");
  if (endpoint.max_in_flight == 0) return invalid(endpoint, "max_in_flight must be at least 1");
  if (endpoint.queue_capacity == 0) return invalid(endpoint, "queue_capacity must be at least 1");
  if (endpoint.base_backoff_ms > endpoint.max_backoff_ms) {
    return invalid(endpoint, "base_backoff_ms must not exceed max_backoff_ms");
  }
  return Status::ok();
}

}  // namespace eddy
