#include "runtime/ndjson_redaction.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

namespace eddy {
namespace {

const std::unordered_set<std::string> kErased = {"u1", "anon-7"};

TEST(NdjsonRedaction, ALineMentionsAnIdOnlyAsAWholeStringAnywhereInIt) {
  EXPECT_TRUE(mentions_any(R"({"key":"u1","type":"Cart Abandoned"})", kErased));
  EXPECT_TRUE(mentions_any(R"({"key":"x","properties":{"customer":"anon-7"}})", kErased));
  EXPECT_TRUE(mentions_any(R"({"event":{"key":"u1"},"attempts":3})", kErased)) << "nested";
  EXPECT_TRUE(mentions_any(R"({"ids":["a","u1"]})", kErased));
  EXPECT_FALSE(mentions_any(R"({"key":"u10","item":"xu1"})", kErased)) << "substrings only";
  EXPECT_FALSE(mentions_any(R"({"key":"u2"})", kErased));
  EXPECT_TRUE(mentions_any(R"({"key":"u1", torn)", kErased)) << "unparsable: errs on removing";
  EXPECT_FALSE(mentions_any(R"({"key":"u1"})", {})) << "nobody to erase";
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(NdjsonRedaction, RewritesAFileWithoutTheLinesOfErasedCustomersAndKeepsTheRest) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("eddy-redaction-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "triggers.ndjson").string();
  {
    std::ofstream out(path);
    out << R"({"key":"u1","n":1})"
        << "\n"
        << R"({"key":"u2","n":2})"
        << "\n"
        << R"({"key":"u3","properties":{"customer":"anon-7"}})"
        << "\n"
        << R"({"key":"u10","n":4})";  // the last line may lack its newline
  }
  auto removed = remove_lines_mentioning(path, kErased);
  ASSERT_TRUE(removed.is_ok()) << removed.status().to_string();
  EXPECT_EQ(*removed, 2u);
  EXPECT_EQ(read(path), "{\"key\":\"u2\",\"n\":2}\n{\"key\":\"u10\",\"n\":4}");
  EXPECT_FALSE(std::filesystem::exists(path + ".erasing"));

  auto again = remove_lines_mentioning(path, kErased);
  ASSERT_TRUE(again.is_ok());
  EXPECT_EQ(*again, 0u) << "nothing left to remove";
  auto missing = remove_lines_mentioning((dir / "none.ndjson").string(), kErased);
  ASSERT_TRUE(missing.is_ok());
  EXPECT_EQ(*missing, 0u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace eddy
