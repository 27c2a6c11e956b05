#include "connectors/outbound/delivery_outcome.h"

namespace eddy {

DeliveryVerdict classify_status(unsigned status) {
  if (status >= 200 && status < 300) return DeliveryVerdict::kDelivered;
  if (status == 410) return DeliveryVerdict::kGone;
  if (status == 429 || status == 503) return DeliveryVerdict::kThrottled;
  // 408 says the receiver gave up waiting for the request: the same request may well succeed.
  if (status == 408 || (status >= 500 && status < 600)) return DeliveryVerdict::kRetry;
  return DeliveryVerdict::kReject;
}

}  // namespace eddy
