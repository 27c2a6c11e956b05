#include "connectors/webhooks/webhook_receiver.h"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

#include "runtime/log.h"

namespace eddy {

namespace json = boost::json;

namespace {

constexpr size_t kMaxSourceNameBytes = 64;
constexpr std::string_view kUnknownSourceLabel = "_unknown";

bool is_source_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxSourceNameBytes) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

WebhookCode code_of(WebhookCheck check) {
  switch (check) {
    case WebhookCheck::kValid:
      return WebhookCode::kAccepted;
    case WebhookCheck::kMissingHeaders:
      return WebhookCode::kMissingSignatureHeaders;
    case WebhookCheck::kBadTimestamp:
      return WebhookCode::kBadTimestamp;
    case WebhookCheck::kTimestampTooOld:
      return WebhookCode::kTimestampTooOld;
    case WebhookCheck::kTimestampTooNew:
      return WebhookCode::kTimestampTooNew;
    case WebhookCheck::kBadSignature:
      return WebhookCode::kBadSignature;
  }
  return WebhookCode::kBadSignature;
}

std::string check_message(WebhookCheck check, int64_t tolerance_s) {
  switch (check) {
    case WebhookCheck::kMissingHeaders:
      return "webhook-id, webhook-timestamp and webhook-signature are all required";
    case WebhookCheck::kBadTimestamp:
      return "webhook-timestamp is not an integer number of seconds";
    case WebhookCheck::kTimestampTooOld:
      return "webhook-timestamp is more than " + std::to_string(tolerance_s) +
             " s in the past; a replayed delivery is refused";
    case WebhookCheck::kTimestampTooNew:
      return "webhook-timestamp is more than " + std::to_string(tolerance_s) +
             " s in the future; check the sender's clock";
    case WebhookCheck::kBadSignature:
      return "no signature in webhook-signature matches the body with any secret of this source";
    case WebhookCheck::kValid:
      break;
  }
  return {};
}

WebhookOutcome outcome(WebhookCode code, std::string message) {
  WebhookOutcome out;
  out.code = code;
  out.status = webhook_code_status(code);
  out.message = std::move(message);
  return out;
}

}  // namespace

const char* webhook_code_name(WebhookCode code) {
  switch (code) {
    case WebhookCode::kAccepted:
      return "accepted";
    case WebhookCode::kIgnored:
      return "ignored";
    case WebhookCode::kDuplicate:
      return "duplicate";
    case WebhookCode::kInFlight:
      return "in_flight";
    case WebhookCode::kUnknownSource:
      return "unknown_source";
    case WebhookCode::kMissingSignatureHeaders:
      return "missing_signature_headers";
    case WebhookCode::kBadTimestamp:
      return "bad_timestamp";
    case WebhookCode::kTimestampTooOld:
      return "timestamp_too_old";
    case WebhookCode::kTimestampTooNew:
      return "timestamp_too_new";
    case WebhookCode::kBadSignature:
      return "bad_signature";
    case WebhookCode::kBadWebhookId:
      return "bad_webhook_id";
    case WebhookCode::kInvalidJson:
      return "invalid_json";
    case WebhookCode::kMappingError:
      return "mapping_error";
  }
  return "unknown";
}

unsigned webhook_code_status(WebhookCode code) {
  switch (code) {
    case WebhookCode::kAccepted:
      return 202;
    case WebhookCode::kIgnored:
    case WebhookCode::kDuplicate:
      return 200;
    case WebhookCode::kInFlight:
      return 409;
    case WebhookCode::kUnknownSource:
      return 404;
    case WebhookCode::kMissingSignatureHeaders:
    case WebhookCode::kBadTimestamp:
    case WebhookCode::kTimestampTooOld:
    case WebhookCode::kTimestampTooNew:
    case WebhookCode::kBadSignature:
      return 401;
    case WebhookCode::kBadWebhookId:
    case WebhookCode::kInvalidJson:
    case WebhookCode::kMappingError:
      return 400;
  }
  return 500;
}

json::object WebhookOutcome::response_json() const {
  json::object body{{"code", webhook_code_name(code)}, {"message", message}};
  if (!reasons.empty()) {
    json::array list;
    for (const std::string& r : reasons)
      list.emplace_back(r);
    body["reasons"] = std::move(list);
  }
  return body;
}

