#include "connectors/ingest/json_reader.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace eddy {
namespace {

TEST(JsonReader, ReadsOneDocumentAndReusesItsMemory) {
  JsonReader r(32);
  IngestError e;
  for (int i = 0; i < 1000; ++i) {
    const std::string text = R"({"userId":"u)" + std::to_string(i) + R"(","n":[1,2,3]})";
    const boost::json::value* v = r.read(text, e);
    ASSERT_NE(v, nullptr) << e.message;
    EXPECT_EQ(v->at("userId").as_string(), "u" + std::to_string(i));
  }
}

struct Bad {
  const char* text;
  IngestErrc code;
  size_t position;
};

TEST(JsonReader, SaysWhatIsWrongAndWhere) {
  const Bad cases[] = {
      {R"({"a":1,})", IngestErrc::kMalformedJson, 7},
      {R"(  {"a":tru})", IngestErrc::kMalformedJson, 7},
      {R"({"a":[1,2)", IngestErrc::kMalformedJson, 9},
      {R"({"a":1} x)", IngestErrc::kMalformedJson, 8},
      {R"({"a":1}{"b":2})", IngestErrc::kMalformedJson, 7},
      {"", IngestErrc::kMalformedJson, 0},
      {"\xff", IngestErrc::kMalformedJson, 0},
      {"[[[[1]]]]", IngestErrc::kJsonTooDeep, 3},
      {R"({"a":{"b":{"c":{}}}})", IngestErrc::kJsonTooDeep, 15},
  };
  JsonReader r(3);
  for (const Bad& c : cases) {
    SCOPED_TRACE(c.text);
    IngestError e;
    EXPECT_EQ(r.read(c.text, e), nullptr);
    EXPECT_EQ(e.code, c.code) << e.message;
    ASSERT_TRUE(e.position.has_value());
    EXPECT_EQ(*e.position, c.position) << e.message;
  }
}

TEST(JsonReader, SurroundingWhitespaceIsFineAndDepthAtTheLimitToo) {
  JsonReader r(3);
  IngestError e;
  EXPECT_NE(r.read(" \r\n\t[[[1]]] \r\n", e), nullptr) << e.message;
}

TEST(JsonReader, CountsCompactSizeWithoutWritingTheText) {
  const char* texts[] = {R"({"a":1})", R"({ "a" : [ 1 , 2 , "x\"y" ] , "b" : { } })", "null",
                         R"("\u00e9\n")"};
  for (const char* t : texts) {
    SCOPED_TRACE(t);
    const boost::json::value v = boost::json::parse(t);
    EXPECT_EQ(compact_json_size(v, 1 << 20), boost::json::serialize(v).size());
  }
  boost::json::value big = boost::json::parse(R"({"s":""})");
  big.as_object()["s"] = std::string(100'000, 'x');
  EXPECT_EQ(compact_json_size(big, 5000), 5001u);
}

}  // namespace
}  // namespace eddy
