#include "connectors/webhooks/standard_webhooks.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace eddy {
namespace {

// The reference vector of the Standard Webhooks libraries (standard-webhooks/standard-webhooks,
// libraries/go/webhook_test.go, TestWebhookSign).
constexpr std::string_view kSpecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr std::string_view kSpecId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr int64_t kSpecTimestamp = 1614265330;
constexpr std::string_view kSpecBody = R"({"test": 2432232314})";
constexpr std::string_view kSpecSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

WebhookSecret secret(std::string_view text) {
  auto s = WebhookSecret::parse(text);
  EXPECT_TRUE(s.is_ok()) << s.status().to_string();
  return std::move(s).value();
}

// Two unrelated keys, as a rotation has.
const WebhookSecret& old_key() {
  static const WebhookSecret k = secret("whsec_" + base64_encode("old key bytes, 24 bytes."));
  return k;
}
const WebhookSecret& new_key() {
  static const WebhookSecret k = secret("whsec_" + base64_encode("the new key, also 24 b.."));
  return k;
}

TEST(StandardWebhooks, SignsTheSpecReferenceVector) {
  EXPECT_EQ(sign_webhook(secret(kSpecSecret), kSpecId, kSpecTimestamp, kSpecBody), kSpecSignature);
}

TEST(StandardWebhooks, VerifiesTheSpecReferenceVector) {
  const std::string ts = std::to_string(kSpecTimestamp);
  EXPECT_EQ(verify_webhook({secret(kSpecSecret)}, {kSpecId, ts, kSpecSignature}, kSpecBody,
                           kSpecTimestamp),
            WebhookCheck::kValid);
}

TEST(StandardWebhooks, SecretWithoutPrefixIsTheSameKey) {
  EXPECT_EQ(secret(kSpecSecret.substr(6)).key(), secret(kSpecSecret).key());
}

struct VerifyCase {
  std::string name;
  std::vector<WebhookSecret> secrets;
  std::string id = "msg_1";
  std::string timestamp = "1700000000";
  std::string signature;
  std::string body = R"({"a":1})";
  int64_t now_s = 1700000000;
  WebhookCheck want;
};

std::string sig(const WebhookSecret& k, std::string_view body = R"({"a":1})",
                int64_t ts = 1700000000, std::string_view id = "msg_1") {
  return sign_webhook(k, id, ts, body);
}

TEST(StandardWebhooks, VerifyTable) {
  constexpr int64_t kT = 1700000000;
  constexpr int64_t kTol = 300;
  const std::string good = sig(old_key());
  const std::string other_body = sig(old_key(), R"({"a":2})");
  // The same signature with its last base64 digit changed: same length, so the comparison runs
  // over every byte before it fails.
  std::string flipped = good;
  flipped[flipped.size() - 2] = flipped[flipped.size() - 2] == 'A' ? 'B' : 'A';
  const std::vector<VerifyCase> cases = {
      {"good", {old_key()}, "msg_1", "1700000000", good, R"({"a":1})", kT, WebhookCheck::kValid},
      {"tampered body",
       {old_key()},
       "msg_1",
       "1700000000",
       good,
       R"({"a":2})",
       kT,
       WebhookCheck::kBadSignature},
      {"signature of another body",
       {old_key()},
       "msg_1",
       "1700000000",
       other_body,
       R"({"a":1})",
       kT,
       WebhookCheck::kBadSignature},
      {"other id",
       {old_key()},
       "msg_2",
       "1700000000",
       good,
       R"({"a":1})",
       kT,
       WebhookCheck::kBadSignature},
      {"wrong key",
       {new_key()},
       "msg_1",
       "1700000000",
       good,
       R"({"a":1})",
       kT,
       WebhookCheck::kBadSignature},
      {"same length, one digit off",
       {old_key()},
       "msg_1",
       "1700000000",
       flipped,
       R"({"a":1})",
       kT,
       WebhookCheck::kBadSignature},
      {"truncated signature",
       {old_key()},
       "msg_1",
       "1700000000",
       good.substr(0, 20),
       R"({"a":1})",
       kT,
       WebhookCheck::kBadSignature},
      {"no secrets",
       {},
       "msg_1",
       "1700000000",
       good,
       R"({"a":1})",
       kT,
       WebhookCheck::kBadSignature},
      // Rotation: the receiver holds both keys, the sender signs with either, or with both.
      {"rotation, old key signs",
       {old_key(), new_key()},
       "msg_1",
       "1700000000",
       good,
       R"({"a":1})",
       kT,
       WebhookCheck::kValid},
      {"rotation, new key signs",
       {old_key(), new_key()},
       "msg_1",
       "1700000000",
       sig(new_key()),
       R"({"a":1})",
       kT,
       WebhookCheck::kValid},
      {"two signatures, second matches",
       {new_key()},
       "msg_1",
       "1700000000",
       good + " " + sig(new_key()),
       R"({"a":1})",
       kT,
       WebhookCheck::kValid},
      {"two signatures, first matches",
       {old_key()},
       "msg_1",
       "1700000000",
       good + " " + sig(new_key()),
       R"({"a":1})",
       kT,
       WebhookCheck::kValid},
      {"two signatures, none matches",
       {old_key()},
       "msg_1",
       "1700000000",
       flipped + " " + sig(new_key()),
       R"({"a":1})",
       kT,
       WebhookCheck::kBadSignature},
      {"unknown version is skipped",
       {old_key()},
       "msg_1",
       "1700000000",
       "v2," + good.substr(3) + " " + good,
       R"({"a":1})",
       kT,
       WebhookCheck::kValid},
      {"only an unknown version",
       {old_key()},
       "msg_1",
       "1700000000",
       "v2," + good.substr(3),
       R"({"a":1})",
       kT,
       WebhookCheck::kBadSignature},
      {"no version prefix",
       {old_key()},
       "msg_1",
       "1700000000",
       good.substr(3),
       R"({"a":1})",
       kT,
       WebhookCheck::kBadSignature},
      // Tolerance edges: exactly 300 s either way is in; one second more is out.
      {"300 s old",
       {old_key()},
       "msg_1",
       "1700000000",
       good,
       R"({"a":1})",
       kT + kTol,
       WebhookCheck::kValid},
      {"301 s old",
       {old_key()},
       "msg_1",
       "1700000000",
       good,
       R"({"a":1})",
       kT + kTol + 1,
       WebhookCheck::kTimestampTooOld},
      {"300 s ahead",
       {old_key()},
       "msg_1",
       "1700000000",
       good,
       R"({"a":1})",
       kT - kTol,
       WebhookCheck::kValid},
      {"301 s ahead",
       {old_key()},
       "msg_1",
       "1700000000",
       good,
       R"({"a":1})",
       kT - kTol - 1,
       WebhookCheck::kTimestampTooNew},
      // Malformed headers.
      {"missing id",
       {old_key()},
       "",
       "1700000000",
       good,
       R"({"a":1})",
       kT,
       WebhookCheck::kMissingHeaders},
      {"missing timestamp",
       {old_key()},
       "msg_1",
       "",
       good,
       R"({"a":1})",
       kT,
       WebhookCheck::kMissingHeaders},
      {"missing signature",
       {old_key()},
       "msg_1",
       "1700000000",
       "",
       R"({"a":1})",
       kT,
       WebhookCheck::kMissingHeaders},
      {"timestamp in milliseconds is too new",
       {old_key()},
       "msg_1",
       "1700000000000",
       good,
       R"({"a":1})",
       kT,
       WebhookCheck::kTimestampTooNew},
      {"timestamp with fraction",
       {old_key()},
       "msg_1",
       "1700000000.5",
       good,
       R"({"a":1})",
       kT,
       WebhookCheck::kBadTimestamp},
      {"timestamp with space",
       {old_key()},
       "msg_1",
       " 1700000000",
       good,
       R"({"a":1})",
       kT,
       WebhookCheck::kBadTimestamp},
      {"timestamp not a number",
       {old_key()},
       "msg_1",
       "yesterday",
       good,
       R"({"a":1})",
       kT,
       WebhookCheck::kBadTimestamp},
      {"timestamp overflows",
       {old_key()},
       "msg_1",
       "99999999999999999999",
       good,
       R"({"a":1})",
       kT,
       WebhookCheck::kBadTimestamp},
      {"signature header of spaces",
       {old_key()},
       "msg_1",
       "1700000000",
       "   ",
       R"({"a":1})",
       kT,
       WebhookCheck::kBadSignature},
      {"empty body signed",
       {old_key()},
       "msg_1",
       "1700000000",
       sig(old_key(), ""),
       "",
       kT,
       WebhookCheck::kValid},
  };
  for (const VerifyCase& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(verify_webhook(c.secrets, {c.id, c.timestamp, c.signature}, c.body, c.now_s, kTol),
              c.want);
  }
}

TEST(StandardWebhooks, CheckCodesAreStable) {
  EXPECT_STREQ(webhook_check_code(WebhookCheck::kBadSignature), "bad_signature");
  EXPECT_STREQ(webhook_check_code(WebhookCheck::kTimestampTooOld), "timestamp_too_old");
  EXPECT_STREQ(webhook_check_code(WebhookCheck::kTimestampTooNew), "timestamp_too_new");
  EXPECT_STREQ(webhook_check_code(WebhookCheck::kMissingHeaders), "missing_signature_headers");
}

TEST(StandardWebhooks, Base64RoundTripsEveryLength) {
  std::string bytes;
  for (int n = 0; n < 40; ++n) {
    SCOPED_TRACE(n);
    auto back = base64_decode(base64_encode(bytes));
    ASSERT_TRUE(back.is_ok()) << back.status().to_string();
    EXPECT_EQ(*back, bytes);
    bytes.push_back(static_cast<char>(n * 37));
  }
}

TEST(StandardWebhooks, Base64RefusesWhatIsNotPaddedStandardBase64) {
  // OpenSSL's decoder takes most of these; a secret written wrong must fail to load instead of
  // becoming some other key.
  for (std::string_view bad : {"====", "A===", "=AAA", "AA=A", "AAA", " AAA", "AAA ", "AA-_",
                               "AA\nA", "QUJD====", "QQ==QQ=="}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(base64_decode(bad).is_ok());
  }
  EXPECT_EQ(base64_decode("QQ==").value(), "A");
  EXPECT_EQ(base64_decode("QUI=").value(), "AB");
  EXPECT_EQ(base64_decode("").value(), "");
}

TEST(StandardWebhooks, SecretParseErrors) {
  for (std::string_view bad : {"whsec_", "", "whsec_not base64!", "whsec_===="}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(WebhookSecret::parse(bad).is_ok());
  }
}

}  // namespace
}  // namespace eddy
