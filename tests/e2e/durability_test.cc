// Whole-process tests of the durability promise: what eddy acknowledged survives kill -9, is not
// counted twice when the client retries, and a damaged log is handled as documented.

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/e2e/eddy_server.h"

namespace eddy::e2e {
namespace {

namespace fs = std::filesystem;

// A /v1/batch of `n` events for customer `user`: product views, and an order every tenth.
std::string batch_body(const std::string& user, int first, int n) {
  boost::json::array batch;
  for (int i = first; i < first + n; ++i) {
    const bool order = i % 10 == 9;
    boost::json::object m{{"type", "track"},
                          {"userId", user},
                          {"event", order ? "Order Completed" : "Product Viewed"},
                          {"messageId", user + "-" + std::to_string(i)}};
    if (order)
      m["properties"] = boost::json::object{{"revenue", 10.5}};
    else
      m["properties"] = boost::json::object{{"product_id", "sku" + std::to_string(i % 7)}};
    batch.push_back(std::move(m));
  }
  return boost::json::serialize(boost::json::object{{"batch", std::move(batch)}});
}

// The parts of a profile that only the events decide (not the wall clock).
boost::json::object event_state(const boost::json::object& profile) {
  boost::json::object out;
  out["counters"] = profile.at("counters");
  out["frequency"] = profile.at("rfm").at("frequency");
  out["monetary"] = profile.at("rfm").at("monetary");
  return out;
}

std::string wal_dir(const std::string& data_dir) {
  return data_dir + "/wal";
}

std::string last_segment(const std::string& data_dir) {
  std::string last;
  // wal-next.log is made ahead and holds nothing yet.
  for (const auto& e : fs::directory_iterator(wal_dir(data_dir))) {
    if (e.path().filename() != "wal-next.log") last = std::max(last, e.path().string());
  }
  return last;
}

class Durability : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = temp_dir("durability"); }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::unique_ptr<EddyServer> start(std::vector<std::string> args = {}) {
    return std::make_unique<EddyServer>("durability", std::move(args), dir_);
  }
  // Sends batches until `total` events are acknowledged; the profile to compare with afterwards.
  boost::json::object ingest(EddyServer& server, const std::string& user, int total) {
    HttpClient c = server.client();
    for (int i = 0; i < total; i += 50) {
      HttpReply r = c.post("/v1/batch", batch_body(user, i, 50));
      EXPECT_EQ(r.status, 200) << r.body;
    }
    boost::json::object profile;
    EXPECT_TRUE(eventually([&] {
      HttpReply r = c.get("/v1/customers/" + user);
      if (r.status != 200) return false;
      profile = json_of(r);
      return profile.at("rfm").at("frequency").to_number<int64_t>() == total / 10;
    })) << boost::json::serialize(profile);
    return event_state(profile);
  }

  std::string dir_;
};

TEST_F(Durability, WhatWasAcknowledgedSurvivesKillDashNine) {
  boost::json::object before;
  {
    auto first = start();
    ASSERT_TRUE(first->started()) << first->process().output();
    before = ingest(*first, "kill9", 400);
    first->crash();
  }
  auto second = start();
  ASSERT_TRUE(second->started()) << second->process().output();
  HttpClient c = second->client();
  // Ready means recovered: the profile is back without waiting.
  HttpReply r = c.get("/v1/customers/kill9");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(boost::json::serialize(event_state(json_of(r))), boost::json::serialize(before));
  EXPECT_NE(second->process().output().find(R"("msg":"recovered")"), std::string::npos);
}

TEST_F(Durability, AClientsRetryAfterACrashIsNotCountedTwice) {
  boost::json::object before;
  {
    auto first = start();
    ASSERT_TRUE(first->started()) << first->process().output();
    before = ingest(*first, "retry", 100);
    first->crash();
  }
  auto second = start();
  ASSERT_TRUE(second->started()) << second->process().output();
  HttpClient c = second->client();
  // The client never saw the answers (say) and sends everything again.
  for (int i = 0; i < 100; i += 50) {
    HttpReply r = c.post("/v1/batch", batch_body("retry", i, 50));
    ASSERT_EQ(r.status, 200) << r.body;
  }
  // One new event, sent after the retries to the same customer: once it shows, the retries would
  // show too (a customer's events are handled in order), and the orders among them must not.
  ASSERT_EQ(c.post("/v1/batch", batch_body("retry", 100, 1)).status, 200);
  ASSERT_TRUE(eventually([&] {
    auto p = json_of(c.get("/v1/customers/retry"));
    return !p.empty() && p.at("rfm").at("frequency").to_number<int64_t>() == 10 &&
           boost::json::serialize(p.at("counters")) !=
               boost::json::serialize(before.at("counters"));
  }));
  auto p = json_of(c.get("/v1/customers/retry"));
  EXPECT_EQ(p.at("rfm").at("monetary").to_number<double>(),
            before.at("monetary").to_number<double>());
}

