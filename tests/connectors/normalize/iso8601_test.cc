#include "connectors/normalize/iso8601.h"

#include <gtest/gtest.h>

#include <random>

namespace eddy {
namespace {

struct Valid {
  const char* text;
  int64_t millis;
};

TEST(Iso8601, ParsesEveryFormSegmentLibrariesWrite) {
  const Valid cases[] = {
      {"1970-01-01T00:00:00Z", 0},
      {"1970-01-01T00:00:00.001Z", 1},
      {"1969-12-31T23:59:59.999Z", -1},
      {"2024-03-10T14:05:09Z", 1710079509000},
      {"2024-03-10T14:05:09.000Z", 1710079509000},
      {"2024-03-10t14:05:09z", 1710079509000},
      {"2024-03-10 14:05:09+00:00", 1710079509000},
      {"2024-03-10T14:05:09-00:00", 1710079509000},
      {"2024-03-10T14:05:09.123+05:30", 1710059709123},
      {"2024-03-10T14:05:09.123456789+05:30", 1710059709123},  // truncated, not rounded
      {"2024-03-10T14:05:09.1239+0530", 1710059709123},
      {"2024-03-10T14:05:09-0800", 1710108309000},
      {"2024-03-10T14:05:09-08", 1710108309000},
      {"2024-03-10T14:05:09,5-08:00", 1710108309500},
      {"2024-03-10T14:05:09.5-08:00", 1710108309500},
      {"2024-03-10T14:05:09.1Z", 1710079509100},
      {"2024-03-10T14:05:09.12Z", 1710079509120},
      {"2024-03-10T14:05Z", 1710079500000},
      {"2024-03-10", 1710028800000},
      {"2024-02-29T00:00:00Z", 1709164800000},
      {"2000-02-29T12:00:00Z", 951825600000},
      {"2016-12-31T23:59:60Z", 1483228799999},  // a leap second stays within its minute
      {"2016-12-31T23:59:60.500Z", 1483228799999},
      {"2024-03-10T00:30:00+23:59", 1709944260000},
      {"0000-01-01T00:00:00Z", -62167219200000},
      {"0001-01-01T00:00:00Z", -62135596800000},
      {"9999-12-31T23:59:59.999Z", 253402300799999},
  };
  for (const Valid& c : cases) {
    SCOPED_TRACE(c.text);
    auto t = parse_iso8601(c.text);
    ASSERT_TRUE(t.is_ok()) << t.status().to_string();
    EXPECT_EQ(t->value(), c.millis);
  }
}

struct Invalid {
  const char* text;
  const char* reason;  // a part of the message
};

TEST(Iso8601, RefusesGarbageSayingWhatIsWrong) {
  const Invalid cases[] = {
      {"", "empty"},
      {"garbage", "4-digit year"},
      {"-2024-03-10", "4-digit year"},
      {"24-03-10", "4-digit year"},
      {"2024", "'-' after the year"},
      {"1710079509", "'-' after the year"},
      {"2024/03/10", "'-' after the year"},
      {"2024-3-10", "2-digit month"},
      {"2024-00-10", "month out of range"},
      {"2024-13-10", "month out of range"},
      {"2024-03-1", "2-digit day"},
      {"2024-03-00", "day out of range"},
      {"2023-02-29", "day out of range"},
      {"1900-02-29", "day out of range"},
      {"2024-04-31", "day out of range"},
      {"2024-03-32", "day out of range"},
      {"2024-03-10X14:05:09Z", "expected 'T'"},
      {"2024-03-10T", "2-digit hour"},
      {"2024-03-10T1:05:09Z", "2-digit hour"},
      {"2024-03-10T24:00:00Z", "hour out of range"},
      {"2024-03-10T14", "':' after the hour"},
      {"2024-03-10T14:5Z", "2-digit minutes"},
      {"2024-03-10T14:60:00Z", "minutes out of range"},
      {"2024-03-10T14:05:9Z", "2-digit seconds"},
      {"2024-03-10T14:05:61Z", "seconds out of range"},
      {"2024-03-10T14:05:09.Z", "digits after the decimal mark"},
      {"2024-03-10T14:05:09", "UTC offset"},
      {"2024-03-10T14:05", "UTC offset"},
      {"2024-03-10T14:05:09 Z", "unexpected character"},
      {"2024-03-10T14:05:09+5", "2-digit offset hour"},
      {"2024-03-10T14:05:09+24:00", "offset hour out of range"},
      {"2024-03-10T14:05:09+05:3", "2-digit offset minutes"},
      {"2024-03-10T14:05:09+05:60", "offset minutes out of range"},
      {"2024-03-10T14:05:09+05:30:00", "unexpected text after"},
      {"2024-03-10T14:05:09Zjunk", "unexpected text after"},
      {"2024-03-10T14:05:09Z ", "unexpected text after"},
      {"2024-03-10Z", "expected 'T'"},
  };
  for (const Invalid& c : cases) {
    SCOPED_TRACE(c.text);
    auto t = parse_iso8601(c.text);
    ASSERT_FALSE(t.is_ok());
    EXPECT_EQ(t.status().code(), Errc::kInvalidArgument);
    EXPECT_NE(t.status().message().find(c.reason), std::string::npos) << t.status().message();
  }
}

TEST(Iso8601, NamesThePositionOfTheFault) {
  auto t = parse_iso8601("2024-03-10T14:60:00Z");
  ASSERT_FALSE(t.is_ok());
  EXPECT_NE(t.status().message().find("at character 15"), std::string::npos)
      << t.status().message();
}

TEST(Iso8601, ShowsOnlyTheStartOfAVeryLongInput) {
  const std::string junk(10'000, 'x');
  auto t = parse_iso8601(junk);
  ASSERT_FALSE(t.is_ok());
  EXPECT_LT(t.status().message().size(), 200u);
}

TEST(Iso8601, FormatsCanonicallyAndParsesBackWhatItFormats) {
  EXPECT_EQ(format_iso8601(EventTime(0)), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_iso8601(EventTime(1710059709123)), "2024-03-10T08:35:09.123Z");
  EXPECT_EQ(format_iso8601(EventTime(-1)), "1969-12-31T23:59:59.999Z");
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int64_t> any(-62167219200000, 253402300799999);
  for (int i = 0; i < 20'000; ++i) {
    const EventTime t(any(rng));
    const std::string text = format_iso8601(t);
    SCOPED_TRACE(text);
    auto back = parse_iso8601(text);
    ASSERT_TRUE(back.is_ok()) << back.status().to_string();
    ASSERT_EQ(back->value(), t.value());
  }
}

TEST(Iso8601, RandomBytesNeverCrashAndRarelyParse) {
  std::mt19937_64 rng(7);
  const std::string alphabet = "0123456789-:T.Z+ ,tz";
  for (int i = 0; i < 50'000; ++i) {
    std::string s(rng() % 32, ' ');
    for (char& c : s)
      c = alphabet[rng() % alphabet.size()];
    auto t = parse_iso8601(s);
    if (t.is_ok()) {
      // Whatever it takes must be a real instant: it formats to a parsable time.
      EXPECT_TRUE(parse_iso8601(format_iso8601(*t)).is_ok()) << s;
    }
  }
}

}  // namespace
}  // namespace eddy
