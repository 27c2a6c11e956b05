// Whole-process tests of signed inbound webhooks (docs/webhooks.md) against the real binary.

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "connectors/webhooks/standard_webhooks.h"
#include "tests/e2e/eddy_server.h"

namespace eddy::e2e {
namespace {

// Two secrets for the shop: the sender is half-way through a key rotation.
constexpr const char* kOldSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr const char* kNewSecret = "whsec_c2VjcmV0IG9mIHRoZSBlbWFpbCBwbGF0Zm9ybQ==";

std::string config_file(const std::string& dir) {
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/eddy.toml";
  std::ofstream(path) << "[webhooks.sources.shop]\nsecrets = [\"" << kOldSecret << "\", \""
                      << kNewSecret << "\"]\nmapping = \"shop_order\"\n";
  return path;
}

int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string order(const std::string& customer, const std::string& id, double total) {
  return R"({"id":)" + id + R"(,"email":"buyer@example.org","created_at":"2026-11-25T10:00:00Z",)" +
         R"("currency":"EUR","total_price":")" + std::to_string(total) + R"(","customer":{"id":)" +
         customer +
         R"(},"line_items":[{"product_id":1,"title":"Tee","price":"10.00","quantity":1}]})";
}

HttpReply deliver(HttpClient& c, const std::string& source, const std::string& id,
                  const std::string& body, const char* secret, int64_t ts = now_s()) {
  auto key = WebhookSecret::parse(secret);
  return c.post("/v1/webhooks/" + source, body,
                {{"webhook-id", id},
                 {"webhook-timestamp", std::to_string(ts)},
                 {"webhook-signature", sign_webhook(*key, id, ts, body)}});
}

double monetary(HttpClient& c, const std::string& customer) {
  HttpReply r = c.get("/v1/customers/" + customer);
  if (r.status != 200) return -1;
  return boost::json::parse(r.body).at("rfm").at("monetary").to_number<double>();
}

std::string code_of(const HttpReply& r) {
  boost::system::error_code ec;
  auto v = boost::json::parse(r.body, ec);
  if (ec || !v.is_object() || !v.as_object().contains("code")) return "";
  return std::string(v.at("code").as_string());
}

TEST(Webhooks, SignedDeliveriesAreVerifiedMappedAndNeverProcessedTwice) {
  const std::string dir = temp_dir("webhooks-config");
  const std::string config = config_file(dir);
  // The data directory is the test's own, so that a second process can start on it.
  const std::vector<std::string> args = {"--config", config, "--data-dir", dir + "/data"};
  auto server = std::make_unique<EddyServer>("webhooks", args);
  ASSERT_TRUE(server->started()) << server->process().output();
  HttpClient c = server->client();

  HttpReply good = deliver(c, "shop", "msg_1", order("1001", "501", 40), kOldSecret);
  EXPECT_EQ(good.status, 200) << good.body;
  ASSERT_TRUE(eventually([&] { return monetary(c, "1001") == 40; }));

  // The new key of a rotation is as good as the old one.
  EXPECT_EQ(deliver(c, "shop", "msg_2", order("1001", "502", 2), kNewSecret).status, 200);
  // A replayed id is acknowledged again and not processed.
  HttpReply again = deliver(c, "shop", "msg_1", order("1001", "501", 40), kOldSecret);
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(code_of(again), "duplicate") << again.body;
  EXPECT_EQ(deliver(c, "shop", "msg_3", order("1001", "503", 1), kOldSecret).status, 200);
  ASSERT_TRUE(eventually([&] { return monetary(c, "1001") == 43; }));

  const std::string body = order("1002", "600", 5);
  HttpReply forged =
      deliver(c, "shop", "msg_4", body, "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
  EXPECT_EQ(forged.status, 401);
  EXPECT_EQ(code_of(forged), "bad_signature") << forged.body;
  HttpReply stale = deliver(c, "shop", "msg_5", body, kOldSecret, now_s() - 3600);
  EXPECT_EQ(stale.status, 401);
  EXPECT_EQ(code_of(stale), "timestamp_too_old") << stale.body;
  HttpReply ahead = deliver(c, "shop", "msg_6", body, kOldSecret, now_s() + 3600);
  EXPECT_EQ(code_of(ahead), "timestamp_too_new") << ahead.body;
  EXPECT_EQ(deliver(c, "nobody", "msg_7", body, kOldSecret).status, 404);
  EXPECT_EQ(c.post("/v1/webhooks/shop", body).status, 401) << "no signature headers";

  // The memory of delivered ids survives a restart: the sender's retry after it is not processed.
  ASSERT_EQ(server->stop(), 0);
  server = std::make_unique<EddyServer>("webhooks-again", args);
  ASSERT_TRUE(server->started()) << server->process().output();
  HttpClient after = server->client();
  HttpReply retried = deliver(after, "shop", "msg_3", order("1001", "503", 1), kOldSecret);
  EXPECT_EQ(retried.status, 200) << retried.body;
  EXPECT_EQ(code_of(retried), "duplicate") << retried.body;
  EXPECT_EQ(server->stop(), 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace eddy::e2e
