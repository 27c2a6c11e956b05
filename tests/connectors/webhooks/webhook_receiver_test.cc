#include "connectors/webhooks/webhook_receiver.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <map>
#include <string>
#include <vector>

#include "connectors/webhooks/builtin_mappings.h"
#include "tests/connectors/webhooks/test_data.h"

namespace eddy {
namespace {

namespace json = boost::json;
using webhooks_test::TempDir;

constexpr int64_t kNow = 1714644904;
const std::string kShopOld = "whsec_" + base64_encode("shop secret, the old one.");
const std::string kShopNew = "whsec_" + base64_encode("shop secret, the new one!");
const std::string kEmailKey = "whsec_" + base64_encode("email platform secret....");
const std::string kOrder =
    R"({"id": 42, "email": "a@example.com", "customer": {"id": 7}, "total_price": "9.90",
        "currency": "EUR", "line_items": []})";

WebhookMapping builtin(std::string_view name) {
  auto m = builtin_mapping(name);
  EXPECT_TRUE(m.is_ok()) << m.status().to_string();
  return std::move(m).value();
}

std::vector<WebhookSourceConfig> sources() {
  return {{"shop", {kShopOld, kShopNew}, builtin("shop_order")},
          {"email", {kEmailKey}, builtin("email_engagement")}};
}

std::unique_ptr<WebhookReceiver> make_receiver(std::shared_ptr<WebhookIdStore> ids = nullptr) {
  if (ids == nullptr) {
    auto store = WebhookIdStore::open(WebhookIdStoreSettings{}, WallTime(kNow * 1000));
    EXPECT_TRUE(store.is_ok());
    ids = std::move(store).value();
  }
  auto r = WebhookReceiver::create(sources(), std::move(ids));
  EXPECT_TRUE(r.is_ok()) << r.status().to_string();
  return std::move(r).value();
}

// A delivery as a sender makes it: the three headers, signed with `secret`.
struct Delivery {
  std::string id;
  std::string timestamp;
  std::string signature;
  std::string body;

  WebhookHeaders headers() const { return {id, timestamp, signature}; }
};

Delivery signed_with(const std::string& secret, std::string id, std::string body,
                     int64_t ts = kNow) {
  auto key = WebhookSecret::parse(secret);
  EXPECT_TRUE(key.is_ok());
  std::string sig = sign_webhook(*key, id, ts, body);
  return {std::move(id), std::to_string(ts), std::move(sig), std::move(body)};
}

TEST(WebhookReceiver, AnswersEveryKindOfDelivery) {
  struct Case {
    std::string name;
    std::string source;
    Delivery delivery;
    WebhookCode want;
    unsigned status;
  };
  Delivery tampered = signed_with(kShopOld, "msg_t", kOrder);
  tampered.body += " ";
  Delivery stripped = signed_with(kShopOld, "msg_s", kOrder);
  stripped.signature.clear();
  const std::vector<Case> cases = {
      {"order", "shop", signed_with(kShopOld, "msg_1", kOrder), WebhookCode::kAccepted, 202},
      {"order signed with the new key", "shop", signed_with(kShopNew, "msg_2", kOrder),
       WebhookCode::kAccepted, 202},
      {"unknown source", "shopify", signed_with(kShopOld, "msg_3", kOrder),
       WebhookCode::kUnknownSource, 404},
      {"key of another source", "shop", signed_with(kEmailKey, "msg_4", kOrder),
       WebhookCode::kBadSignature, 401},
      {"tampered body", "shop", tampered, WebhookCode::kBadSignature, 401},
      {"no signature", "shop", stripped, WebhookCode::kMissingSignatureHeaders, 401},
      {"replayed after 10 minutes", "shop", signed_with(kShopOld, "msg_5", kOrder, kNow - 600),
       WebhookCode::kTimestampTooOld, 401},
      {"from the future", "shop", signed_with(kShopOld, "msg_6", kOrder, kNow + 600),
       WebhookCode::kTimestampTooNew, 401},
      {"not JSON", "shop", signed_with(kShopOld, "msg_7", "total_price=9.90"),
       WebhookCode::kInvalidJson, 400},
      {"JSON too deep", "shop",
       signed_with(kShopOld, "msg_8", std::string(40, '[') + std::string(40, ']')),
       WebhookCode::kInvalidJson, 400},
      {"order without total", "shop", signed_with(kShopOld, "msg_9", R"({"id": 1, "email": "a"})"),
       WebhookCode::kMappingError, 400},
      {"bounce", "email",
       signed_with(kEmailKey, "msg_10", R"({"event": "bounce", "email": "a@example.com"})"),
       WebhookCode::kIgnored, 200},
      {"id too long", "shop", signed_with(kShopOld, std::string(300, 'x'), kOrder),
       WebhookCode::kBadWebhookId, 400},
  };
  auto receiver = make_receiver();
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    WebhookOutcome out = receiver->receive(c.source, c.delivery.headers(), c.delivery.body, kNow);
    EXPECT_EQ(out.code, c.want) << webhook_code_name(out.code) << ": " << out.message;
    EXPECT_EQ(out.status, c.status);
    EXPECT_EQ(out.status, webhook_code_status(out.code));
    EXPECT_EQ(out.claim.held(), c.want == WebhookCode::kAccepted);
    EXPECT_EQ(out.messages.empty(), c.want != WebhookCode::kAccepted);
    EXPECT_EQ(out.response_json().at("code"), json::value(webhook_code_name(c.want)));
  }
  // Each accepted outcome was dropped without a commit, which released its id.
  EXPECT_EQ(receiver->ids().stats().in_flight, 0u);
}

