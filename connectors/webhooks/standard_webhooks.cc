#include "connectors/webhooks/standard_webhooks.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>

namespace eddy {

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

namespace {

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

// EVP_DecodeBlock is lenient: it skips surrounding whitespace and takes '=' anywhere as a zero
// digit ("====" decodes to bytes), so the text is checked first: alphabet characters, then at most
// two '=' at the very end.
bool is_padded_base64(std::string_view text) {
  if (text.size() % 4 != 0) return false;
  size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=')
    ++padding;
  for (size_t i = 0; i + padding < text.size(); ++i)
    if (!is_base64_char(text[i])) return false;
  return true;
}

}  // namespace

Result<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return {Errc::kInvalidArgument, "base64 length is not a multiple of 4"};
  if (!is_padded_base64(text)) return {Errc::kInvalidArgument, "not base64"};
  std::string out(3 * text.size() / 4, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return {Errc::kInvalidArgument, "not base64"};
  // EVP_DecodeBlock counts padding as zero bytes.
  size_t padding = 0;
  if (!text.empty() && text.back() == '=') ++padding;
  if (text.size() > 1 && text[text.size() - 2] == '=') ++padding;
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

Result<WebhookSecret> WebhookSecret::parse(std::string_view text) {
  constexpr std::string_view kPrefix = "whsec_";
  if (text.starts_with(kPrefix)) text.remove_prefix(kPrefix.size());
  auto key = base64_decode(text);
  if (!key) return {Errc::kInvalidArgument, "a webhook secret is 'whsec_' and base64 key bytes"};
  if (key->empty()) return {Errc::kInvalidArgument, "a webhook secret needs key bytes"};
  return WebhookSecret(std::move(key).value());
}

namespace {

std::string hmac_sha256(std::string_view key, std::string_view id, std::string_view timestamp,
                        std::string_view body) {
  std::string content;
  content.reserve(id.size() + timestamp.size() + body.size() + 2);
  content.append(id).append(".").append(timestamp).append(".").append(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(content.data()), content.size(), mac, &len);
  return std::string(reinterpret_cast<const char*>(mac), len);
}

}  // namespace

std::string sign_webhook(const WebhookSecret& secret, std::string_view id, int64_t timestamp_s,
                         std::string_view body) {
  return "v1," + base64_encode(hmac_sha256(secret.key(), id, std::to_string(timestamp_s), body));
}

const char* webhook_check_code(WebhookCheck c) {
  switch (c) {
    case WebhookCheck::kValid:
      return "valid";
    case WebhookCheck::kMissingHeaders:
      return "missing_signature_headers";
    case WebhookCheck::kBadTimestamp:
      return "bad_timestamp";
    case WebhookCheck::kTimestampTooOld:
      return "timestamp_too_old";
    case WebhookCheck::kTimestampTooNew:
      return "timestamp_too_new";
    case WebhookCheck::kBadSignature:
      return "bad_signature";
  }
  return "unknown";
}

WebhookCheck verify_webhook(const std::vector<WebhookSecret>& secrets,
                            const WebhookHeaders& headers, std::string_view body, int64_t now_s,
                            int64_t tolerance_s) {
  if (headers.id.empty() || headers.timestamp.empty() || headers.signature.empty())
    return WebhookCheck::kMissingHeaders;
  int64_t ts = 0;
  const auto* end = headers.timestamp.data() + headers.timestamp.size();
  auto [ptr, ec] = std::from_chars(headers.timestamp.data(), end, ts);
  if (ec != std::errc() || ptr != end) return WebhookCheck::kBadTimestamp;
  if (ts < now_s - tolerance_s) return WebhookCheck::kTimestampTooOld;
  if (ts > now_s + tolerance_s) return WebhookCheck::kTimestampTooNew;

  bool matched = false;
  for (const WebhookSecret& secret : secrets) {
    const std::string expected =
        base64_encode(hmac_sha256(secret.key(), headers.id, headers.timestamp, body));
    std::string_view rest = headers.signature;
    while (!rest.empty()) {
      const size_t space = rest.find(' ');
      std::string_view one = rest.substr(0, space);
      rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
      if (!one.starts_with("v1,")) continue;
      one.remove_prefix(3);
      // Every candidate is compared in full, so the time taken does not say which one matched.
      if (one.size() == expected.size() &&
          CRYPTO_memcmp(one.data(), expected.data(), expected.size()) == 0)
        matched = true;
    }
  }
  return matched ? WebhookCheck::kValid : WebhookCheck::kBadSignature;
}

}  // namespace eddy
