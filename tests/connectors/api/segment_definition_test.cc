#include "connectors/api/segment_definition.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <filesystem>
#include <fstream>

namespace eddy {
namespace {

std::string write_file(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / ("eddy-segdef-" + name + ".json");
  std::ofstream(path) << text;
  return path.string();
}

TEST(SegmentDefinition, ABodyBecomesAPutCommandWithTheDwellInMilliseconds) {
  auto cmd = segment_put_command(
      "vip", {{"enter", "rfm.m >= 4"}, {"exit", "rfm.m <= 2"}, {"min_dwell", "1h"}});
  ASSERT_TRUE(cmd.is_ok()) << cmd.status().to_string();
  EXPECT_EQ(boost::json::serialize(*cmd),
            R"({"action":"put","id":"vip","enter":"rfm.m >= 4","exit":"rfm.m <= 2",)"
            R"("min_dwell_ms":3600000})");
  EXPECT_FALSE(segment_put_command("vip", {{"exit", "x"}}).is_ok()) << "no enter rule";
  EXPECT_FALSE(segment_put_command("vip", {{"enter", 4}}).is_ok());
  EXPECT_FALSE(segment_put_command("vip", {{"enter", "x"}, {"dwell", "1h"}}).is_ok());
}

TEST(SegmentDefinition, AFileListsItsSegmentsInOrderInEitherShape) {
  const std::string wrapped = write_file("wrapped", R"({"segments": [
      {"id": "browsers", "enter": "counters.product_views_7d >= 3"},
      {"id": "vip", "enter": "rfm.m >= 4", "exit": "rfm.m <= 2", "min_dwell": "1d"}]})");
  auto loaded = load_segments_file(wrapped, 32);
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().to_string();
  ASSERT_EQ(loaded->size(), 2u);
  EXPECT_EQ((*loaded)[0].at("id").as_string(), "browsers");
  EXPECT_EQ((*loaded)[1].at("min_dwell_ms").as_int64(), 86'400'000);

  const std::string bare = write_file("bare", R"([{"id": "a", "enter": "cart.open"}])");
  auto list = load_segments_file(bare, 32);
  ASSERT_TRUE(list.is_ok()) << list.status().to_string();
  EXPECT_EQ(list->size(), 1u);
}

TEST(SegmentDefinition, AFileErrorNamesTheFileAndTheEntry) {
  struct Case {
    std::string text;
    std::string says;
  };
  const Case cases[] = {
      {R"([{"id": "a", "enter": "cart.open"}, {"enter": "cart.open"}])", "entry 1 needs an 'id'"},
      {R"([{"id": "a", "enter": "x"}, {"id": "a", "enter": "y"}])", "segment 'a' is defined twice"},
      {R"([{"id": "a", "enter": "x", "min_dwell": "soon"}])", "entry 0 (segment 'a')"},
      {R"([7])", "entry 0 is not an object"},
      {R"({"segment": []})", "expected {\"segments\": [...]}"},
      {R"([{"id": "a", "enter": )", "not JSON"},
  };
  for (const Case& c : cases) {
    const std::string path = write_file("bad", c.text);
    auto loaded = load_segments_file(path, 32);
    ASSERT_FALSE(loaded.is_ok()) << c.text;
    EXPECT_NE(loaded.status().message().find("segments file " + path), std::string::npos)
        << loaded.status().message();
    EXPECT_NE(loaded.status().message().find(c.says), std::string::npos)
        << loaded.status().message();
  }
  auto missing = load_segments_file("/nonexistent/segments.json", 32);
  ASSERT_FALSE(missing.is_ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/segments.json"), std::string::npos);
}

}  // namespace
}  // namespace eddy