TEST(WebhookReceiver, AcceptedOrderCarriesTheMappedMessage) {
  auto receiver = make_receiver();
  const Delivery d = signed_with(kShopOld, "msg_1", kOrder);
  WebhookOutcome out = receiver->receive("shop", d.headers(), d.body, kNow);
  ASSERT_EQ(out.code, WebhookCode::kAccepted) << out.message;
  ASSERT_EQ(out.messages.size(), 1u);
  const json::object& m = out.messages[0];
  EXPECT_EQ(m.at("messageId"), json::value("shop:msg_1"));
  EXPECT_EQ(m.at("event"), json::value("Order Completed"));
  EXPECT_EQ(m.at("userId"), json::value("7"));
  EXPECT_EQ(m.at("properties").at("revenue"), json::value(9.9));
}

TEST(WebhookReceiver, MappingErrorSaysWhatIsMissing) {
  auto receiver = make_receiver();
  const Delivery d = signed_with(kShopOld, "msg_1", R"({"id": 1, "customer": {"id": 2}})");
  WebhookOutcome out = receiver->receive("shop", d.headers(), d.body, kNow);
  EXPECT_EQ(out.code, WebhookCode::kMappingError);
  EXPECT_EQ(out.message,
            "rule 0 'order_completed': properties.revenue: required field 'total_price' is "
            "missing");
  EXPECT_EQ(json::serialize(out.response_json()),
            R"({"code":"mapping_error","message":"rule 0 'order_completed': properties.revenue: )"
            R"(required field 'total_price' is missing"})");
}

TEST(WebhookReceiver, IgnoredDeliveryListsTheReasons) {
  auto receiver = make_receiver();
  const Delivery d =
      signed_with(kEmailKey, "msg_1", R"({"event": "delivered", "email": "a@example.com"})");
  WebhookOutcome out = receiver->receive("email", d.headers(), d.body, kNow);
  ASSERT_EQ(out.code, WebhookCode::kIgnored);
  const json::object body = out.response_json();
  EXPECT_EQ(body.at("reasons"),
            (json::array{"rule 0 'engagement': event: \"delivered\" at 'event' has no entry in "
                         "the lookup table"}));
}

