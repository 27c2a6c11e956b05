#include "connectors/normalize/money.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace eddy {
namespace {

struct Case {
  const char* amount;
  const char* currency;
  int64_t ten_thousandths;
  const char* code;
};

TEST(NormalizeMoney, ParsesDecimalStringsExactly) {
  const Case cases[] = {
      {"19.99", "EUR", 199'900, "EUR"},
      {"0.1", "usd", 1'000, "USD"},
      {"0.01", "USD", 100, "USD"},
      {"1200", "JPY", 12'000'000, "JPY"},
      {"1200.00", " gbp ", 12'000'000, "GBP"},
      {"  -5.5  ", "EUR", -55'000, "EUR"},
      {"+3", "EUR", 30'000, "EUR"},
      {"007.50", "EUR", 75'000, "EUR"},
      {"-0", "EUR", 0, "EUR"},
      {"1.234", "KWD", 12'340, "KWD"},
      {"0.0035", "USD", 35, "USD"},  // sub-cent unit prices are kept
      {"1.2345", "CLF", 12'345, "CLF"},
      {"922337203685477.5807", "USD", INT64_MAX, "USD"},
      {"-922337203685477.5807", "USD", -INT64_MAX, "USD"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.amount) + " " + c.currency);
    const Result<Money> money = normalize_money(std::string_view(c.amount), c.currency);
    ASSERT_TRUE(money.is_ok()) << money.status().to_string();
    EXPECT_EQ(money->ten_thousandths, c.ten_thousandths);
    EXPECT_EQ(money->currency, c.code);
  }
}

TEST(NormalizeMoney, NineteenNinetyNineIsExactlyNineteenNinetyNineCents) {
  const Result<Money> money = normalize_money(std::string_view("19.99"), "EUR");
  ASSERT_TRUE(money.is_ok());
  EXPECT_EQ(money->minor_units(), 1999);
  EXPECT_EQ(money->minor_digits, 2);
  // Every cent amount up to 100.00 survives the trip, which a parse through double would not
  // guarantee once scaled and truncated.
  for (int cents = 0; cents <= 10'000; ++cents) {
    const std::string text = std::to_string(cents / 100) + "." + (cents % 100 < 10 ? "0" : "") +
                             std::to_string(cents % 100);
    const Result<Money> m = normalize_money(std::string_view(text), "EUR");
    ASSERT_TRUE(m.is_ok()) << text;
    ASSERT_EQ(m->minor_units(), cents) << text;
    ASSERT_EQ(m->ten_thousandths, int64_t{cents} * 100) << text;
  }
}

TEST(NormalizeMoney, RoundsDigitsBeyondFourPlacesHalfToEven) {
  const Case cases[] = {
      {"19.990000000000002", "USD", 199'900, "USD"},  // what JavaScript prints
      {"0.00005", "USD", 0, "USD"},                   // half, to the even 0
      {"0.00015", "USD", 2, "USD"},                   // half, to the even 2
      {"0.00025", "USD", 2, "USD"},
      {"0.000250001", "USD", 3, "USD"},  // more than half
      {"0.00024999", "USD", 2, "USD"},
      {"-0.00015", "USD", -2, "USD"},  // symmetric around zero
      {"1.99999", "USD", 20'000, "USD"},
      {"9.99995", "USD", 100'000, "USD"},  // the carry reaches the whole part
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.amount);
    const Result<Money> money = normalize_money(std::string_view(c.amount), c.currency);
    ASSERT_TRUE(money.is_ok()) << money.status().to_string();
    EXPECT_EQ(money->ten_thousandths, c.ten_thousandths);
  }
}

TEST(NormalizeMoney, GivesMinorUnitsRoundedHalfToEven) {
  auto minor = [](const char* amount, const char* currency) {
    return normalize_money(std::string_view(amount), currency)->minor_units();
  };
  EXPECT_EQ(minor("19.99", "EUR"), 1999);
  EXPECT_EQ(minor("0.005", "EUR"), 0);
  EXPECT_EQ(minor("0.015", "EUR"), 2);
  EXPECT_EQ(minor("0.0151", "EUR"), 2);
  EXPECT_EQ(minor("-0.015", "EUR"), -2);
  EXPECT_EQ(minor("-0.025", "EUR"), -2);
  EXPECT_EQ(minor("1200", "JPY"), 1200);
  EXPECT_EQ(minor("1200.5", "JPY"), 1200);
  EXPECT_EQ(minor("1201.5", "JPY"), 1202);
  EXPECT_EQ(minor("1.234", "KWD"), 1234);
  EXPECT_EQ(minor("1.2345", "CLF"), 12345);
}

TEST(NormalizeMoney, RoundsJsonDoublesToTheMinorUnitAsWritten) {
  const struct {
    double amount;
    const char* currency;
    int64_t ten_thousandths;
  } cases[] = {
      {19.99, "EUR", 199'900},
      {0.1 + 0.2, "EUR", 3'000},  // 0.30000000000000004
      {2.675, "EUR", 26'800},     // stored as 2.67499999..., written and rounded as 2.675
      {2.665, "EUR", 26'600},     // half to even
      {0.125, "EUR", 1'200},
      {1200.4, "JPY", 12'000'000},
      {1200.5, "JPY", 12'000'000},
      {1201.5, "JPY", 12'020'000},
      {1.2345, "KWD", 12'340},
      {-19.99, "USD", -199'900},
      {0.0, "USD", 0},
      {5e-324, "USD", 0},
      {123456789.12, "USD", 1'234'567'891'200},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::to_string(c.amount) + " " + c.currency);
    const Result<Money> money = normalize_money(c.amount, c.currency);
    ASSERT_TRUE(money.is_ok()) << money.status().to_string();
    EXPECT_EQ(money->ten_thousandths, c.ten_thousandths);
  }
}

struct Bad {
  std::string amount;
  const char* currency;
  const char* word;
};

TEST(NormalizeMoney, RefusesWhatIsNoAmountSayingWhy) {
  const Bad cases[] = {
      {"", "EUR", "empty"},
      {"   ", "EUR", "empty"},
      {"1,234.56", "USD", "thousands separators"},
      {"19,99", "EUR", "decimal mark"},
      {"$19.99", "USD", "digits"},
      {"19.99 EUR", "EUR", "digits"},
      {"1e3", "EUR", "digits"},
      {"--1", "EUR", "digits"},
      {"-", "EUR", "digit before"},
      {".5", "EUR", "digit before"},
      {"5.", "EUR", "digit after"},
      {"1.2.3", "EUR", "digits"},
      {"abc", "EUR", "digits"},
      {"922337203685477.5808", "USD", "too large"},
      {"99999999999999999999", "USD", "too large"},
      {"1" + std::string(400, '0'), "USD", "too large"},
      {"1", "", "currency"},
      {"1", "EURO", "currency"},
      {"1", "ZZZ", "currency"},
      {"1", "HRK", "currency"},  // withdrawn when Croatia took the euro
      {"1", "XAU", "currency"},  // gold is no shop currency
      {"1", "€", "currency"},
  };
  for (const Bad& c : cases) {
    SCOPED_TRACE(c.amount + " " + c.currency);
    const Result<Money> money = normalize_money(std::string_view(c.amount), c.currency);
    ASSERT_FALSE(money.is_ok()) << money->ten_thousandths;
    EXPECT_EQ(money.status().code(), Errc::kInvalidArgument);
    EXPECT_NE(money.status().message().find(c.word), std::string::npos) << money.status().message();
  }
}

TEST(NormalizeMoney, RefusesDoublesThatAreNoAmount) {
  const double cases[] = {std::numeric_limits<double>::infinity(),
                          -std::numeric_limits<double>::infinity(),
                          std::numeric_limits<double>::quiet_NaN(),
                          1e300,
                          -1e300,
                          1e15};
  for (double amount : cases) {
    SCOPED_TRACE(amount);
    const Result<Money> money = normalize_money(amount, "USD");
    ASSERT_FALSE(money.is_ok());
    EXPECT_EQ(money.status().code(), Errc::kInvalidArgument);
  }
  EXPECT_FALSE(normalize_money(1.0, "XYZ").is_ok());
}

}  // namespace
}  // namespace eddy
