#pragma once

#include <array>
#include <atomic>
#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "connectors/webhooks/standard_webhooks.h"
#include "connectors/webhooks/webhook_id_store.h"
#include "connectors/webhooks/webhook_mapping.h"
#include "runtime/status.h"

namespace eddy {

// One configured sender: POST /v1/webhooks/{name}.
struct WebhookSourceConfig {
  // Letters, digits, '-' and '_', at most 64: it is a path segment and a metrics label.
  std::string name;
  // "whsec_<base64>" signing secrets. A delivery signed with any of them is valid, so a key is
  // rotated by adding the new one, moving the sender over, then removing the old one.
  std::vector<std::string> secrets;
  std::optional<WebhookMapping> mapping;
};

struct WebhookReceiverSettings {
  // How far a delivery's webhook-timestamp may be from now, either way (Standard Webhooks: 5 min).
  int64_t tolerance_s = 5 * 60;
  // Longer webhook-id headers are refused (400): the id is stored for days.
  size_t max_id_bytes = 256;
  // JSON nested deeper than this is refused (400).
  uint32_t max_json_depth = 32;
};

// Every way receive() can end; stable, as metrics labels and as the `code` of responses.
enum class WebhookCode : uint8_t {
  kAccepted,                 // 202 once ingest accepts the messages
  kIgnored,                  // 200: verified, but no rule yielded a message
  kDuplicate,                // 200: delivered before
  kInFlight,                 // 409: the same id is being processed by another request
  kUnknownSource,            // 404
  kMissingSignatureHeaders,  // 401
  kBadTimestamp,             // 401: webhook-timestamp is not an integer
  kTimestampTooOld,          // 401
  kTimestampTooNew,          // 401
  kBadSignature,             // 401
  kBadWebhookId,             // 400: longer than max_id_bytes
  kInvalidJson,              // 400
  kMappingError,             // 400: a required field is missing or of the wrong type
};
inline constexpr size_t kWebhookCodeCount = static_cast<size_t>(WebhookCode::kMappingError) + 1;
const char* webhook_code_name(WebhookCode code);
unsigned webhook_code_status(WebhookCode code);

// What to do with one delivery.
struct WebhookOutcome {
  WebhookCode code = WebhookCode::kAccepted;
  unsigned status = 202;  // webhook_code_status(code)
  std::string message;
  // kIgnored: why each rule yielded nothing.
  std::vector<std::string> reasons;
  // kAccepted: the Segment messages for ingest, and the id's reservation. The caller commits the
  // claim once ingest has accepted every message (and answers `status`), or releases it when
  // ingest refused them (busy: answer 429/503 with Retry-After), so that the retry is processed.
  // A claim that is dropped releases itself.
  std::vector<boost::json::object> messages;
  WebhookIdClaim claim;

  // The response body: {"code": ..., "message": ..., "reasons": [...]} (reasons when ignored).
  boost::json::object response_json() const;
};

// Verifies, de-duplicates and maps signed webhooks. Knows nothing of HTTP framing or of ingest: the
// HTTP layer passes the route's {source}, the three webhook-* headers and the raw body, and hands
// the messages to ingest.
//
// Thread-safe: receive() runs on any number of I/O threads at once. The sources are fixed at
// creation; the counters are atomics.
class WebhookReceiver {
 public:
  // Checks every source (name, secrets, mapping) and says which is wrong.
  static Result<std::unique_ptr<WebhookReceiver>> create(std::vector<WebhookSourceConfig> sources,
                                                         std::shared_ptr<WebhookIdStore> ids,
                                                         WebhookReceiverSettings settings = {});

  WebhookOutcome receive(std::string_view source, const WebhookHeaders& headers,
                         std::string_view body, int64_t now_s);

  // Calls `fn` for every source and code with its count, in a fixed order; deliveries to unknown
  // sources count under the source "_unknown", so that a scanner cannot create labels. The counts
  // are of receive()'s answers: "accepted" means handed to ingest, which may still refuse.
  void visit_counters(const std::function<void(std::string_view source, std::string_view code,
                                               uint64_t count)>& fn) const;

  const WebhookIdStore& ids() const { return *ids_; }

 private:
  struct Source {
    std::string name;
    std::vector<WebhookSecret> secrets;
    WebhookMapping mapping;
    std::array<std::atomic<uint64_t>, kWebhookCodeCount> counts{};
  };

  WebhookReceiver(std::shared_ptr<WebhookIdStore> ids, WebhookReceiverSettings settings)
      : ids_(std::move(ids)), settings_(settings) {}

  WebhookOutcome process(Source& source, const WebhookHeaders& headers, std::string_view body,
                         int64_t now_s);
  WebhookOutcome map(Source& source, std::string_view id, std::string_view body, int64_t now_s,
                     WebhookIdClaim claim);

  std::shared_ptr<WebhookIdStore> ids_;
  const WebhookReceiverSettings settings_;
  std::vector<std::unique_ptr<Source>> sources_;
  std::unordered_map<std::string_view, Source*> by_name_;
  std::atomic<uint64_t> unknown_source_{0};
};

}  // namespace eddy
