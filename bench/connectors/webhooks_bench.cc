// Signed webhooks on one core: a Shopify-style order (three line items, 1 KB) verified with
// HMAC-SHA256 and mapped by the built-in shop_order mapping to one "Order Completed" message.
//
//   BM_WebhookVerify           verify_webhook alone, one secret (the HMAC and the comparison)
//   BM_WebhookVerify/rotation  two secrets and two signatures, the valid one checked last
//   BM_WebhookParse            JSON parse alone (boost::json), the floor of the next one
//   BM_WebhookParseMap         JSON parse + WebhookMapping::apply
//   BM_WebhookReceive          WebhookReceiver::receive: verify, reserve the id in an in-memory
//                              store, parse, map; the claim is dropped (released) each time

#include <benchmark/benchmark.h>

#include <boost/json/parse.hpp>
#include <string>

#include "connectors/webhooks/builtin_mappings.h"
#include "connectors/webhooks/standard_webhooks.h"
#include "connectors/webhooks/webhook_receiver.h"

namespace eddy {
namespace {

constexpr int64_t kNow = 1714644904;

const std::string kOrder = R"({
  "id": 5934862893154, "order_number": 1042, "email": "ana.silva@example.com",
  "created_at": "2024-05-02T12:15:04+02:00", "currency": "EUR",
  "subtotal_price": "87.00", "total_tax": "17.40", "total_price": "104.40",
  "financial_status": "paid",
  "customer": {"id": 7489320558690, "email": "ana.silva@example.com",
               "first_name": "Ana", "last_name": "Silva"},
  "line_items": [
    {"id": 14539385553058, "product_id": 8121234522210, "variant_id": 44512348766306,
     "sku": "TEE-BLK-M", "title": "Organic Tee", "price": "25.00", "quantity": 2},
    {"id": 14539385585826, "product_id": 8121234587746, "variant_id": 44512348831842,
     "sku": "TOTE-NAT", "title": "Canvas Tote", "price": "12.00", "quantity": 1},
    {"id": 14539385618594, "product_id": 8121234620514, "variant_id": 44512348864610,
     "sku": "MUG-01", "title": "Enamel Mug", "price": "25.00", "quantity": 1}
  ],
  "shipping_address": {"city": "Lisboa", "country_code": "PT", "zip": "1100-148"},
  "note_attributes": [], "tags": "returning,newsletter"
})";

WebhookSecret secret(const std::string& bytes) {
  return std::move(WebhookSecret::parse("whsec_" + base64_encode(bytes))).value();
}

void BM_WebhookVerify(benchmark::State& state) {
  const bool rotation = state.range(0) != 0;
  const WebhookSecret old_key = secret("the old shop secret bytes");
  const WebhookSecret new_key = secret("the new shop secret bytes");
  std::vector<WebhookSecret> secrets = {new_key};
  std::string signature = sign_webhook(new_key, "msg_1", kNow, kOrder);
  if (rotation) {
    secrets = {new_key, old_key};
    signature = sign_webhook(new_key, "msg_1", kNow, kOrder) + " " +
                sign_webhook(old_key, "msg_1", kNow, kOrder);
  }
  const std::string ts = std::to_string(kNow);
  for (auto _ : state) {
    const WebhookCheck c = verify_webhook(secrets, {"msg_1", ts, signature}, kOrder, kNow);
    benchmark::DoNotOptimize(c);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(kOrder.size()));
}
BENCHMARK(BM_WebhookVerify)->Arg(0)->Arg(1)->ArgName("rotation");

void BM_WebhookParse(benchmark::State& state) {
  for (auto _ : state) {
    boost::system::error_code ec;
    boost::json::value payload = boost::json::parse(kOrder, ec);
    benchmark::DoNotOptimize(payload);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(kOrder.size()));
}
BENCHMARK(BM_WebhookParse);

void BM_WebhookParseMap(benchmark::State& state) {
  const WebhookMapping mapping = std::move(builtin_mapping("shop_order")).value();
  for (auto _ : state) {
    boost::system::error_code ec;
    const boost::json::value payload = boost::json::parse(kOrder, ec);
    auto out = mapping.apply(payload, WebhookRef{"shop", "msg_1"});
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(kOrder.size()));
}
BENCHMARK(BM_WebhookParseMap);

void BM_WebhookReceive(benchmark::State& state) {
  const std::string key = "whsec_" + base64_encode("the new shop secret bytes");
  auto ids = std::move(WebhookIdStore::open(WebhookIdStoreSettings{}, WallTime(0))).value();
  std::vector<WebhookSourceConfig> sources = {
      {"shop", {key}, std::move(builtin_mapping("shop_order")).value()}};
  auto receiver = std::move(WebhookReceiver::create(std::move(sources), std::move(ids))).value();
  const std::string signature =
      sign_webhook(std::move(WebhookSecret::parse(key)).value(), "msg_1", kNow, kOrder);
  const std::string ts = std::to_string(kNow);
  for (auto _ : state) {
    WebhookOutcome out = receiver->receive("shop", {"msg_1", ts, signature}, kOrder, kNow);
    if (out.code != WebhookCode::kAccepted) state.SkipWithError(out.message.c_str());
    benchmark::DoNotOptimize(out.messages);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(kOrder.size()));
}
BENCHMARK(BM_WebhookReceive);

}  // namespace
}  // namespace eddy
