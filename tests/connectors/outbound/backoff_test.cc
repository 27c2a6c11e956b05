#include "connectors/outbound/backoff.h"

#include <gtest/gtest.h>

#include <set>

#include "connectors/outbound/delivery_outcome.h"

namespace eddy {
namespace {

using std::chrono::milliseconds;

// 2024-03-01 12:00:00 UTC
constexpr WallTime kNow{1'709'294'400'000};

TEST(Backoff, CeilingDoublesFromBaseUpToMax) {
  const BackoffPolicy policy{milliseconds(100), milliseconds(1'000)};
  EXPECT_EQ(backoff_ceiling(policy, 0), milliseconds(100));
  EXPECT_EQ(backoff_ceiling(policy, 1), milliseconds(200));
  EXPECT_EQ(backoff_ceiling(policy, 3), milliseconds(800));
  EXPECT_EQ(backoff_ceiling(policy, 4), milliseconds(1'000));
  EXPECT_EQ(backoff_ceiling(policy, 5), milliseconds(1'000));
}

TEST(Backoff, CeilingSaturatesInsteadOfOverflowing) {
  const BackoffPolicy policy{milliseconds(1'000), milliseconds(300'000)};
  for (uint32_t retry : {30u, 52u, 61u, 62u, 63u, 64u, 100u, 4'000'000'000u}) {
    SCOPED_TRACE(retry);
    EXPECT_EQ(backoff_ceiling(policy, retry), milliseconds(300'000));
  }
  const BackoffPolicy huge{milliseconds(INT64_MAX / 4), milliseconds(INT64_MAX)};
  EXPECT_EQ(backoff_ceiling(huge, 1), milliseconds(INT64_MAX / 4 * 2));
  EXPECT_EQ(backoff_ceiling(huge, 3), milliseconds(INT64_MAX));
}

TEST(Backoff, ZeroBaseMeansRetryAtOnceAndBaseAboveMaxIsCapped) {
  EXPECT_EQ(backoff_ceiling({milliseconds(0), milliseconds(500)}, 7), milliseconds(0));
  EXPECT_EQ(backoff_ceiling({milliseconds(900), milliseconds(500)}, 0), milliseconds(500));
}

TEST(Backoff, FullJitterStaysWithinZeroAndTheCeilingAndSpreads) {
  const BackoffPolicy policy{milliseconds(10), milliseconds(1'000)};
  std::mt19937_64 rng(42);
  for (uint32_t retry = 0; retry < 10; ++retry) {
    SCOPED_TRACE(retry);
    const milliseconds ceiling = backoff_ceiling(policy, retry);
    std::set<int64_t> seen;
    milliseconds lowest = ceiling;
    milliseconds highest{0};
    for (int i = 0; i < 2'000; ++i) {
      const milliseconds wait = full_jitter_backoff(policy, retry, rng);
      ASSERT_GE(wait, milliseconds(0));
      ASSERT_LE(wait, ceiling);
      lowest = std::min(lowest, wait);
      highest = std::max(highest, wait);
      seen.insert(wait.count());
    }
    // Uniform over [0, ceiling]: 2000 draws reach both ends' tenth and take many values.
    EXPECT_LE(lowest, ceiling / 10);
    EXPECT_GE(highest, ceiling * 9 / 10);
    EXPECT_GT(seen.size(), std::min<size_t>(static_cast<size_t>(ceiling.count()), 9));
  }
}

TEST(Backoff, FullJitterIsReproducibleFromTheSeed) {
  const BackoffPolicy policy{milliseconds(50), milliseconds(60'000)};
  std::mt19937_64 a(7);
  std::mt19937_64 b(7);
  std::mt19937_64 c(8);
  bool differs = false;
  for (uint32_t retry = 0; retry < 12; ++retry) {
    const milliseconds wait = full_jitter_backoff(policy, retry, a);
    EXPECT_EQ(wait, full_jitter_backoff(policy, retry, b));
    differs |= wait != full_jitter_backoff(policy, retry, c);
  }
  EXPECT_TRUE(differs);
}

TEST(Backoff, ThrottledWaitIsCappedByMax) {
  const BackoffPolicy policy{milliseconds(10), milliseconds(2'000)};
  EXPECT_EQ(throttled_backoff(policy, milliseconds(1'500)), milliseconds(1'500));
  EXPECT_EQ(throttled_backoff(policy, milliseconds(3'600'000)), milliseconds(2'000));
  EXPECT_EQ(throttled_backoff(policy, milliseconds(0)), milliseconds(0));
  EXPECT_EQ(throttled_backoff(policy, milliseconds(-5)), milliseconds(0));
}

TEST(RetryAfter, ParsesDelaySeconds) {
  struct Case {
    std::string_view text;
    std::optional<milliseconds> want;
  };
  const Case cases[] = {
      {"0", milliseconds(0)},         {"1", milliseconds(1'000)}, {"120", milliseconds(120'000)},
      {"  7\t", milliseconds(7'000)}, {"", std::nullopt},         {"   ", std::nullopt},
      {"-1", std::nullopt},           {"+3", std::nullopt},       {"1.5", std::nullopt},
      {"10s", std::nullopt},          {"soon", std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.text));
    EXPECT_EQ(parse_retry_after(c.text, kNow), c.want);
  }
}

TEST(RetryAfter, HugeDelaySecondsSaturatesAndIsThenCapped) {
  const auto wait = parse_retry_after("99999999999999999999999999", kNow);
  ASSERT_TRUE(wait.has_value());
  EXPECT_GT(*wait, milliseconds(INT64_MAX / 2));
  EXPECT_EQ(throttled_backoff({milliseconds(1), milliseconds(5'000)}, *wait), milliseconds(5'000));
}

TEST(RetryAfter, ParsesAnHttpDateInEveryFormAsTheTimeUntilThen) {
  // 2024-03-01 12:00:30 UTC, a Friday, thirty seconds after kNow.
  for (std::string_view text : {"Fri, 01 Mar 2024 12:00:30 GMT", "Friday, 01-Mar-24 12:00:30 GMT",
                                "Fri Mar  1 12:00:30 2024", " Fri, 01 Mar 2024 12:00:30 GMT "}) {
    SCOPED_TRACE(std::string(text));
    EXPECT_EQ(parse_retry_after(text, kNow), milliseconds(30'000));
  }
}

TEST(RetryAfter, ADateInThePastMeansNow) {
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", kNow), milliseconds(0));
}

TEST(RetryAfter, RefusesMalformedDates) {
  for (std::string_view text :
       {"Fri, 01 Mar 2024 12:00:30", "Fri, 01 Mar 2024 12:00:30 UTC",
        "Fri, 1 Mar 2024 12:00:30 GMT", "Fri, 31 Feb 2024 12:00:30 GMT",
        "Fri, 01 Foo 2024 12:00:30 GMT", "Fri, 01 Mar 2024 24:00:30 GMT",
        "Fri, 01 Mar 2024 12:60:30 GMT", "2024-03-01T12:00:30Z", "Fri Mar 1 12:00:30 2024",
        "Fri, 01 Mar 2024 12:00:30 GMT trailing"}) {
    SCOPED_TRACE(std::string(text));
    EXPECT_EQ(parse_retry_after(text, kNow), std::nullopt);
  }
}

TEST(HttpDate, ParsesTheRfcExampleInAllThreeForms) {
  // RFC 9110 section 5.6.7: 784111777 is Sun, 06 Nov 1994 08:49:37 GMT.
  const WallTime want(784'111'777'000);
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", kNow), want);
  EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", kNow), want);
  EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994", kNow), want);
}

TEST(HttpDate, TwoDigitYearsMoreThanFiftyYearsAheadAreInThePastCentury) {
  // From 2024, "75" would be 2075, more than 50 years ahead: it is 1975. "74" (exactly 50 years
  // ahead) and "60" stay in this century.
  EXPECT_EQ(parse_http_date("Wednesday, 01-Jan-75 00:00:00 GMT", kNow), WallTime(157'766'400'000));
  EXPECT_EQ(parse_http_date("Monday, 01-Jan-74 00:00:00 GMT", kNow), WallTime(3'281'990'400'000));
  EXPECT_EQ(parse_http_date("Thursday, 01-Jan-60 00:00:00 GMT", kNow), WallTime(2'840'140'800'000));
}

TEST(DeliveryVerdict, ClassifiesStatuses) {
  struct Case {
    unsigned status;
    DeliveryVerdict want;
  };
  const Case cases[] = {
      {200, DeliveryVerdict::kDelivered}, {202, DeliveryVerdict::kDelivered},
      {204, DeliveryVerdict::kDelivered}, {299, DeliveryVerdict::kDelivered},
      {410, DeliveryVerdict::kGone},      {429, DeliveryVerdict::kThrottled},
      {503, DeliveryVerdict::kThrottled}, {500, DeliveryVerdict::kRetry},
      {502, DeliveryVerdict::kRetry},     {504, DeliveryVerdict::kRetry},
      {408, DeliveryVerdict::kRetry},     {400, DeliveryVerdict::kReject},
      {401, DeliveryVerdict::kReject},    {404, DeliveryVerdict::kReject},
      {413, DeliveryVerdict::kReject},    {301, DeliveryVerdict::kReject},
      {101, DeliveryVerdict::kReject},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.status);
    EXPECT_EQ(classify_status(c.status), c.want);
  }
}

}  // namespace
}  // namespace eddy
