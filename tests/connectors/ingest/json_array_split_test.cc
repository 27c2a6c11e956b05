#include "connectors/ingest/json_array_split.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace eddy {
namespace {

struct Good {
  const char* text;
  std::vector<std::string> elements;
};

TEST(JsonArraySplit, FindsEachElementAsSent) {
  const Good cases[] = {
      {"[]", {}},
      {" \n[ \t] \n", {}},
      {"[1]", {"1"}},
      {"[ 1 , 2 ]", {"1", "2"}},
      {R"([{"a":[1,2],"b":{"c":"]"}},"x,y",null])",
       {R"({"a":[1,2],"b":{"c":"]"}})", R"("x,y")", "null"}},
      {R"(["a\"],[", "\\"])", {R"("a\"],[")", R"("\\")"}},
      {"[\n{\"a\":1}\n,\n{\"b\":2}\n]\n", {R"({"a":1})", R"({"b":2})"}},
      // Mismatched brackets inside an element are the element's parser's business.
      {R"([{"a":1],{"b":2}])", {R"({"a":1])", R"({"b":2})"}},
      {"[tru, 1]", {"tru", "1"}},
  };
  for (const Good& c : cases) {
    SCOPED_TRACE(c.text);
    std::vector<std::string_view> got;
    auto e = split_json_array(c.text, got);
    ASSERT_FALSE(e.has_value()) << e->message;
    EXPECT_EQ(std::vector<std::string>(got.begin(), got.end()), c.elements);
  }
}

struct Bad {
  const char* text;
  size_t position;
  const char* says;
};

TEST(JsonArraySplit, RefusesABrokenStructureWithItsPosition) {
  const Bad cases[] = {
      {"", 0, "expected '['"},          {"{}", 0, "expected '['"},
      {"[", 1, "not closed"},           {"[1,2", 4, "not closed"},
      {R"(["abc)", 5, "not closed"},    {R"(["abc\"])", 8, "not closed"},
      {"[1,]", 3, "expected a value"},  {"[,1]", 1, "expected a value"},
      {"[1 }", 3, "closes nothing"},    {"[1] x", 4, "after the array"},
      {"[1][2]", 3, "after the array"},
  };
  for (const Bad& c : cases) {
    SCOPED_TRACE(c.text);
    std::vector<std::string_view> got;
    auto e = split_json_array(c.text, got);
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->code, IngestErrc::kMalformedJson);
    EXPECT_EQ(e->position, c.position) << e->message;
    EXPECT_NE(e->message.find(c.says), std::string::npos) << e->message;
  }
}

}  // namespace
}  // namespace eddy