TEST_F(Durability, ASegmentDefinitionSurvivesACrash) {
  {
    auto first = start();
    ASSERT_TRUE(first->started()) << first->process().output();
    HttpReply put =
        first->client().request("PUT", "/v1/segments/buyers", R"({"enter":"rfm.frequency >= 1"})");
    ASSERT_EQ(put.status, 200) << put.body;
    first->crash();
  }
  auto second = start();
  ASSERT_TRUE(second->started()) << second->process().output();
  HttpReply list = second->client().get("/v1/segments");
  ASSERT_EQ(list.status, 200);
  EXPECT_NE(list.body.find("buyers"), std::string::npos) << list.body;
}

TEST_F(Durability, ATornRecordAtTheEndIsCutOffAndTheRestRecovered) {
  boost::json::object before;
  {
    auto first = start();
    ASSERT_TRUE(first->started()) << first->process().output();
    before = ingest(*first, "torn", 100);
    first->crash();
  }
  {
    // What a crash halfway through a write leaves: the start of a frame.
    std::ofstream out(last_segment(dir_), std::ios::binary | std::ios::app);
    out << std::string("\x40\x00\x00\x00\x12\x34", 6);
  }
  auto second = start();
  ASSERT_TRUE(second->started()) << second->process().output();
  EXPECT_NE(second->process().output().find("torn record"), std::string::npos);
  auto p = json_of(second->client().get("/v1/customers/torn"));
  ASSERT_FALSE(p.empty());
  EXPECT_EQ(boost::json::serialize(event_state(p)), boost::json::serialize(before));
}

TEST_F(Durability, CorruptionInTheMiddleStopsStartUpUnlessToldToSkip) {
  {
    auto first = start();
    ASSERT_TRUE(first->started()) << first->process().output();
    ingest(*first, "corrupt", 100);
    first->crash();
  }
  {
    // A flipped byte inside the first record (after the 24-byte segment header and the 16-byte
    // frame header), with valid records after it.
    std::fstream f(last_segment(dir_), std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(24 + 16 + 40);
    f.put('\x7f');
  }
  {
    EddyServer refused("durability", {}, dir_);
    EXPECT_FALSE(refused.started());
    EXPECT_NE(refused.process().wait_exit(30'000), 0);
    const std::string out = refused.process().output();
    EXPECT_NE(out.find("corrupt log record in"), std::string::npos) << out;
    EXPECT_NE(out.find("wal-00000000000000000000.log"), std::string::npos) << out;
  }
  auto lenient = start({"--wal-skip-corrupt", "true"});
  ASSERT_TRUE(lenient->started()) << lenient->process().output();
  EXPECT_NE(lenient->process().output().find("skipped a corrupt log record"), std::string::npos);
  // The first batch is lost with its record; the second one is back.
  auto p = json_of(lenient->client().get("/v1/customers/corrupt"));
  ASSERT_FALSE(p.empty());
  EXPECT_EQ(p.at("rfm").at("frequency").to_number<int64_t>(), 5);
}

TEST_F(Durability, ADirectoryThatIsNotEddysIsRefusedAndLeftAlone) {
  fs::create_directories(dir_);
  { std::ofstream(dir_ + "/notes.txt") << "mine"; }
  EddyServer refused("durability", {}, dir_);
  EXPECT_FALSE(refused.started());
  EXPECT_NE(refused.process().wait_exit(30'000), 0);
  EXPECT_NE(refused.process().output().find("is not an eddy data directory"), std::string::npos)
      << refused.process().output();
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir_))
    names.push_back(e.path().filename().string());
  EXPECT_EQ(names, std::vector<std::string>{"notes.txt"});
}

TEST_F(Durability, ADirectoryFromANewerEddyIsRefused) {
  {
    auto first = start();
    ASSERT_TRUE(first->started()) << first->process().output();
    EXPECT_EQ(first->stop(), 0);
  }
  { std::ofstream(dir_ + "/EDDY") << "eddy data directory, format 99\n"; }
  EddyServer refused("durability", {}, dir_);
  EXPECT_FALSE(refused.started());
  EXPECT_NE(refused.process().wait_exit(30'000), 0);
  EXPECT_NE(refused.process().output().find("newer eddy (format 99"), std::string::npos)
      << refused.process().output();
}

TEST_F(Durability, ASecondEddyOnTheSameDataDirectoryRefusesToStart) {
  auto first = start();
  ASSERT_TRUE(first->started()) << first->process().output();
  EddyServer second("durability", {}, dir_);
  EXPECT_FALSE(second.started());
  EXPECT_NE(second.process().wait_exit(30'000), 0);
  EXPECT_NE(second.process().output().find("another eddy (pid "), std::string::npos)
      << second.process().output();
  // The first one is untouched and still takes input.
  EXPECT_EQ(first->client().post("/v1/batch", batch_body("locked", 0, 10)).status, 200);
}

}  // namespace
}  // namespace eddy::e2e
