// Whole-process tests of the HTTP surface: the real eddy binary on an ephemeral loopback port.

#include <gtest/gtest.h>

#include <zlib.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/connectors/http/raw_client.h"
#include "tests/e2e/eddy_server.h"

namespace eddy::e2e {
namespace {

using test::RawClient;

std::string track(const std::string& user, const std::string& event, const std::string& id,
                  const std::string& properties = "{}") {
  return R"({"userId":")" + user + R"(","event":")" + event + R"(","messageId":")" + id +
         R"(","properties":)" + properties + "}";
}

// Waits until the customer's profile satisfies `check` (effects reach workers after the ack).
template <typename Check>
bool profile_eventually(HttpClient& c, const std::string& id, Check check) {
  return eventually([&] {
    HttpReply r = c.get("/v1/customers/" + id);
    return r.status == 200 && check(json_of(r));
  });
}

class HttpApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new EddyServer("http-api");
    ASSERT_TRUE(server_->started()) << server_->process().output();
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(server_->stop(), 0) << server_->process().output();
    delete server_;
    server_ = nullptr;
  }
  HttpClient client() { return server_->client(); }
  static EddyServer* server_;
};
EddyServer* HttpApi::server_ = nullptr;

TEST_F(HttpApi, EverySegmentCallIsAcceptedAndReachesTheProfile) {
  HttpClient c = client();
  const std::pair<std::string, std::string> calls[] = {
      {"/v1/identify", R"({"userId":"calls","traits":{"email":"a@b.c"},"messageId":"c1"})"},
      {"/v1/page", R"({"userId":"calls","name":"Home","messageId":"c2"})"},
      {"/v1/screen", R"({"userId":"calls","name":"Cart","messageId":"c3"})"},
      {"/v1/group", R"({"userId":"calls","groupId":"g1","messageId":"c4"})"},
      {"/v1/alias", R"({"userId":"calls","previousId":"anon-1","messageId":"c5"})"},
      {"/v1/track", track("calls", "Product Viewed", "c6", R"({"product_id":"p1","price":5})")},
  };
  for (const auto& [route, body] : calls) {
    SCOPED_TRACE(route);
    HttpReply r = c.post(route, body);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body, R"({"success":true})");
  }
  EXPECT_TRUE(profile_eventually(c, "calls", [](const boost::json::object& p) {
    return p.contains("counters") &&
           p.at("counters").as_object().at("product_views_7d").to_number<int64_t>() == 1;
  }));
}

TEST_F(HttpApi, ACustomerProfileHasTheContractsFields) {
  HttpClient c = client();
  ASSERT_EQ(
      c.post("/v1/track", track("u42", "Order Completed", "p1", R"({"revenue":123.45})")).status,
      200);
  HttpReply r;
  ASSERT_TRUE(eventually([&] {
    r = c.get("/v1/customers/u42");
    return r.status == 200;
  }));
  auto p = json_of(r);
  EXPECT_EQ(p.at("id"), "u42");
  for (const char* field : {"recency_days", "frequency", "monetary", "r", "f", "m", "segment"})
    EXPECT_TRUE(p.at("rfm").as_object().contains(field)) << field;
  for (const char* field : {"lifecycle", "sessions", "counters", "segments"})
    EXPECT_TRUE(p.contains(field)) << field;
  EXPECT_EQ(p.at("rfm").at("frequency").to_number<int64_t>(), 1);
  EXPECT_DOUBLE_EQ(p.at("rfm").at("monetary").to_number<double>(), 123.45);
  EXPECT_EQ(c.get("/v1/customers/nobody").status, 404);
  EXPECT_EQ(json_of(c.get("/v1/customers/nobody")).at("code"), "unknown_customer");
}

