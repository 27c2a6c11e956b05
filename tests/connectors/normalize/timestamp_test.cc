#include "connectors/normalize/timestamp.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace eddy {
namespace {

struct Case {
  const char* raw;
  int64_t millis;
};

TEST(NormalizeTimestamp, ConvertsIso8601WithAnyOffsetToUtc) {
  const Case cases[] = {
      {"2024-03-10T14:05:09Z", 1710079509000},
      {"2024-03-10T14:05:09.123Z", 1710079509123},
      {"2024-03-10T19:35:09.123+05:30", 1710079509123},
      {"2024-03-10T06:05:09-08:00", 1710079509000},
      {"2024-03-10T06:05:09-0800", 1710079509000},
      {"2024-03-10 23:05:09+09", 1710079509000},
      {"2024-03-11T00:05:09+10:00", 1710079509000},  // another day locally, the same instant
      {"  2024-03-10T14:05:09Z\n", 1710079509000},
      {"2024-03-10", 1710028800000},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.raw);
    const Result<EventTime> time = normalize_timestamp(std::string_view(c.raw));
    ASSERT_TRUE(time.is_ok()) << time.status().to_string();
    EXPECT_EQ(time->value(), c.millis);
  }
}

TEST(NormalizeTimestamp, TellsEpochSecondsFromMillisecondsByMagnitude) {
  const Case cases[] = {
      {"1710079509", 1710079509000},     // seconds, 2024
      {"1710079509123", 1710079509123},  // milliseconds, 2024
      {"1710079509.123", 1710079509123},
      {"1710079509.1", 1710079509100},
      {"1710079509.123999", 1710079509123},  // truncated, as ISO 8601 fractions are
      {"1710079509123.9", 1710079509123},
      {"0", 0},
      {"86400", 86400000},
      {"99999999999", 99999999999000},       // the largest seconds: the year 5138
      {"100000000000", 100000000000},        // the smallest milliseconds: March 1973
      {"253402300799999", 253402300799999},  // the last millisecond of 9999
      {"0001710079509", 1710079509000},      // leading zeros do not change the magnitude
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.raw);
    const Result<EventTime> time = normalize_timestamp(std::string_view(c.raw));
    ASSERT_TRUE(time.is_ok()) << time.status().to_string();
    EXPECT_EQ(time->value(), c.millis);
  }
}

TEST(NormalizeTimestamp, AcceptsJsonIntegersByTheSameRule) {
  EXPECT_EQ(normalize_timestamp(int64_t{1710079509})->value(), 1710079509000);
  EXPECT_EQ(normalize_timestamp(int64_t{1710079509123})->value(), 1710079509123);
  EXPECT_EQ(normalize_timestamp(int64_t{99999999999})->value(), 99999999999000);
  EXPECT_EQ(normalize_timestamp(int64_t{100000000000})->value(), 100000000000);
  EXPECT_EQ(normalize_timestamp(int64_t{0})->value(), 0);
  EXPECT_FALSE(normalize_timestamp(int64_t{-1}).is_ok());
  EXPECT_FALSE(normalize_timestamp(int64_t{1710079509123000}).is_ok());  // microseconds
  EXPECT_FALSE(normalize_timestamp(INT64_MAX).is_ok());
}

TEST(NormalizeTimestamp, RoundsJsonDoublesToTheNearestMillisecond) {
  EXPECT_EQ(normalize_timestamp(1710079509.123)->value(), 1710079509123);  // not .122
  EXPECT_EQ(normalize_timestamp(1710079509.0)->value(), 1710079509000);
  EXPECT_EQ(normalize_timestamp(1710079509.9996)->value(), 1710079510000);
  EXPECT_EQ(normalize_timestamp(1710079509123.0)->value(), 1710079509123);
  EXPECT_EQ(normalize_timestamp(1710079509123.6)->value(), 1710079509124);
  EXPECT_EQ(normalize_timestamp(0.0)->value(), 0);
}

struct Bad {
  const char* raw;
  const char* word;
};

TEST(NormalizeTimestamp, RefusesWhatIsNoTimeSayingWhy) {
  const Bad cases[] = {
      {"", "empty"},
      {"  ", "empty"},
      {"yesterday", "ISO 8601"},
      {"2024-03-10T14:05:09", "offset"},  // local time is ambiguous
      {"2024-13-01T00:00:00Z", "month"},
      {"1710079509.", "decimal point"},
      {"1710079509.1.2", "decimal point"},
      {"-1710079509", "negative"},
      {"1710079509123000", "microseconds"},
      {"1710079509123000000", "microseconds"},
      {"99999999999999999999999999", "9999"},
      {"253402300800000", "9999"},
      {"1.7e9", "ISO 8601"},
  };
  for (const Bad& c : cases) {
    SCOPED_TRACE(c.raw);
    const Result<EventTime> time = normalize_timestamp(std::string_view(c.raw));
    ASSERT_FALSE(time.is_ok()) << time->value();
    EXPECT_EQ(time.status().code(), Errc::kInvalidArgument);
    EXPECT_NE(time.status().message().find(c.word), std::string::npos) << time.status().message();
  }
}

TEST(NormalizeTimestamp, RefusesDoublesThatAreNoTime) {
  const double cases[] = {-1.0,
                          -0.5,
                          1.7e15,
                          1e300,
                          std::numeric_limits<double>::infinity(),
                          std::numeric_limits<double>::quiet_NaN()};
  for (double epoch : cases) {
    SCOPED_TRACE(epoch);
    const Result<EventTime> time = normalize_timestamp(epoch);
    ASSERT_FALSE(time.is_ok());
    EXPECT_EQ(time.status().code(), Errc::kInvalidArgument);
  }
}

TEST(NormalizeTimestamp, TextAndNumbersAgree) {
  for (int64_t epoch : {int64_t{0}, int64_t{1}, int64_t{1710079509}, int64_t{99999999999},
                        int64_t{100000000000}, int64_t{1710079509123}}) {
    SCOPED_TRACE(epoch);
    const Result<EventTime> text = normalize_timestamp(std::string_view(std::to_string(epoch)));
    const Result<EventTime> integer = normalize_timestamp(epoch);
    const Result<EventTime> real = normalize_timestamp(static_cast<double>(epoch));
    ASSERT_TRUE(text.is_ok() && integer.is_ok() && real.is_ok());
    EXPECT_EQ(text->value(), integer->value());
    EXPECT_EQ(text->value(), real->value());
  }
}

}  // namespace
}  // namespace eddy
