// Segments from a file (--segments-file): put at every start through the log, like PUT
// /v1/segments/{id}, with the real eddy binary.

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "tests/e2e/eddy_server.h"

namespace eddy::e2e {
namespace {

// id -> {enter rule, size} of GET /v1/segments.
std::map<std::string, std::pair<std::string, int64_t>> segments_of(HttpClient& c) {
  std::map<std::string, std::pair<std::string, int64_t>> out;
  auto list = json_of(c.get("/v1/segments"));
  if (!list.contains("segments")) return out;
  for (const auto& s : list.at("segments").as_array()) {
    const auto& o = s.as_object();
    out[std::string(o.at("id").as_string())] = {std::string(o.at("enter").as_string()),
                                                o.at("size").as_int64()};
  }
  return out;
}

std::string order(const std::string& user, const std::string& id) {
  return R"({"userId":")" + user + R"(","event":"Order Completed","messageId":")" + id +
         R"(","properties":{"revenue":20,"products":[{"product_id":"p1","price":20}]}})";
}

TEST(SegmentsFile, ArePutAtEveryStartAndAChangedOneIsBackFilledAgain) {
  const std::string dir = temp_dir("segments-file");
  std::filesystem::create_directories(dir);
  const std::string file = dir + "-segments.json";
  std::ofstream(file) << R"({"segments": [{"id": "buyers", "enter": "lifecycle.orders >= 1"}]})";
  {
    EddyServer eddy("segments-file", {"--segments-file", file}, dir);
    ASSERT_TRUE(eddy.started()) << eddy.process().output();
    HttpClient c = eddy.client();
    EXPECT_EQ(segments_of(c)["buyers"].first, "lifecycle.orders >= 1") << "there before traffic";
    ASSERT_EQ(c.post("/v1/track", order("sf1", "sf-o1")).status, 200);
    ASSERT_TRUE(eventually([&] { return segments_of(c)["buyers"].second == 1; }));
    // One of the API's own, which no file names: a start with the file must keep it.
    ASSERT_EQ(c.request("PUT", "/v1/segments/carts", R"({"enter":"cart.open"})").status, 200);
    EXPECT_EQ(eddy.stop(), 0) << eddy.process().output();
  }
  std::ofstream(file) << R"([{"id": "buyers", "enter": "lifecycle.orders >= 2"},
                             {"id": "repeat", "enter": "lifecycle.orders >= 1"}])";
  {
    EddyServer eddy("segments-file", {"--segments-file", file}, dir);
    ASSERT_TRUE(eddy.started()) << eddy.process().output();
    HttpClient c = eddy.client();
    auto live = segments_of(c);
    EXPECT_EQ(live["buyers"], std::make_pair(std::string("lifecycle.orders >= 2"), int64_t{0}))
        << "changed, and back-filled over the restored profiles: one order is not enough now";
    EXPECT_EQ(live["repeat"], std::make_pair(std::string("lifecycle.orders >= 1"), int64_t{1}))
        << "new, back-filled";
    EXPECT_EQ(live["carts"].first, "cart.open");
    EXPECT_EQ(eddy.stop(), 0) << eddy.process().output();
  }
  std::filesystem::remove_all(dir);
  std::filesystem::remove(file);
}

TEST(SegmentsFile, ABadRuleStopsStartUpNamingTheFileTheSegmentAndThePosition) {
  const std::string dir = temp_dir("segments-file-bad");
  const std::string file = dir + "-segments.json";
  std::ofstream(file) << R"([{"id": "fine", "enter": "cart.open"},
                             {"id": "broken", "enter": "rfm.m >= 4 and nope > 1"}])";
  EddyProcess eddy({"--http", "127.0.0.1:0", "--data-dir", dir, "--segments-file", file});
  EXPECT_EQ(eddy.wait_exit(30'000), 2);
  const std::string line = eddy.wait_for_line("segments file " + file, 1000);
  EXPECT_NE(line.find("segment 'broken'"), std::string::npos) << eddy.output();
  EXPECT_NE(line.find("at 15"), std::string::npos) << eddy.output();

  std::ofstream(file) << R"([{"id": "fine", "enter": "cart.open", "dwell": "1h"}])";
  EddyProcess shape({"--http", "127.0.0.1:0", "--data-dir", dir, "--segments-file", file});
  EXPECT_EQ(shape.wait_exit(30'000), 2);
  EXPECT_FALSE(shape.wait_for_line("unknown field 'dwell'", 1000).empty()) << shape.output();
  std::filesystem::remove_all(dir);
  std::filesystem::remove(file);
}

}  // namespace
}  // namespace eddy::e2e