// An anonymous visitor browses and fills a cart, then signs in: the visitor's profile becomes the
// user's, and any of the two ids answers for the one customer.
TEST_F(HttpApi, AnAnonymousVisitorWhoSignsInBecomesOneCustomer) {
  HttpClient c = client();
  const auto anon = [](const std::string& event, const std::string& id,
                       const std::string& properties) {
    return R"({"anonymousId":"visitor-1","event":")" + event + R"(","messageId":")" + id +
           R"(","properties":)" + properties + "}";
  };
  ASSERT_EQ(c.post("/v1/track", anon("Product Viewed", "ir1", R"({"product_id":"p1"})")).status,
            200);
  ASSERT_EQ(
      c.post("/v1/track", anon("Product Added", "ir2", R"({"product_id":"p1","price":9})")).status,
      200);
  ASSERT_EQ(
      c.post("/v1/identify", R"({"anonymousId":"visitor-1","userId":"buyer-1","messageId":"ir3"})")
          .status,
      200);
  // Sent without the user id after sign-in, as an old tab would: it still lands on the user.
  ASSERT_EQ(c.post("/v1/track", anon("Product Viewed", "ir4", R"({"product_id":"p2"})")).status,
            200);
  const auto merged = [](const boost::json::object& p) {
    return p.at("customer_id") == "buyer-1" &&
           p.at("counters").at("product_views_7d").to_number<int64_t>() == 2 &&
           p.at("cart").at("open").as_bool();
  };
  EXPECT_TRUE(profile_eventually(c, "buyer-1", merged));
  EXPECT_TRUE(profile_eventually(c, "visitor-1", merged)) << "the anonymous id answers too";
  auto ids = json_of(c.get("/v1/customers/visitor-1/identities"));
  EXPECT_EQ(ids.at("customer_id"), "buyer-1");
  EXPECT_EQ(boost::json::serialize(ids.at("identities")), R"(["buyer-1","visitor-1"])");

  // A second user claiming the same visitor is a conflict: counted, and nothing merges.
  ASSERT_EQ(
      c.post("/v1/identify", R"({"anonymousId":"visitor-1","userId":"buyer-2","messageId":"ir5"})")
          .status,
      200);
  EXPECT_TRUE(eventually([&] {
    const std::string metrics = c.get("/metrics").body;
    const size_t at = metrics.find(R"(side_output_events_total{output="identity_conflicts",)");
    return at != std::string::npos &&
           metrics.substr(at, metrics.find('\n', at) - at).ends_with("} 1");
  }));
  EXPECT_EQ(json_of(c.get("/v1/customers/visitor-1")).at("customer_id"), "buyer-1");
  EXPECT_EQ(c.get("/v1/customers/nobody/identities").status, 404);
}

TEST_F(HttpApi, ABatchWithSomeBadEventsTakesTheGoodOnesAndNamesTheBad) {
  HttpClient c = client();
  const std::string body =
      R"({"batch":[{"type":"track",)" + track("batch1", "Product Viewed", "b1").substr(1) + "," +
      R"({"type":"track","event":"Product Viewed","messageId":"b2"})" + "," +
      R"({"type":"track","userId":"batch1","event":"Product Viewed","messageId":"b3"})" + R"(]})";
  HttpReply r = c.post("/v1/batch", body);
  ASSERT_EQ(r.status, 200) << r.body;
  auto o = json_of(r);
  ASSERT_TRUE(o.contains("rejected")) << r.body;
  const auto& rejected = o.at("rejected").as_array();
  ASSERT_EQ(rejected.size(), 1u) << r.body;
  EXPECT_EQ(rejected[0].at("index").to_number<int64_t>(), 1);
  EXPECT_TRUE(rejected[0].as_object().contains("code"));
  EXPECT_TRUE(rejected[0].as_object().contains("message"));
}

