#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/status.h"

namespace eddy {

// Standard Webhooks (standardwebhooks.com) signatures: HMAC-SHA256 over "id.timestamp.body" with
// the secret's bytes, base64-encoded, sent as "v1,<signature>" in the webhook-signature header,
// which may list several space-separated signatures so that senders can rotate keys.

// A signing secret: "whsec_" followed by the base64 of the key bytes.
class WebhookSecret {
 public:
  static Result<WebhookSecret> parse(std::string_view text);
  const std::string& key() const { return key_; }

 private:
  explicit WebhookSecret(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

// The header value "v1,<base64 signature>" for one message.
std::string sign_webhook(const WebhookSecret& secret, std::string_view id, int64_t timestamp_s,
                         std::string_view body);

enum class WebhookCheck : uint8_t {
  kValid,
  kMissingHeaders,
  kBadTimestamp,  // not an integer
  kTimestampTooOld,
  kTimestampTooNew,
  kBadSignature,  // no listed signature matches any secret
};
const char* webhook_check_code(WebhookCheck c);

struct WebhookHeaders {
  std::string_view id;
  std::string_view timestamp;
  std::string_view signature;
};

// Checks the headers and body against every secret (old and new during a rotation). The
// comparison takes the same time whatever the bytes, so a caller learns nothing from timing.
WebhookCheck verify_webhook(const std::vector<WebhookSecret>& secrets,
                            const WebhookHeaders& headers, std::string_view body, int64_t now_s,
                            int64_t tolerance_s = 5 * 60);

std::string base64_encode(std::string_view bytes);
// nullopt-like: an error for anything that is not padded standard base64.
Result<std::string> base64_decode(std::string_view text);

}  // namespace eddy
