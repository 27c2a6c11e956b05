// Whole-process tests of checkpoints: taken on demand and at shutdown, restored at start with the
// log after them replayed, a damaged one skipped for the one before, and one that cannot be
// restored refused.

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

// A /v1/batch of `n` orders for customer `user`, with ids that say which they are.
std::string orders_body(const std::string& user, int first, int n) {
  boost::json::array batch;
  for (int i = first; i < first + n; ++i) {
    batch.push_back(boost::json::object{{"type", "track"},
                                        {"userId", user},
                                        {"event", "Order Completed"},
                                        {"messageId", user + "-" + std::to_string(i)},
                                        {"properties", boost::json::object{{"revenue", 2}}}});
  }
  return boost::json::serialize(boost::json::object{{"batch", std::move(batch)}});
}

int64_t orders_of(HttpClient& c, const std::string& user) {
  const HttpReply r = c.get("/v1/customers/" + user);
  if (r.status != 200) return -1;  // not there yet: acknowledged, not yet processed
  auto p = json_of(r);
  if (p.empty()) return -1;
  return p.at("rfm").at("frequency").to_number<int64_t>();
}

std::string checkpoint_dir(const std::string& data_dir, uint64_t id) {
  std::string digits = std::to_string(id);
  return data_dir + "/checkpoints/ckpt-" + std::string(20 - digits.size(), '0') + digits;
}

std::vector<std::string> wal_segments(const std::string& data_dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(data_dir + "/wal"))
    out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

class Checkpoints : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = temp_dir("checkpoints"); }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::unique_ptr<EddyServer> start(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--checkpoint-interval-ms", "0", "--wal-segment-bytes",
                                     "65536"};
    args.insert(args.end(), extra.begin(), extra.end());
    return std::make_unique<EddyServer>("checkpoints", std::move(args), dir_);
  }
  // Sends `n` orders in batches of 50 and waits until the profile counts them all.
  void send_orders(EddyServer& server, const std::string& user, int first, int n) {
    HttpClient c = server.client();
    for (int i = first; i < first + n; i += 50)
      ASSERT_EQ(c.post("/v1/batch", orders_body(user, i, 50)).status, 200);
    ASSERT_TRUE(eventually([&] { return orders_of(c, user) == first + n; }));
  }
  boost::json::object checkpoint(EddyServer& server) {
    HttpReply r = server.client().post("/v1/admin/checkpoint", "");
    EXPECT_EQ(r.status, 200) << r.body;
    return json_of(r);
  }

  std::string dir_;
};

TEST_F(Checkpoints, ACrashRecoversFromTheCheckpointAndTheLogAfterIt) {
  {
    auto first = start({"--checkpoint-keep", "1"});
    ASSERT_TRUE(first->started()) << first->process().output();
    // Enough to fill several 64 KiB log segments, which the checkpoint then makes unneeded.
    send_orders(*first, "ck", 0, 900);
    const auto taken = checkpoint(*first);
    EXPECT_EQ(taken.at("checkpoint").to_number<int64_t>(), 1);
    EXPECT_GT(taken.at("wal_offset").to_number<int64_t>(), 65536);
    EXPECT_GE(taken.at("parts").to_number<int64_t>(), 128);
    EXPECT_NE(wal_segments(dir_).front(), "wal-00000000000000000000.log")
        << "the segments before the checkpoint are released";
    send_orders(*first, "ck", 900, 50);
    first->crash();
  }
  auto second = start();
  ASSERT_TRUE(second->started()) << second->process().output();
  const std::string out = second->process().output();
  EXPECT_NE(out.find(R"("msg":"recovered","checkpoint":1)"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("events":50)"), std::string::npos) << "only the log after it replayed";
  HttpClient c = second->client();
  EXPECT_EQ(orders_of(c, "ck"), 950);
  // A retry of the first batch, whose log is gone: the checkpoint remembers its messageIds.
  ASSERT_EQ(c.post("/v1/batch", orders_body("ck", 0, 50)).status, 200);
  ASSERT_EQ(c.post("/v1/batch", orders_body("other", 0, 1)).status, 200);
  ASSERT_TRUE(eventually([&] { return orders_of(c, "other") == 1; }));
  EXPECT_EQ(orders_of(c, "ck"), 950);
}

TEST_F(Checkpoints, ACleanShutdownCheckpointsAndTheRestartReplaysNothing) {
  {
    auto first = start();
    ASSERT_TRUE(first->started()) << first->process().output();
    send_orders(*first, "calm", 0, 100);
    EXPECT_EQ(first->stop(), 0);
    EXPECT_NE(first->process().read_to_end().find("checkpoint written"), std::string::npos);
  }
  auto second = start();
  ASSERT_TRUE(second->started()) << second->process().output();
  const std::string out = second->process().output();
  EXPECT_NE(out.find(R"("checkpoint":1)"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("events":0)"), std::string::npos) << out;
  HttpClient c = second->client();
  EXPECT_EQ(orders_of(c, "calm"), 100);
}

TEST_F(Checkpoints, ADamagedCheckpointIsSkippedForThePreviousOne) {
  {
    auto first = start();
    ASSERT_TRUE(first->started()) << first->process().output();
    send_orders(*first, "bits", 0, 100);
    checkpoint(*first);
    send_orders(*first, "bits", 100, 100);
    checkpoint(*first);
    send_orders(*first, "bits", 200, 50);
    first->crash();
  }
  // A bit flipped in every part of the newest checkpoint.
  for (const auto& e : fs::directory_iterator(checkpoint_dir(dir_, 2))) {
    if (e.path().extension() != ".part") continue;
    std::fstream f(e.path(), std::ios::binary | std::ios::in | std::ios::out);
    f.seekg(20);
    char c = 0;
    f.get(c);
    f.seekp(20);
    f.put(static_cast<char>(c ^ 0x01));
  }
  auto second = start();
  ASSERT_TRUE(second->started()) << second->process().output();
  const std::string out = second->process().output();
  EXPECT_NE(out.find("skipping a checkpoint that fails its checks"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("msg":"recovered","checkpoint":1)"), std::string::npos) << out;
  HttpClient c = second->client();
  EXPECT_EQ(orders_of(c, "bits"), 250);
}

TEST_F(Checkpoints, AnotherTopologysCheckpointIsRefusedAndLeftAlone) {
  {
    auto first = start();
    ASSERT_TRUE(first->started()) << first->process().output();
    send_orders(*first, "shop", 0, 50);
    checkpoint(*first);
    first->crash();
  }
  const auto manifest = checkpoint_dir(dir_, 1) + "/MANIFEST";
  const auto size_before = fs::file_size(manifest);
  {
    auto other = start({"--topology", "noop"});
    EXPECT_FALSE(other->started());
    EXPECT_NE(other->process().wait_exit(30'000), 0);
    const std::string out = other->process().output();
    EXPECT_NE(out.find("holds the state of topology 'ecommerce'"), std::string::npos) << out;
  }
  EXPECT_EQ(fs::file_size(manifest), size_before);
  auto again = start();
  ASSERT_TRUE(again->started()) << again->process().output();
  HttpClient c = again->client();
  EXPECT_EQ(orders_of(c, "shop"), 50);
}

}  // namespace
}  // namespace eddy::e2e
