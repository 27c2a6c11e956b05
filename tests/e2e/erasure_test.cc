// Whole-process tests of customer erasure: DELETE /v1/customers/{id} forgets the customer and every
// identifier linked to it at once, a restart does not bring them back, and once the next
// checkpoint completes no file in the data directory holds any of their ids.

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "tests/e2e/eddy_server.h"

namespace eddy::e2e {
namespace {

namespace fs = std::filesystem;

constexpr const char* kVisitor = "zz-visitor-erased";
constexpr const char* kUser = "zz-user-erased";
constexpr const char* kEmail = "zz.erased@example.com";

std::string anon(const std::string& event, const std::string& id, const std::string& props) {
  return std::string(R"({"anonymousId":")") + kVisitor + R"(","event":")" + event +
         R"(","messageId":")" + id + R"(","properties":)" + props + "}";
}

std::string user_track(const std::string& user, const std::string& event, const std::string& id,
                       const std::string& props) {
  return R"({"userId":")" + user + R"(","event":")" + event + R"(","messageId":")" + id +
         R"(","properties":)" + props + "}";
}

// A cart addition by a shopper who consents to marketing, so that a reminder would be sent. Its
// time is a second from now: at the same millisecond as the order, it could count as before it.
std::string consenting(std::string body) {
  const auto later = std::chrono::system_clock::now() + std::chrono::seconds(1);
  const std::time_t seconds = std::chrono::system_clock::to_time_t(later);
  char iso[32];
  std::strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&seconds));
  body.pop_back();
  return body + R"(,"timestamp":")" + iso +
         R"(","context":{"consent":{"categoryPreferences":{"Marketing":true}}}})";
}

class Erasure : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = temp_dir("erasure"); }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::unique_ptr<EddyServer> start() {
    // Carts are reported 5 s after their last change: long enough for the erasure to come first.
    return std::make_unique<EddyServer>(
        "erasure",
        std::vector<std::string>{"--checkpoint-interval-ms", "0", "--wal-segment-bytes", "65536",
                                 "--cart-timeout-ms", "5000"},
        dir_);
  }
  std::string dir_;
};

TEST_F(Erasure, LeavesNoTraceInQueriesTriggersRestartsOrTheNextCheckpointsFiles) {
  {
    auto server = start();
    ASSERT_TRUE(server->started()) << server->process().output();
    HttpClient c = server->client();
    ASSERT_EQ(c.post("/v1/track", anon("Product Viewed", "e1", R"({"product_id":"p1"})")).status,
              200);
    ASSERT_EQ(c.post("/v1/identify", std::string(R"({"anonymousId":")") + kVisitor +
                                         R"(","userId":")" + kUser + R"(","traits":{"email":")" +
                                         kEmail + R"("},"messageId":"e2"})")
                  .status,
              200);
    ASSERT_EQ(
        c.post("/v1/track", user_track(kUser, "Order Completed", "e3", R"({"revenue":40})")).status,
        200);
    ASSERT_EQ(c.post("/v1/track",
                     consenting(anon("Product Added", "e4", R"({"product_id":"p2","price":9})")))
                  .status,
              200);
    for (const char* id : {"k1", "k2"}) {
      ASSERT_EQ(c.post("/v1/track", consenting(user_track("keep-me", "Product Added", id,
                                                          R"({"product_id":"p2","price":9})")))
                    .status,
                200);
    }
    ASSERT_TRUE(eventually([&] {
      HttpReply r = c.get(std::string("/v1/customers/") + kVisitor);
      if (r.status != 200) return false;
      auto p = json_of(r);
      return p.at("customer_id") == kUser && p.at("cart").at("open").as_bool() &&
             p.at("rfm").at("frequency").to_number<int64_t>() == 1;
    })) << c.get(std::string("/v1/customers/") + kVisitor).body;
    ASSERT_EQ(c.post("/v1/admin/checkpoint", "").status, 200);
    ASSERT_FALSE(files_holding(dir_, kUser).empty()) << "the checkpoint holds the customer";

    HttpReply erased = c.request("DELETE", std::string("/v1/customers/") + kVisitor);
    ASSERT_EQ(erased.status, 202) << erased.body;
    auto receipt = json_of(erased);
    EXPECT_TRUE(receipt.at("receipt_id").as_string().starts_with("erasure_")) << erased.body;
    EXPECT_EQ(receipt.at("customer_id"), kUser);
    EXPECT_EQ(receipt.at("identities_erased").to_number<int64_t>(), 2);
    for (const std::string id : {kUser, kVisitor}) {
      EXPECT_TRUE(eventually([&] { return c.get("/v1/customers/" + id).status == 404; })) << id;
      EXPECT_EQ(c.get("/v1/customers/" + id + "/identities").status, 404) << id;
      EXPECT_EQ(c.get("/v1/customers/" + id + "/segments").status, 404) << id;
    }
    // The other shopper's cart is reported; the erased one's, armed as long, never is.
    ASSERT_TRUE(eventually([&] {
      HttpReply r = c.get("/v1/customers/keep-me");
      return r.status == 200 && json_of(r).at("cart").at("abandoned_count").as_int64() == 1;
    }));
    const std::string triggers = dir_ + "/out/triggers.ndjson";
    ASSERT_TRUE(file_holds(triggers, "keep-me"));
    EXPECT_FALSE(file_holds(triggers, kUser)) << "no reminder for the erased customer";
    server->crash();  // before any checkpoint completes the erasure
  }
  {
    auto server = start();
    ASSERT_TRUE(server->started()) << server->process().output();
    HttpClient c = server->client();
    EXPECT_EQ(c.get(std::string("/v1/customers/") + kUser).status, 404) << "not resurrected";
    EXPECT_EQ(c.get(std::string("/v1/customers/") + kVisitor).status, 404);
    EXPECT_EQ(c.get("/v1/customers/keep-me").status, 200);
    const std::string metrics = c.get("/metrics").body;
    EXPECT_NE(metrics.find("eddy_erasures_pending 1"), std::string::npos) << metrics;

    HttpReply taken = c.post("/v1/admin/checkpoint", "");
    ASSERT_EQ(taken.status, 200) << taken.body;
    EXPECT_EQ(json_of(taken).at("erasures_purged").to_number<int64_t>(), 1);
    for (const char* text : {kUser, kVisitor, kEmail})
      EXPECT_EQ(files_holding(dir_, text), std::vector<std::string>{}) << text;
    EXPECT_FALSE(files_holding(dir_, "keep-me").empty()) << "the others stay";

    // The same id later is a new customer, who starts from nothing.
    ASSERT_EQ(
        c.post("/v1/track", user_track(kUser, "Product Viewed", "e9", R"({"product_id":"p1"})"))
            .status,
        200);
    EXPECT_TRUE(eventually([&] {
      HttpReply r = c.get(std::string("/v1/customers/") + kUser);
      return r.status == 200 && json_of(r).at("rfm").at("frequency").to_number<int64_t>() == 0;
    }));
    EXPECT_EQ(server->stop(), 0) << server->process().output();
  }
}

