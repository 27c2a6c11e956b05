#pragma once

#include <cstdint>

namespace eddy {

// What the sender does with an event after a receiver answered with an HTTP status.
enum class DeliveryVerdict : uint8_t {
  kDelivered,  // 2xx
  kGone,       // 410: the receiver no longer wants anything; the endpoint is disabled
  kThrottled,  // 429, 503: retry, after Retry-After when the receiver sent one
  kRetry,      // other 5xx, 408: retry with backoff
  kReject,     // other 4xx, and 1xx/3xx (redirects are not followed): retrying cannot help
};

DeliveryVerdict classify_status(unsigned status);

}  // namespace eddy
