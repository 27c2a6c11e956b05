#include "connectors/api/duration.h"

#include <gtest/gtest.h>

namespace eddy {
namespace {

TEST(Duration, ReadsTheUnitsUsersWrite) {
  const std::pair<const char*, int64_t> cases[] = {
      {"0", 0},           {"250", 250},      {"250ms", 250},      {"90s", 90'000},
      {"30m", 1'800'000}, {"1h", 3'600'000}, {"7d", 604'800'000}, {"2w", 1'209'600'000},
  };
  for (const auto& [text, ms] : cases) {
    SCOPED_TRACE(text);
    auto d = parse_duration_ms(text);
    ASSERT_TRUE(d.is_ok()) << d.status().to_string();
    EXPECT_EQ(*d, ms);
  }
}

TEST(Duration, RefusesWhatItCannotRead) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "must start with a non-negative whole number"},
      {"-1h", "must start with a non-negative whole number"},
      {"h", "must start with a non-negative whole number"},
      {"1y", "unknown unit"},
      {"1 h", "unknown unit"},
      {"99999999999999999w", "too long"},
  };
  for (const auto& [text, why] : cases) {
    SCOPED_TRACE(text);
    auto d = parse_duration_ms(text);
    ASSERT_FALSE(d.is_ok());
    EXPECT_NE(d.status().message().find(why), std::string::npos) << d.status().message();
  }
}

}  // namespace
}  // namespace eddy