Result<std::unique_ptr<WebhookReceiver>> WebhookReceiver::create(
    std::vector<WebhookSourceConfig> sources, std::shared_ptr<WebhookIdStore> ids,
    WebhookReceiverSettings settings) {
  if (ids == nullptr) return {Errc::kInvalidArgument, "webhooks need an id store"};
  std::unique_ptr<WebhookReceiver> receiver(new WebhookReceiver(std::move(ids), settings));
  for (WebhookSourceConfig& config : sources) {
    const std::string where = "webhook source '" + config.name + "'";
    if (!is_source_name(config.name))
      return {Errc::kInvalidArgument,
              where + ": a name is 1-64 letters, digits, '-' or '_' (it is a path segment)"};
    if (receiver->by_name_.contains(config.name))
      return {Errc::kInvalidArgument, where + " is configured twice"};
    if (config.secrets.empty())
      return {Errc::kInvalidArgument, where + ": needs at least one signing secret"};
    if (!config.mapping) return {Errc::kInvalidArgument, where + ": needs a mapping"};
    auto source = std::unique_ptr<Source>(new Source{config.name, {}, *config.mapping, {}});
    for (size_t i = 0; i < config.secrets.size(); ++i) {
      auto secret = WebhookSecret::parse(config.secrets[i]);
      if (!secret)
        return {Errc::kInvalidArgument,
                where + ": secret " + std::to_string(i + 1) + ": " + secret.status().message()};
      source->secrets.push_back(std::move(secret).value());
    }
    receiver->by_name_.emplace(source->name, source.get());
    receiver->sources_.push_back(std::move(source));
  }
  return receiver;
}

WebhookOutcome WebhookReceiver::receive(std::string_view source, const WebhookHeaders& headers,
                                        std::string_view body, int64_t now_s) {
  auto it = by_name_.find(source);
  if (it == by_name_.end()) {
    unknown_source_.fetch_add(1, std::memory_order_relaxed);
    return outcome(WebhookCode::kUnknownSource,
                   "no webhook source '" + std::string(source) + "' is configured");
  }
  WebhookOutcome out = process(*it->second, headers, body, now_s);
  it->second->counts[static_cast<size_t>(out.code)].fetch_add(1, std::memory_order_relaxed);
  return out;
}

WebhookOutcome WebhookReceiver::process(Source& source, const WebhookHeaders& headers,
                                        std::string_view body, int64_t now_s) {
  // Nothing about a delivery is trusted, its id included, until its signature is checked.
  const WebhookCheck check =
      verify_webhook(source.secrets, headers, body, now_s, settings_.tolerance_s);
  if (check != WebhookCheck::kValid)
    return outcome(code_of(check), check_message(check, settings_.tolerance_s));
  if (headers.id.size() > settings_.max_id_bytes)
    return outcome(
        WebhookCode::kBadWebhookId,
        "webhook-id is longer than " + std::to_string(settings_.max_id_bytes) + " bytes");

  // Ids are unique per sender only, so the memory is keyed by source too. Source names hold no
  // '/', which keeps the key unambiguous.
  std::string key = source.name + "/" + std::string(headers.id);
  const WallTime now(now_s * kMillisPerSecond);
  switch (ids_->reserve(key, now)) {
    case IdReservation::kDuplicate:
      return outcome(WebhookCode::kDuplicate, "this webhook-id was processed before");
    case IdReservation::kInFlight:
      return outcome(WebhookCode::kInFlight,
                     "this webhook-id is being processed by another request; retry later");
    case IdReservation::kFresh:
      break;
  }
  return map(source, headers.id, body, now_s, WebhookIdClaim(*ids_, std::move(key)));
}

WebhookOutcome WebhookReceiver::map(Source& source, std::string_view id, std::string_view body,
                                    int64_t now_s, WebhookIdClaim claim) {
  // On every early return the claim goes out of scope and releases the id, so that a corrected
  // redelivery is processed.
  json::parse_options options;
  options.max_depth = settings_.max_json_depth;
  boost::system::error_code ec;
  const json::value payload = json::parse(body, ec, {}, options);
  if (ec) return outcome(WebhookCode::kInvalidJson, "the body is not JSON: " + ec.message());

  auto mapped = source.mapping.apply(payload, WebhookRef{source.name, id});
  if (!mapped) return outcome(WebhookCode::kMappingError, mapped.status().message());

  if (mapped->messages.empty()) {
    // Nothing to ingest, so the delivery is done: remember it, and a redelivery is a duplicate.
    WebhookOutcome out = outcome(WebhookCode::kIgnored, "no rule of the mapping applies");
    out.reasons = std::move(mapped->ignored);
    if (Status s = claim.commit(WallTime(now_s * kMillisPerSecond)); !s) {
      log_line(LogLevel::kWarn, "webhook id not stored", {{"error", s.message()}});
    }
    return out;
  }
  WebhookOutcome out = outcome(WebhookCode::kAccepted,
                               std::to_string(mapped->messages.size()) + " message(s) accepted");
  out.messages = std::move(mapped->messages);
  out.claim = std::move(claim);
  return out;
}

void WebhookReceiver::visit_counters(
    const std::function<void(std::string_view, std::string_view, uint64_t)>& fn) const {
  for (const auto& source : sources_) {
    for (size_t c = 0; c < kWebhookCodeCount; ++c) {
      fn(source->name, webhook_code_name(static_cast<WebhookCode>(c)),
         source->counts[c].load(std::memory_order_relaxed));
    }
  }
  fn(kUnknownSourceLabel, webhook_code_name(WebhookCode::kUnknownSource),
     unknown_source_.load(std::memory_order_relaxed));
}

}  // namespace eddy
