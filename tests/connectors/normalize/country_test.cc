#include "connectors/normalize/country.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace eddy {
namespace {

bool is_upper(std::string_view code) {
  for (char c : code) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

TEST(Iso3166, TableHas249EntriesWithUniqueWellFormedCodes) {
  const auto table = iso3166_countries();
  ASSERT_EQ(table.size(), 249u);
  std::set<std::string_view> alpha2, alpha3, names;
  std::set<uint16_t> numeric;
  for (const CountryInfo& c : table) {
    SCOPED_TRACE(std::string(c.alpha2));
    EXPECT_EQ(c.alpha2.size(), 2u);
    EXPECT_EQ(c.alpha3.size(), 3u);
    EXPECT_TRUE(is_upper(c.alpha2) && is_upper(c.alpha3));
    EXPECT_GE(c.numeric, 4);
    EXPECT_LE(c.numeric, 999);
    EXPECT_FALSE(c.name.empty());
    EXPECT_TRUE(alpha2.insert(c.alpha2).second) << "duplicate alpha-2";
    EXPECT_TRUE(alpha3.insert(c.alpha3).second) << "duplicate alpha-3";
    EXPECT_TRUE(numeric.insert(c.numeric).second) << "duplicate numeric";
    EXPECT_TRUE(names.insert(c.name).second) << "duplicate name";
  }
}

TEST(Iso3166, EveryCodeAndNameMapsBackToItsOwnAlpha2) {
  for (const CountryInfo& c : iso3166_countries()) {
    SCOPED_TRACE(std::string(c.name));
    const std::string numeric = std::to_string(c.numeric);
    for (std::string_view form : {c.alpha2, c.alpha3, c.name, std::string_view(numeric)}) {
      const Result<std::string> code = normalize_country(form);
      ASSERT_TRUE(code.is_ok()) << form << ": " << code.status().to_string();
      EXPECT_EQ(*code, c.alpha2) << form;
    }
  }
}

struct Case {
  const char* raw;
  const char* alpha2;
};

TEST(NormalizeCountry, ReadsTheVariantsCustomersAndSystemsWrite) {
  const Case cases[] = {
      {"US", "US"},
      {"us", "US"},
      {"USA", "US"},
      {"usa", "US"},
      {"U.S.", "US"},
      {"U.S.A.", "US"},
      {"United States", "US"},
      {"united states of america", "US"},
      {"The United States", "US"},
      {"840", "US"},
      {"UK", "GB"},
      {"GB", "GB"},
      {"GBR", "GB"},
      {"Great Britain", "GB"},
      {"United Kingdom", "GB"},
      {"England", "GB"},
      {"Scotland", "GB"},
      {"Deutschland", "DE"},
      {"Germany", "DE"},
      {"germany", "DE"},
      {"  GERMANY \n", "DE"},
      {"DEU", "DE"},
      {"276", "DE"},
      {"de", "DE"},
      {"Czechia", "CZ"},
      {"Czech Republic", "CZ"},
      {"Türkiye", "TR"},
      {"TÜRKIYE", "TR"},
      {"Turkiye", "TR"},
      {"Turkey", "TR"},
      {"South Korea", "KR"},
      {"Korea, Republic of", "KR"},
      {"Republic of Korea", "KR"},
      {"North Korea", "KP"},
      {"Russia", "RU"},
      {"Russian Federation", "RU"},
      {"Viet Nam", "VN"},
      {"Vietnam", "VN"},
      {"Côte d'Ivoire", "CI"},
      {"Cote d'Ivoire", "CI"},
      {"Côte d\u2019Ivoire", "CI"},
      {"Ivory Coast", "CI"},
      {"Curacao", "CW"},
      {"Åland Islands", "AX"},
      {"Reunion", "RE"},
      {"St. Lucia", "LC"},
      {"St Kitts and Nevis", "KN"},
      {"Saint Barthelemy", "BL"},
      {"The Netherlands", "NL"},
      {"Holland", "NL"},
      {"the   bahamas", "BS"},
      {"Gambia", "GM"},
      {"Bolivia", "BO"},
      {"Iran", "IR"},
      {"Taiwan", "TW"},
      {"Hong Kong", "HK"},
      {"UAE", "AE"},
      {"España", "ES"},
      {"Österreich", "AT"},
      {"Schweiz", "CH"},
      {"DR Congo", "CD"},
      {"Congo", "CG"},
      {"Guinea-Bissau", "GW"},
      {"Virgin Islands (U.S.)", "VI"},
      {"US Virgin Islands", "VI"},
      {"British Virgin Islands", "VG"},
      {"76", "BR"},
      {"076", "BR"},
      {"0076", "BR"},
      {"4", "AF"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.raw);
    const Result<std::string> code = normalize_country(c.raw);
    ASSERT_TRUE(code.is_ok()) << code.status().to_string();
    EXPECT_EQ(*code, c.alpha2);
  }
}

TEST(NormalizeCountry, RefusesWhatNamesNoCountrySayingWhy) {
  const char* cases[] = {"XX", "ZZZ",    "Atlantis",       "0",    "999", "1000", "U S A", "Europe",
                         "EU", "Kosovo", "Virgin Islands", "-276", "D E"};
  for (const char* raw : cases) {
    SCOPED_TRACE(raw);
    const Result<std::string> code = normalize_country(raw);
    ASSERT_FALSE(code.is_ok()) << *code;
    EXPECT_EQ(code.status().code(), Errc::kInvalidArgument);
    EXPECT_NE(code.status().message().find("unknown country"), std::string::npos);
    EXPECT_NE(code.status().message().find(raw), std::string::npos) << "quotes the input";
  }
  const Result<std::string> empty = normalize_country("  ");
  ASSERT_FALSE(empty.is_ok());
  EXPECT_NE(empty.status().message().find("empty"), std::string::npos);
}

}  // namespace
}  // namespace eddy