// A customer with more links than its profile lists (100): the listing and the erasure search the
// identity stage for the rest, so that none of them is left out, stays linked or stays in a file.
TEST_F(Erasure, FindsAndErasesLinksBeyondTheProfilesList) {
  constexpr int kLinks = 130;
  auto server = start();
  ASSERT_TRUE(server->started()) << server->process().output();
  HttpClient c = server->client();
  std::string batch = R"({"batch":[)";
  for (int i = 0; i < kLinks; ++i) {
    if (i > 0) batch += ",";
    batch += R"({"type":"identify","anonymousId":"zz-many-anon-)" + std::to_string(i) +
             R"(","userId":"zz-many-user","messageId":"many-)" + std::to_string(i) + R"("})";
  }
  batch += "]}";
  HttpReply taken = c.post("/v1/batch", batch);
  ASSERT_EQ(taken.status, 200) << taken.body;
  // The listing finds the links the profile does not keep.
  ASSERT_TRUE(eventually([&] {
    HttpReply r = c.get("/v1/customers/zz-many-user/identities");
    return r.status == 200 &&
           json_of(r).at("identities").as_array().size() == static_cast<size_t>(kLinks + 1);
  })) << c.get("/v1/customers/zz-many-user/identities").body;
  auto listed = json_of(c.get("/v1/customers/zz-many-anon-3/identities"));
  EXPECT_EQ(listed.at("customer_id"), "zz-many-user");
  EXPECT_EQ(listed.at("unlisted").to_number<int64_t>(), 0);
  std::set<std::string> ids;
  for (const auto& id : listed.at("identities").as_array())
    ids.insert(std::string(id.as_string()));
  for (int i = 0; i < kLinks; ++i)
    EXPECT_TRUE(ids.contains("zz-many-anon-" + std::to_string(i))) << i;

  HttpReply erased = c.request("DELETE", "/v1/customers/zz-many-anon-7");
  ASSERT_EQ(erased.status, 202) << erased.body;
  auto receipt = json_of(erased);
  EXPECT_EQ(receipt.at("customer_id"), "zz-many-user");
  EXPECT_EQ(receipt.at("identities_erased").to_number<int64_t>(), kLinks + 1) << erased.body;
  EXPECT_EQ(receipt.at("unlisted_identities").to_number<int64_t>(), kLinks - 100);
  EXPECT_EQ(receipt.at("identities_left").to_number<int64_t>(), 0);
  for (int i = 0; i < kLinks; ++i) {
    const std::string id = "zz-many-anon-" + std::to_string(i);
    EXPECT_TRUE(eventually([&] { return c.get("/v1/customers/" + id).status == 404; })) << id;
  }
  EXPECT_EQ(c.get("/v1/customers/zz-many-user").status, 404);
  ASSERT_EQ(c.post("/v1/admin/checkpoint", "").status, 200);
  EXPECT_EQ(files_holding(dir_, "zz-many-"), std::vector<std::string>{});
  EXPECT_EQ(server->stop(), 0) << server->process().output();
}

TEST_F(Erasure, AnUnknownCustomerIsNotFound) {
  auto server = start();
  ASSERT_TRUE(server->started()) << server->process().output();
  HttpReply r = server->client().request("DELETE", "/v1/customers/nobody");
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(json_of(r).at("code"), "unknown_customer");
  EXPECT_EQ(server->stop(), 0);
}

}  // namespace
}  // namespace eddy::e2e