TEST_F(HttpApi, ADuplicateMessageIdIsAcknowledgedButCountedOnce) {
  HttpClient c = client();
  const std::string order = track("dup", "Order Completed", "dup-1", R"({"revenue":10})");
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(c.post("/v1/track", order).status, 200);
  ASSERT_EQ(
      c.post("/v1/track", track("dup", "Order Completed", "dup-2", R"({"revenue":5})")).status,
      200);
  // The second distinct order is the signal that the duplicates before it have been handled.
  ASSERT_TRUE(profile_eventually(c, "dup", [](const boost::json::object& p) {
    return p.at("rfm").at("monetary").to_number<double>() >= 15;
  }));
  auto p = json_of(c.get("/v1/customers/dup"));
  EXPECT_EQ(p.at("rfm").at("frequency").to_number<int64_t>(), 2);
  EXPECT_DOUBLE_EQ(p.at("rfm").at("monetary").to_number<double>(), 15);
}

TEST_F(HttpApi, BadRequestsGetAClearErrorAndNoCrash) {
  HttpClient c = client();
  struct Case {
    std::string route, body;
    int status;
    std::string code;
  };
  std::string deep;
  for (int i = 0; i < 100; ++i)
    deep += "[";
  const Case cases[] = {
      {"/v1/track", "{not json", 400, "malformed_json"},
      {"/v1/track", R"({"userId":"x","event":"E","properties":{"a":)" + deep + "}}", 400,
       "json_too_deep"},
      {"/v1/track",
       R"({"userId":"x","event":"E","properties":{"pad":")" + std::string(40000, 'a') + R"("}})",
       413, ""},
      {"/v1/batch", R"({"batch":[)" + std::string(600 * 1024, ' ') + "]}", 413, ""},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.route + " " + k.body.substr(0, 40));
    HttpReply r = c.post(k.route, k.body);
    EXPECT_EQ(r.status, k.status) << r.body.substr(0, 300);
    auto o = json_of(r);
    EXPECT_TRUE(o.contains("code")) << r.body.substr(0, 300);
    EXPECT_TRUE(o.contains("message")) << r.body.substr(0, 300);
    if (!k.code.empty()) {
      EXPECT_EQ(o["code"], k.code.c_str()) << r.body;
    }
  }
  EXPECT_EQ(c.get("/healthz").status, 200) << "still serving";
}

TEST_F(HttpApi, BulkNdjsonReportsLineNumbers) {
  HttpClient c = client();
  const std::string body = track("bulk1", "Product Viewed", "n1") + "\n" + "{broken\n" +
                           track("bulk1", "Product Viewed", "n3") + "\n";
  HttpReply r = c.post("/v1/events", body, {{"Content-Type", "application/x-ndjson"}});
  ASSERT_EQ(r.status, 200) << r.body;
  auto o = json_of(r);
  ASSERT_TRUE(o.contains("rejected")) << r.body;
  EXPECT_EQ(o.at("rejected").as_array()[0].at("line").to_number<int64_t>(), 2) << r.body;
  EXPECT_TRUE(profile_eventually(c, "bulk1", [](const boost::json::object& p) {
    return p.at("counters").at("product_views_7d").to_number<int64_t>() == 2;
  }));
}

TEST_F(HttpApi, GzipBodiesAreAccepted) {
  HttpClient c = client();
  const std::string plain = track("gz", "Product Viewed", "gz-1");
  std::string packed(compressBound(plain.size()) + 32, '\0');
  z_stream z{};
  ASSERT_EQ(deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY),
            Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  z.avail_in = static_cast<uInt>(plain.size());
  z.next_out = reinterpret_cast<Bytef*>(packed.data());
  z.avail_out = static_cast<uInt>(packed.size());
  ASSERT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  packed.resize(z.total_out);
  deflateEnd(&z);
  HttpReply r = c.post("/v1/track", packed, {{"Content-Encoding", "gzip"}});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(c.post("/v1/track", "xx", {{"Content-Encoding", "br"}}).status, 415);
}

