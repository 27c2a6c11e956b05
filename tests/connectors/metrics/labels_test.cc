#include "connectors/metrics/labels.h"

#include <gtest/gtest.h>

namespace eddy::metrics {
namespace {

std::string escaped_value(std::string_view v) {
  std::string out;
  append_escaped_label_value(out, v);
  return out;
}

std::string escaped_help(std::string_view v) {
  std::string out;
  append_escaped_help(out, v);
  return out;
}

TEST(Labels, KeyIsSortedByNameWhateverTheOrderGiven) {
  EXPECT_EQ(label_key({{"route", "/v1/track"}, {"code", "202"}}),
            R"(code="202",route="/v1/track")");
  EXPECT_EQ(label_key({{"code", "202"}, {"route", "/v1/track"}}),
            R"(code="202",route="/v1/track")");
  EXPECT_EQ(label_key({}), "");
}

TEST(Labels, ValueEscapesBackslashQuoteAndNewline) {
  struct Case {
    std::string_view in;
    std::string_view out;
  };
  const Case cases[] = {
      {"plain", "plain"},
      {R"(a\b)", R"(a\\b)"},
      {R"(say "hi")", R"(say \"hi\")"},
      {"two\nlines", R"(two\nlines)"},
      {"\\\"\n", R"(\\\"\n)"},
      {"tab\tstays", "tab\tstays"},
      {"", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.in));
    EXPECT_EQ(escaped_value(c.in), c.out);
  }
}

TEST(Labels, KeyEscapesValues) {
  EXPECT_EQ(label_key({{"path", "C:\\x\"y\"\n"}}), R"(path="C:\\x\"y\"\n")");
}

TEST(Labels, ValidUtf8PassesThroughAndInvalidBytesBecomeReplacementCharacters) {
  EXPECT_EQ(escaped_value("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x9B\x92"),
            "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x9B\x92");
  EXPECT_EQ(escaped_value("a\xFFz"), "a\xEF\xBF\xBDz");
  EXPECT_EQ(escaped_value("\xC3"), "\xEF\xBF\xBD");                  // truncated sequence
  EXPECT_EQ(escaped_value("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
  EXPECT_EQ(escaped_value("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(escaped_value("\xF4\x90\x80\x80").substr(0, 3), "\xEF\xBF\xBD");  // above U+10FFFF
}

TEST(Labels, HelpEscapesBackslashAndNewlineButNotQuotes) {
  EXPECT_EQ(escaped_help("a \"quoted\" \\ word\nnext"), R"(a "quoted" \\ word\nnext)");
}

}  // namespace
}  // namespace eddy::metrics