// The redelivery of one webhook id, after each way the first delivery can end.
TEST(WebhookReceiver, RedeliveriesAreProcessedExactlyOnce) {
  struct Case {
    std::string name;
    std::string source;
    std::string secret;
    std::string first_body;
    // What the caller does with the first outcome's claim: "commit", "release" or "hold".
    std::string settle;
    std::string second_body;
    WebhookCode want_first;
    WebhookCode want_second;
  };
  const std::string bounce = R"({"event": "bounce", "email": "a@example.com"})";
  const std::vector<Case> cases = {
      {"ingest accepted", "shop", kShopOld, kOrder, "commit", kOrder, WebhookCode::kAccepted,
       WebhookCode::kDuplicate},
      {"ingest was busy", "shop", kShopOld, kOrder, "release", kOrder, WebhookCode::kAccepted,
       WebhookCode::kAccepted},
      {"still in ingest", "shop", kShopOld, kOrder, "hold", kOrder, WebhookCode::kAccepted,
       WebhookCode::kInFlight},
      {"claim dropped", "shop", kShopOld, kOrder, "drop", kOrder, WebhookCode::kAccepted,
       WebhookCode::kAccepted},
      {"ignored", "email", kEmailKey, bounce, "", bounce, WebhookCode::kIgnored,
       WebhookCode::kDuplicate},
      {"mapping error, then fixed", "shop", kShopOld, R"({"id": 1})", "", kOrder,
       WebhookCode::kMappingError, WebhookCode::kAccepted},
      {"not JSON, then fixed", "shop", kShopOld, "{", "", kOrder, WebhookCode::kInvalidJson,
       WebhookCode::kAccepted},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto receiver = make_receiver();
    const Delivery first = signed_with(c.secret, "msg_1", c.first_body);
    WebhookOutcome a = receiver->receive(c.source, first.headers(), first.body, kNow);
    ASSERT_EQ(a.code, c.want_first) << a.message;
    if (c.settle == "commit") {
      ASSERT_TRUE(a.claim.commit(WallTime(kNow * 1000)).is_ok());
    }
    if (c.settle == "release") a.claim.release();
    if (c.settle == "drop") a = WebhookOutcome();
    // The sender retries a minute later with a fresh timestamp and signature.
    const Delivery second = signed_with(c.secret, "msg_1", c.second_body, kNow + 60);
    WebhookOutcome b = receiver->receive(c.source, second.headers(), second.body, kNow + 60);
    EXPECT_EQ(b.code, c.want_second) << b.message;
  }
}

TEST(WebhookReceiver, UnverifiedDeliveriesDoNotTouchTheIdMemory) {
  auto receiver = make_receiver();
  Delivery forged = signed_with(kEmailKey, "msg_1", kOrder);
  EXPECT_EQ(receiver->receive("shop", forged.headers(), forged.body, kNow).code,
            WebhookCode::kBadSignature);
  const Delivery real = signed_with(kShopOld, "msg_1", kOrder);
  EXPECT_EQ(receiver->receive("shop", real.headers(), real.body, kNow).code,
            WebhookCode::kAccepted);
}

TEST(WebhookReceiver, IdsAreRememberedPerSource) {
  auto receiver = make_receiver();
  const Delivery order = signed_with(kShopOld, "msg_1", kOrder);
  WebhookOutcome a = receiver->receive("shop", order.headers(), order.body, kNow);
  ASSERT_TRUE(a.claim.commit(WallTime(kNow * 1000)).is_ok());
  const Delivery open = signed_with(
      kEmailKey, "msg_1", R"({"event": "open", "email": "a@example.com", "campaign_id": "c"})");
  WebhookOutcome b = receiver->receive("email", open.headers(), open.body, kNow);
  EXPECT_EQ(b.code, WebhookCode::kAccepted) << b.message;
}