TEST_F(HttpApi, SegmentsAreDefinedListedPagedAndDeleted) {
  HttpClient c = client();
  for (int i = 0; i < 25; ++i) {
    ASSERT_EQ(c.post("/v1/track", track("pager" + std::to_string(i), "Order Completed",
                                        "pg" + std::to_string(i), R"({"revenue":1})"))
                  .status,
              200);
  }
  HttpReply put =
      c.request("PUT", "/v1/segments/pagers", R"({"enter":"rfm.frequency >= 1","min_dwell":"1h"})");
  ASSERT_EQ(put.status, 200) << put.body;
  HttpReply bad = c.request("PUT", "/v1/segments/broken", R"({"enter":"rfm.m >= "})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("at 9"), std::string::npos) << bad.body;

  // Paging walks every member once.
  std::set<std::string> seen;
  ASSERT_TRUE(eventually([&] {
    seen.clear();
    std::string cursor;
    for (int page = 0; page < 100; ++page) {
      auto o = json_of(c.get("/v1/segments/pagers/members?limit=4" +
                             (cursor.empty() ? "" : "&cursor=" + cursor)));
      if (!o.contains("members")) return false;
      for (const auto& m : o.at("members").as_array()) {
        std::string key(m.as_string());
        if (key.starts_with("pager") && !seen.insert(key).second) return false;
      }
      if (o.at("next_cursor").is_null()) break;
      cursor = std::string(o.at("next_cursor").as_string());
    }
    return seen.size() == 25;
  }));
  auto list = json_of(c.get("/v1/segments"));
  bool listed = false;
  for (const auto& s : list.at("segments").as_array())
    listed = listed || s.at("id") == "pagers";
  EXPECT_TRUE(listed) << boost::json::serialize(list);
  EXPECT_EQ(c.get("/v1/customers/pager3/segments").status, 200);
  EXPECT_EQ(c.request("DELETE", "/v1/segments/pagers").status, 200);
  EXPECT_EQ(c.request("DELETE", "/v1/segments/pagers").status, 404);
  EXPECT_EQ(c.get("/v1/segments/pagers/members").status, 404);
}

TEST_F(HttpApi, AChangeStreamSeesTheEnterThatAnIngestCauses) {
  HttpClient c = client();
  ASSERT_EQ(c.request("PUT", "/v1/segments/streamed", R"({"enter":"rfm.monetary >= 500"})").status,
            200);
  RawClient sse(server_->port());
  sse.send("GET /v1/segments/streamed/changes HTTP/1.1\r\nHost: x\r\n\r\n");
  sse.read_until([](const std::string& s) { return s.find(": connected") != std::string::npos; },
                 std::chrono::seconds(10));
  ASSERT_NE(sse.received().find("text/event-stream"), std::string::npos) << sse.received();
  ASSERT_EQ(
      c.post("/v1/track", track("big", "Order Completed", "big-1", R"({"revenue":900})")).status,
      200);
  const std::string got = sse.read_until(
      [](const std::string& s) { return s.find("\"customer\":\"big\"") != std::string::npos; },
      std::chrono::seconds(20));
  EXPECT_NE(got.find("event: enter\ndata: "), std::string::npos) << got;
  EXPECT_NE(got.find("\"segment\":\"streamed\""), std::string::npos) << got;
}

TEST_F(HttpApi, OperationsRoutesAnswer) {
  HttpClient c = client();
  EXPECT_EQ(c.get("/healthz").status, 200);
  EXPECT_EQ(c.get("/readyz").status, 200);
  HttpReply m = c.get("/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.headers["content-type"].find("text/plain; version=0.0.4"), std::string::npos);
  for (const char* name : {"eddy_http_requests_total", "eddy_http_request_duration_seconds_bucket",
                           "eddy_ingest_events_total", "eddy_engine_metrics_available",
                           "eddy_source_watermark_lag_seconds", "eddy_worker_inbox_events",
                           "eddy_segment_change_delay_seconds_bucket"})
    EXPECT_NE(m.body.find(name), std::string::npos) << name;
  // Prometheus's own checker finds nothing to complain about in a real scrape.
  const std::string file = server_->data_dir() + "/scrape.prom";
  std::ofstream(file) << m.body;
  FILE* pipe = ::popen(("/usr/bin/promtool check metrics < '" + file + "' 2>&1").c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string complaints;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;)
    complaints.append(buf, n);
  EXPECT_EQ(::pclose(pipe), 0) << complaints;
  EXPECT_EQ(complaints, "");
  HttpReply doc = c.get("/openapi.json");
  EXPECT_EQ(doc.status, 200);
  EXPECT_EQ(json_of(doc).at("openapi"), "3.0.3");
}

TEST_F(HttpApi, RequestSmugglingShapesAreRefused) {
  const char* shapes[] = {
      "POST /v1/track HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: "
      "chunked\r\n\r\n0\r\n\r\n",
      "POST /v1/track HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: "
      "5\r\n\r\n0\r\n\r\n",
      "POST /v1/track HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
      "POST /v1/track HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      "POST /v1/track HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}x",
  };
  for (const char* shape : shapes) {
    SCOPED_TRACE(shape);
    RawClient raw(server_->port());
    raw.send(shape);
    const std::string r = raw.read_to_close();
    EXPECT_EQ(r.find("HTTP/1.1 400"), 0u) << r;
    EXPECT_TRUE(raw.closed());
  }
}

TEST_F(HttpApi, AThousandIdleConnectionsDoNotStopService) {
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < 1000; ++i)
    idle.push_back(std::make_unique<RawClient>(server_->port()));
  HttpClient c = client();
  EXPECT_EQ(c.get("/healthz").status, 200);
  EXPECT_EQ(c.post("/v1/track", track("idle", "Product Viewed", "idle-1")).status, 200);
}

