// Whole-process test of outbound delivery: the real binary delivers segment changes to a local
// receiver that fails, throttles and recovers.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "connectors/webhooks/standard_webhooks.h"
#include "tests/connectors/outbound/test_receiver.h"
#include "tests/e2e/eddy_server.h"

namespace eddy::e2e {
namespace {

constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

test::ScriptedResponse answer(unsigned status, std::string retry_after = "") {
  test::ScriptedResponse r;
  r.status = status;
  if (!retry_after.empty()) r.headers.emplace_back("Retry-After", retry_after);
  return r;
}

TEST(Outbound, SegmentChangesReachAReceiverThatFailsThrottlesAndRecovers) {
  test::TestReceiver receiver;
  receiver.script({answer(500), answer(429, "1"), answer(503), answer(200)});
  const std::string dir = temp_dir("outbound-config");
  std::filesystem::create_directories(dir);
  const std::string config = dir + "/eddy.toml";
  std::ofstream(config) << "[[outbound.endpoints]]\nname = \"crm\"\nurl = \"" << receiver.url()
                        << "\"\nsecret = \"" << kSecret
                        << "\"\nevent_types = [\"Segment Entered\"]\nbase_backoff_ms = 50\n"
                           "max_backoff_ms = 2000\nmax_attempts = 6\n";
  EddyServer server("outbound", {"--config", config});
  ASSERT_TRUE(server.started()) << server.process().output();
  HttpClient c = server.client();
  ASSERT_EQ(c.request("PUT", "/v1/segments/vip", R"({"enter":"rfm.monetary >= 100"})").status, 200);
  ASSERT_EQ(c.post("/v1/track",
                   R"({"userId":"v1","event":"Order Completed","properties":{"revenue":250}})")
                .status,
            200);

  ASSERT_TRUE(receiver.wait_for_requests(4, std::chrono::seconds(30)))
      << receiver.request_count() << " requests\n"
      << server.process().output();
  // Stopping lets the sink finish the delivery in flight, so every answer is recorded.
  EXPECT_EQ(server.stop(), 0);
  const auto requests = receiver.requests();
  const std::string id = requests[0].header("webhook-id");
  ASSERT_FALSE(id.empty());
  auto secret = WebhookSecret::parse(kSecret);
  for (const auto& r : requests) {
    SCOPED_TRACE(r.body);
    EXPECT_EQ(r.header("webhook-id"), id) << "a retry carries the same id";
    EXPECT_NE(r.body.find("\"Segment Entered\""), std::string::npos);
    EXPECT_NE(r.body.find("\"v1\""), std::string::npos);
    EXPECT_EQ(
        verify_webhook(
            {*secret},
            {r.header("webhook-id"), r.header("webhook-timestamp"), r.header("webhook-signature")},
            r.body,
            std::chrono::duration_cast<std::chrono::seconds>(r.received_wall.time_since_epoch())
                .count()),
        WebhookCheck::kValid);
  }
  // The Retry-After of the throttling answer was honoured.
  EXPECT_GE(requests[2].received - requests[1].received, std::chrono::milliseconds(950));
  EXPECT_EQ(requests.back().answered, 200u);
  EXPECT_EQ(receiver.request_count(), 4u) << "delivered once, nothing after the success";
  EXPECT_FALSE(std::filesystem::exists(server.data_dir() + "/out/dead_letters.ndjson") &&
               std::filesystem::file_size(server.data_dir() + "/out/dead_letters.ndjson") > 0);
  std::filesystem::remove_all(dir);
}

TEST(Outbound, WhatCannotBeDeliveredIsWrittenToTheDeadLetterFile) {
  test::TestReceiver receiver;
  receiver.set_default(answer(500));
  const std::string dir = temp_dir("dead-letters-config");
  std::filesystem::create_directories(dir);
  const std::string config = dir + "/eddy.toml";
  const std::string dead = dir + "/dead.ndjson";
  std::ofstream(config) << "[[outbound.endpoints]]\nname = \"down\"\nurl = \"" << receiver.url()
                        << "\"\nevent_types = [\"Segment Entered\"]\nbase_backoff_ms = 10\n"
                           "max_backoff_ms = 50\nmax_attempts = 3\ndead_letter_path = \""
                        << dead << "\"\n";
  EddyServer server("dead-letters", {"--config", config});
  ASSERT_TRUE(server.started()) << server.process().output();
  HttpClient c = server.client();
  ASSERT_EQ(c.request("PUT", "/v1/segments/any", R"({"enter":"rfm.frequency >= 1"})").status, 200);
  ASSERT_EQ(
      c.post("/v1/track", R"({"userId":"d1","event":"Order Completed","properties":{"revenue":5}})")
          .status,
      200);
  ASSERT_TRUE(receiver.wait_for_requests(3, std::chrono::seconds(30)));
  std::string line;
  ASSERT_TRUE(eventually([&] {
    std::ifstream in(dead);
    return static_cast<bool>(std::getline(in, line));
  }));
  EXPECT_NE(line.find("\"max_attempts\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"d1\""), std::string::npos) << line;
  EXPECT_EQ(receiver.request_count(), 3u);
  EXPECT_EQ(server.stop(), 0);
  std::filesystem::remove_all(dir);
}

TEST(Outbound, AnEventAReplayEmitsAgainIsNotDeliveredTwice) {
  test::TestReceiver receiver;
  receiver.set_default(answer(200));
  const std::string config_dir = temp_dir("replay-config");
  std::filesystem::create_directories(config_dir);
  const std::string config = config_dir + "/eddy.toml";
  std::ofstream(config) << "[[outbound.endpoints]]\nname = \"crm\"\nurl = \"" << receiver.url()
                        << "\"\nevent_types = [\"Segment Entered\"]\n";
  const std::string data = temp_dir("replay-data");
  // No checkpoint: the restart replays the whole log, and the segment change comes out again.
  const std::vector<std::string> args = {"--config", config, "--checkpoint-interval-ms", "0"};
  {
    EddyServer first("replay", args, data);
    ASSERT_TRUE(first.started()) << first.process().output();
    HttpClient c = first.client();
    ASSERT_EQ(c.request("PUT", "/v1/segments/vip", R"({"enter":"rfm.monetary >= 100"})").status,
              200);
    ASSERT_EQ(c.post("/v1/track",
                     R"({"userId":"v1","event":"Order Completed","properties":{"revenue":250}})")
                  .status,
              200);
    ASSERT_TRUE(receiver.wait_for_requests(1, std::chrono::seconds(30)));
    // The delivery is remembered once its record is in the file (after an 8-byte header).
    const std::string memory = data + "/out/delivered-ids.log";
    ASSERT_TRUE(eventually([&] {
      std::error_code ec;
      return std::filesystem::file_size(memory, ec) > 8;
    }));
    first.crash();
  }
  EddyServer second("replay", args, data);
  ASSERT_TRUE(second.started()) << second.process().output();
  HttpClient c = second.client();
  // Another customer's change after the replay: once it arrives, a redelivery of the first
  // would have arrived before it.
  ASSERT_EQ(c.post("/v1/track",
                   R"({"userId":"v2","event":"Order Completed","properties":{"revenue":300}})")
                .status,
            200);
  ASSERT_TRUE(receiver.wait_for_requests(2, std::chrono::seconds(30)));
  EXPECT_EQ(second.stop(), 0);
  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_NE(requests[0].body.find("\"v1\""), std::string::npos);
  EXPECT_NE(requests[1].body.find("\"v2\""), std::string::npos) << requests[1].body;
  EXPECT_NE(second.process().output().find(R"("events":1)"), std::string::npos)
      << "the first order was replayed";
  std::filesystem::remove_all(config_dir);
}

}  // namespace
}  // namespace eddy::e2e
