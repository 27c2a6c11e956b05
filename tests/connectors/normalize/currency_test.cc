#include "connectors/normalize/currency.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace eddy {
namespace {

TEST(Iso4217, TableIsSortedUniqueAndWellFormed) {
  const auto table = iso4217_currencies();
  EXPECT_GE(table.size(), 150u);
  std::set<std::string_view> codes;
  for (size_t i = 0; i < table.size(); ++i) {
    const CurrencyInfo& c = table[i];
    SCOPED_TRACE(std::string(c.code));
    ASSERT_EQ(c.code.size(), 3u);
    for (char ch : c.code)
      EXPECT_TRUE(ch >= 'A' && ch <= 'Z');
    EXPECT_LE(c.minor_digits, 4);
    EXPECT_TRUE(codes.insert(c.code).second) << "duplicate";
    if (i > 0) {
      EXPECT_LT(table[i - 1].code, c.code) << "the lookup needs sorted codes";
    }
  }
}

TEST(Iso4217, KnowsTheMinorUnitsThatDifferFromTwo) {
  const struct {
    const char* code;
    int minor_digits;
  } cases[] = {{"EUR", 2}, {"USD", 2}, {"GBP", 2}, {"CHF", 2}, {"JPY", 0}, {"KRW", 0},
               {"VND", 0}, {"ISK", 0}, {"CLP", 0}, {"XOF", 0}, {"BHD", 3}, {"KWD", 3},
               {"JOD", 3}, {"OMR", 3}, {"TND", 3}, {"CLF", 4}, {"UYW", 4}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.code);
    const Result<CurrencyInfo> info = normalize_currency(c.code);
    ASSERT_TRUE(info.is_ok()) << info.status().to_string();
    EXPECT_EQ(info->minor_digits, c.minor_digits);
  }
}

TEST(Iso4217, FindsEveryCodeInAnyCase) {
  for (const CurrencyInfo& c : iso4217_currencies()) {
    std::string lower(c.code);
    for (char& ch : lower)
      ch = static_cast<char>(ch - 'A' + 'a');
    const Result<CurrencyInfo> info = normalize_currency(" " + lower + "\t");
    ASSERT_TRUE(info.is_ok()) << lower;
    EXPECT_EQ(info->code, c.code);
  }
}

TEST(Iso4217, NamesTheUnknownCodeInItsMessage) {
  const Result<CurrencyInfo> info = normalize_currency("BTC");
  ASSERT_FALSE(info.is_ok());
  EXPECT_EQ(info.status().code(), Errc::kInvalidArgument);
  EXPECT_NE(info.status().message().find("'BTC'"), std::string::npos);
  EXPECT_NE(info.status().message().find("ISO 4217"), std::string::npos);
}

}  // namespace
}  // namespace eddy