TEST(HttpEdge, TrickledHeadersAreCutOffWhileOthersAreServed) {
  EddyServer server("slowloris", {"--http-header-timeout-ms", "500"});
  ASSERT_TRUE(server.started());
  RawClient slow(server.port());
  slow.send("POST /v1/track HTTP/1.1\r\n");
  HttpClient c = server.client();
  bool cut = false;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 100 && !cut; ++i) {
    cut = !slow.send("X") || slow.closed();
    slow.read_until([](const std::string&) { return false; }, std::chrono::milliseconds(100));
    cut = cut || slow.closed();
    if (i == 1) {
      EXPECT_EQ(c.get("/healthz").status, 200);
    }
  }
  EXPECT_TRUE(cut);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

// Two shoppers leave carts; only the one whose consent object says yes to marketing gets the
// reminder, the other's is withheld and counted. Carts time out after a second here, and idle
// input lets the clock move the watermark past that.
TEST(HttpEdge, ACartReminderGoesOnlyToAShopperWhoConsented) {
  EddyServer server("consent", {"--cart-timeout-ms", "1000"});
  ASSERT_TRUE(server.started()) << server.process().output();
  HttpClient c = server.client();
  const auto add = [](const std::string& user, const std::string& consent) {
    return R"({"userId":")" + user +
           R"(","event":"Product Added","properties":{"product_id":"p1","price":30},)"
           R"("context":{"consent":{"categoryPreferences":{"Marketing":)" +
           consent + "}}}}";
  };
  ASSERT_EQ(c.post("/v1/track", add("consents", "true")).status, 200);
  ASSERT_EQ(c.post("/v1/track", add("declines", "false")).status, 200);
  const auto cart_and_consent = [](int64_t abandoned, bool marketing, int64_t withheld) {
    return [=](const boost::json::object& p) {
      return p.at("cart").at("abandoned_count").to_number<int64_t>() == abandoned &&
             p.at("consent").at("marketing").as_bool() == marketing &&
             p.at("consent").at("withheld").to_number<int64_t>() == withheld;
    };
  };
  EXPECT_TRUE(profile_eventually(c, "consents", cart_and_consent(1, true, 0)));
  EXPECT_TRUE(profile_eventually(c, "declines", cart_and_consent(1, false, 1)));
  EXPECT_NE(c.get("/metrics").body.find(R"(output="consent_withheld")"), std::string::npos);
  EXPECT_EQ(server.stop(), 0);
}