TEST(WebhookReceiver, RemembersDeliveriesAcrossARestart) {
  TempDir dir("webhook-receiver");
  WebhookIdStoreSettings settings;
  settings.directory = dir.str();
  const Delivery d = signed_with(kShopOld, "msg_1", kOrder);
  {
    auto store = WebhookIdStore::open(settings, WallTime(kNow * 1000));
    ASSERT_TRUE(store.is_ok());
    auto receiver = make_receiver(std::move(store).value());
    WebhookOutcome out = receiver->receive("shop", d.headers(), d.body, kNow);
    ASSERT_EQ(out.code, WebhookCode::kAccepted);
    ASSERT_TRUE(out.claim.commit(WallTime(kNow * 1000)).is_ok());
  }
  // Three days later the sender is still retrying (it never saw our 202).
  const int64_t later = kNow + 3 * 24 * 3600;
  auto store = WebhookIdStore::open(settings, WallTime(later * 1000));
  ASSERT_TRUE(store.is_ok());
  auto receiver = make_receiver(std::move(store).value());
  const Delivery retry = signed_with(kShopOld, "msg_1", kOrder, later);
  EXPECT_EQ(receiver->receive("shop", retry.headers(), retry.body, later).code,
            WebhookCode::kDuplicate);
}

TEST(WebhookReceiver, CountsEveryOutcomePerSource) {
  auto receiver = make_receiver();
  const Delivery ok = signed_with(kShopOld, "msg_1", kOrder);
  WebhookOutcome a = receiver->receive("shop", ok.headers(), ok.body, kNow);
  ASSERT_TRUE(a.claim.commit(WallTime(kNow * 1000)).is_ok());
  (void)receiver->receive("shop", ok.headers(), ok.body, kNow);  // duplicate
  Delivery bad = ok;
  bad.body = "{}";
  (void)receiver->receive("shop", bad.headers(), bad.body, kNow);
  (void)receiver->receive("nope", ok.headers(), ok.body, kNow);
  (void)receiver->receive("../etc", ok.headers(), ok.body, kNow);

  std::map<std::string, uint64_t> counts;
  std::vector<std::string> order;
  receiver->visit_counters([&](std::string_view source, std::string_view code, uint64_t n) {
    const std::string key = std::string(source) + "/" + std::string(code);
    order.push_back(key);
    counts[key] = n;
  });
  EXPECT_EQ(counts["shop/accepted"], 1u);
  EXPECT_EQ(counts["shop/duplicate"], 1u);
  EXPECT_EQ(counts["shop/bad_signature"], 1u);
  EXPECT_EQ(counts["shop/mapping_error"], 0u);
  EXPECT_EQ(counts["email/accepted"], 0u);
  EXPECT_EQ(counts["_unknown/unknown_source"], 2u);
  // Every source reports every code, so that a metric exists before its first event.
  EXPECT_EQ(order.size(), 2 * kWebhookCodeCount + 1);
  EXPECT_EQ(order.front(), "shop/accepted");
}

TEST(WebhookReceiver, ConfigurationErrorsNameTheSource) {
  auto store = WebhookIdStore::open(WebhookIdStoreSettings{}, WallTime(0));
  ASSERT_TRUE(store.is_ok());
  std::shared_ptr<WebhookIdStore> ids = std::move(store).value();
  struct Case {
    std::string name;
    std::vector<WebhookSourceConfig> sources;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"bad name",
       {{"shop/orders", {kShopOld}, builtin("shop_order")}},
       "webhook source 'shop/orders': a name is 1-64 letters"},
      {"empty name", {{"", {kShopOld}, builtin("shop_order")}}, "webhook source '': a name"},
      {"twice",
       {{"shop", {kShopOld}, builtin("shop_order")}, {"shop", {kShopNew}, builtin("shop_order")}},
       "webhook source 'shop' is configured twice"},
      {"no secret",
       {{"shop", {}, builtin("shop_order")}},
       "webhook source 'shop': needs at least one signing secret"},
      {"bad second secret",
       {{"shop", {kShopOld, "whsec_!!"}, builtin("shop_order")}},
       "webhook source 'shop': secret 2: a webhook secret is"},
      {"no mapping",
       {{"shop", {kShopOld}, std::nullopt}},
       "webhook source 'shop': needs a mapping"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = WebhookReceiver::create(c.sources, ids);
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), Errc::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.want), std::string::npos) << r.status().message();
  }
  EXPECT_FALSE(WebhookReceiver::create(sources(), nullptr).is_ok());
  EXPECT_TRUE(WebhookReceiver::create({}, ids).is_ok());
}

}  // namespace
}  // namespace eddy
