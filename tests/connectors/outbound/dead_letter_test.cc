#include "connectors/outbound/dead_letter.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

namespace eddy {
namespace {

TEST(DeadLetter, ReasonsHaveStableNames) {
  EXPECT_STREQ(dead_letter_reason_name(DeadLetterReason::kQueueFull), "queue_full");
  EXPECT_STREQ(dead_letter_reason_name(DeadLetterReason::kEndpointGone), "endpoint_gone");
  EXPECT_STREQ(dead_letter_reason_name(DeadLetterReason::kRejected), "rejected");
  EXPECT_STREQ(dead_letter_reason_name(DeadLetterReason::kMaxAttempts), "max_attempts");
  EXPECT_STREQ(dead_letter_reason_name(DeadLetterReason::kShutdown), "shutdown");
}

TEST(DeadLetter, LineCarriesTheEventAsAnObject) {
  DeadLetterRecord r;
  r.time = WallTime(1234);
  r.endpoint = "crm";
  r.url = "http://127.0.0.1:1/h";
  r.webhook_id = "trg_1";
  r.event_json = R"({"key":"u1","properties":{"a":"x\"y"}})";
  r.attempts = 3;
  r.last_status = 503;
  r.reason = DeadLetterReason::kMaxAttempts;
  const boost::json::object line = boost::json::parse(dead_letter_line(r)).as_object();
  EXPECT_EQ(line.at("time_ms").as_int64(), 1234);
  EXPECT_EQ(line.at("endpoint").as_string(), "crm");
  EXPECT_EQ(line.at("url").as_string(), "http://127.0.0.1:1/h");
  EXPECT_EQ(line.at("webhook_id").as_string(), "trg_1");
  EXPECT_EQ(line.at("reason").as_string(), "max_attempts");
  EXPECT_EQ(line.at("attempts").as_int64(), 3);
  EXPECT_EQ(line.at("last_status").as_int64(), 503);
  EXPECT_TRUE(line.at("last_error").is_null());
  EXPECT_EQ(line.at("event"), boost::json::parse(r.event_json));

  r.last_status = 0;
  r.last_error = "connect: Connection refused";
  const boost::json::object refused = boost::json::parse(dead_letter_line(r)).as_object();
  EXPECT_TRUE(refused.at("last_status").is_null());
  EXPECT_EQ(refused.at("last_error").as_string(), "connect: Connection refused");
}

TEST(DeadLetter, FileTakesWholeLinesFromManyThreads) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("eddy-dead-letter-" + std::to_string(::getpid()) + ".ndjson");
  std::filesystem::remove(path);
  auto file = DeadLetterFile::open(path.string());
  ASSERT_TRUE(file.is_ok()) << file.status().to_string();
  const std::string payload(5'000, 'x');
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < 50; ++i) {
        const std::string line = "{\"w\":" + std::to_string(w) + ",\"p\":\"" + payload + "\"}";
        ASSERT_TRUE((*file)->append(line).is_ok());
      }
    });
  }
  for (auto& w : writers)
    w.join();
  std::ifstream in(path);
  std::string line;
  size_t lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    ASSERT_TRUE(boost::json::parse(line).is_object());
  }
  EXPECT_EQ(lines, 200u);
  std::filesystem::remove(path);
}

TEST(DeadLetter, OpeningAFileInAMissingDirectoryFails) {
  auto file = DeadLetterFile::open("/nonexistent-eddy-dir/dead.ndjson");
  ASSERT_FALSE(file.is_ok());
  EXPECT_EQ(file.status().code(), Errc::kIo);
}

}  // namespace
}  // namespace eddy