TEST(HttpEdge, KeysAndTokensAreRequiredWhenConfigured) {
  EddyServer server("auth", {"--write-keys", "wk1", "--tokens", "tk1"});
  ASSERT_TRUE(server.started());
  HttpClient c = server.client();
  const std::string body = track("auth", "Product Viewed", "a1");
  EXPECT_EQ(c.post("/v1/track", body).status, 401);
  // Basic auth with the write key as the user name and no password: "wk1:" in base64.
  EXPECT_EQ(c.post("/v1/track", body, {{"Authorization", "Basic d2sxOg=="}}).status, 200);
  EXPECT_EQ(c.post("/v1/track", body, {{"Authorization", "Basic d3Jvbmc6"}}).status, 401);
  EXPECT_EQ(
      c.post("/v1/track", R"({"writeKey":"wk1","userId":"auth","event":"E","messageId":"a2"})")
          .status,
      200);
  EXPECT_EQ(c.get("/v1/customers/auth").status, 401);
  EXPECT_EQ(c.get("/v1/customers/auth", {{"Authorization", "Bearer tk1"}}).status != 401, true);
  EXPECT_EQ(c.get("/healthz").status, 200) << "health needs no token";
}

// A fresh folder of its own, for a plan file.
std::string plan_file(const std::string& name) {
  const std::string dir = temp_dir(name);
  std::filesystem::create_directories(dir);
  return dir + "/plan.json";
}

TEST(HttpEdge, ATrackingPlanRefusesTheEventsThatBreakItByIndexAndCountsThem) {
  const std::string plan = plan_file("tracking-plan-file");
  std::ofstream(plan) << R"({"events": {"Order Completed": {"properties": {
                              "revenue": {"type": "number", "required": true}}}}})";
  EddyServer server("tracking-plan", {"--tracking-plan", plan});
  ASSERT_TRUE(server.started());
  HttpClient c = server.client();
  const std::string body =
      R"({"batch":[{"type":"track","userId":"tp","event":"Order Completed","messageId":"tp1",)"
      R"("properties":{"revenue":12.5}},)"
      R"({"type":"track","userId":"tp","event":"Order Completed","messageId":"tp2",)"
      R"("properties":{"revenue":"12.50"}}]})";
  HttpReply r = c.post("/v1/batch", body);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto rejected = json_of(r).at("rejected").as_array();
  ASSERT_EQ(rejected.size(), 1u) << r.body;
  EXPECT_EQ(rejected[0].at("index").to_number<int64_t>(), 1);
  EXPECT_EQ(rejected[0].at("code"), "tracking_plan_violation");
  EXPECT_NE(std::string(rejected[0].at("message").as_string()).find("properties.revenue"),
            std::string::npos)
      << r.body;
  EXPECT_EQ(
      c.post("/v1/track", R"({"userId":"tp","event":"Order Completed","messageId":"tp3"})").status,
      400);
  const std::string metrics = c.get("/metrics").body;
  EXPECT_NE(metrics.find(R"(eddy_tracking_plan_violations_total{event="Order Completed",)"
                         R"(field="properties.revenue"} 2)"),
            std::string::npos)
      << metrics;
  EXPECT_EQ(server.stop(), 0);
  std::filesystem::remove_all(std::filesystem::path(plan).parent_path());
}

TEST(HttpEdge, AnUnreadableTrackingPlanStopsTheStartWithItsReason) {
  const std::string plan = plan_file("bad-plan-file");
  std::ofstream(plan) << R"({"events": {"A": {"properties": {"x": {"type": "strin"}}}}})";
  EddyProcess eddy(
      {"--http", "127.0.0.1:0", "--data-dir", temp_dir("bad-plan"), "--tracking-plan", plan});
  EXPECT_EQ(eddy.wait_exit(10'000), 2);
  EXPECT_NE(eddy.read_to_end().find("unknown type 'strin'"), std::string::npos) << eddy.output();
  std::filesystem::remove_all(std::filesystem::path(plan).parent_path());
  EXPECT_FALSE(std::filesystem::exists(temp_dir("bad-plan"))) << "refused before the data dir";
}

}  // namespace
}  // namespace eddy::e2e
