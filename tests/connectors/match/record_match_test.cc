#include "connectors/match/record_match.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/connectors/match/customer_dataset.h"

namespace eddy {
namespace {

CustomerRecord person(std::string first, std::string last) {
  CustomerRecord r;
  r.id = first + "." + last;
  r.first_name = std::move(first);
  r.last_name = std::move(last);
  r.street = "hauptstrasse 5";
  r.postcode = "10115";
  r.city = "berlin";
  r.country = "DE";
  return r;
}

CustomerRecord with_email(CustomerRecord r, std::string email) {
  r.email = std::move(email);
  return r;
}

CustomerRecord with_phone(CustomerRecord r, std::string phone) {
  r.phone = std::move(phone);
  return r;
}

const MatchSettings kSettings;

TEST(MatchRecords, TakesTheSameEmailAsTheSamePerson) {
  CustomerRecord a = with_email(person("ann", "smith"), "ann@example.com");
  CustomerRecord b = with_email(person("ann", "jones"), "ann@example.com");  // married since
  b.postcode = "80331";
  const MatchDecision d = match_records(a, b, kSettings);
  EXPECT_TRUE(d.same);
  EXPECT_EQ(d.reason, MatchReason::kEmail);
  EXPECT_EQ(d.score, 1.0);
}

TEST(MatchRecords, TakesTheSamePhoneAsTheSamePerson) {
  const CustomerRecord a = with_phone(person("ann", "smith"), "+4915123456789");
  CustomerRecord b;  // a bare record from a call centre: a surname and a number
  b.id = "x";
  b.last_name = "smith";
  b.phone = "+4915123456789";
  const MatchDecision d = match_records(a, b, kSettings);
  EXPECT_TRUE(d.same);
  EXPECT_EQ(d.reason, MatchReason::kPhone);
}

TEST(MatchRecords, KeepsApartAHouseholdSharingAnEmailOrALandline) {
  const CustomerRecord mother =
      with_phone(with_email(person("ann", "smith"), "smiths@example.com"), "+49301234567");
  const CustomerRecord son =
      with_phone(with_email(person("bob", "smith"), "smiths@example.com"), "+49301234567");
  const MatchDecision d = match_records(mother, son, kSettings);
  EXPECT_FALSE(d.same);
  EXPECT_EQ(d.reason, MatchReason::kNone);
  EXPECT_TRUE(given_names_conflict(mother, son, kSettings));
}

TEST(MatchRecords, LetsAnEmailOutweighATypoInAShortGivenName) {
  const CustomerRecord a = with_email(person("ann", "smith"), "ann@example.com");
  const CustomerRecord b = with_email(person("anm", "smith"), "ann@example.com");
  EXPECT_TRUE(match_records(a, b, kSettings).same);
  EXPECT_FALSE(given_names_conflict(a, b, kSettings));
}

TEST(MatchRecords, SeesNoConflictWhenAGivenNameIsMissing) {
  const CustomerRecord a = with_email(person("ann", "smith"), "ann@example.com");
  const CustomerRecord b = with_email(person("", "smith"), "ann@example.com");
  EXPECT_FALSE(given_names_conflict(a, b, kSettings));
  EXPECT_EQ(match_records(a, b, kSettings).reason, MatchReason::kEmail);
}

TEST(MatchRecords, TellsGenderedFormsOfAGivenNameApart) {
  const CustomerRecord daniel = with_email(person("daniel", "weber"), "weber@example.com");
  const CustomerRecord daniela = with_email(person("daniela", "weber"), "weber@example.com");
  EXPECT_TRUE(given_names_conflict(daniel, daniela, kSettings));
  EXPECT_FALSE(match_records(daniel, daniela, kSettings).same);
  EXPECT_FALSE(match_records(person("paul", "weber"), person("paula", "weber"), kSettings).same);
  EXPECT_FALSE(
      match_records(person("christian", "weber"), person("christiane", "weber"), kSettings).same);
  // Short names are spared: "Ann", "Anna" and "Anne" are more often one woman than two.
  EXPECT_TRUE(match_records(person("ann", "weber"), person("anna", "weber"), kSettings).same);
  EXPECT_TRUE(match_records(person("ann", "weber"), person("anne", "weber"), kSettings).same);
}

struct Pair {
  const char* why;
  CustomerRecord a;
  CustomerRecord b;
};

TEST(MatchRecords, MatchesSimilarNamesAtTheSameAddress) {
  CustomerRecord abbreviated = person("katharina", "schmidt");
  abbreviated.street = "hauptstrasse 5";  // "Hauptstr. 5" after normalize_street
  CustomerRecord other_number = person("katharina", "schmidt");
  other_number.street = "hauptstrasse 7";
  CustomerRecord no_country = person("katharina", "schmidt");
  no_country.country.clear();
  const Pair pairs[] = {
      {"identical", person("katharina", "schmidt"), person("katharina", "schmidt")},
      {"typo in the given name", person("katharina", "schmidt"), person("katarina", "schmidt")},
      {"typo in the family name", person("katharina", "schmidt"), person("katharina", "schmitd")},
      {"names swapped", person("katharina", "schmidt"), person("schmidt", "katharina")},
      {"swapped with a typo", person("katharina", "schmidt"), person("schmidt", "katharnia")},
      {"umlaut written out", person("jurgen", "muller"), person("juergen", "mueller")},
      {"house number mistyped", person("katharina", "schmidt"), other_number},
      {"country unknown", person("katharina", "schmidt"), no_country},
  };
  for (const Pair& p : pairs) {
    SCOPED_TRACE(p.why);
    const MatchDecision d = match_records(p.a, p.b, kSettings);
    EXPECT_TRUE(d.same) << d.score;
    EXPECT_EQ(d.reason, MatchReason::kNameAndAddress);
    EXPECT_GE(d.score, kSettings.threshold);
    EXPECT_LE(d.score, 1.0);
  }
}

TEST(MatchRecords, KeepsLookAlikesApart) {
  CustomerRecord moved = person("katharina", "schmidt");
  moved.postcode = "80331";
  moved.street = "lindenweg 2";
  CustomerRecord next_street = person("katharina", "schmidt");
  next_street.street = "gartenstrasse 12";
  CustomerRecord similar_street = person("katharina", "schmidt");
  similar_street.street = "schulstrasse 5";
  CustomerRecord other_similar_street = person("katharina", "schmidt");
  other_similar_street.street = "schillerstrasse 5";
  CustomerRecord abroad = person("katharina", "schmidt");
  abroad.country = "AT";  // Austrian postcodes have four digits, but a typo can make five
  CustomerRecord no_postcode = person("katharina", "schmidt");
  no_postcode.postcode.clear();
  CustomerRecord no_street = person("katharina", "schmidt");
  no_street.street.clear();
  const Pair pairs[] = {
      {"namesake in another postcode", person("katharina", "schmidt"), moved},
      {"namesake in another street", person("katharina", "schmidt"), next_street},
      {"namesake in a similar street", similar_street, other_similar_street},
      {"another country", person("katharina", "schmidt"), abroad},
      {"sister", person("katharina", "schmidt"), person("johanna", "schmidt")},
      {"brother", person("katharina", "schmidt"), person("thomas", "schmidt")},
      {"similar given names", person("anna", "schmidt"), person("hanna", "schmidt")},
      {"another family", person("katharina", "schmidt"), person("katharina", "schneider")},
      {"no postcode to compare", person("katharina", "schmidt"), no_postcode},
      {"no street to compare", person("katharina", "schmidt"), no_street},
      {"no given name", person("katharina", "schmidt"), person("", "schmidt")},
  };
  for (const Pair& p : pairs) {
    SCOPED_TRACE(p.why);
    const MatchDecision d = match_records(p.a, p.b, kSettings);
    EXPECT_FALSE(d.same) << d.score;
    EXPECT_EQ(d.reason, MatchReason::kNone);
  }
}

TEST(MatchRecords, DoesNotMatchSimilarEmailsThatDiffer) {
  CustomerRecord a = with_email(person("ann", "smith"), "ann.smith@example.com");
  CustomerRecord b = with_email(person("bob", "jones"), "ann.smith1@example.com");
  b.postcode = "80331";
  EXPECT_FALSE(match_records(a, b, kSettings).same);
}

TEST(MatchRecords, FollowsItsSettings) {
  const CustomerRecord a = person("katharina", "schmidt");
  const CustomerRecord b = person("katarina", "schmidt");
  MatchSettings strict;
  strict.threshold = 0.999;
  EXPECT_FALSE(match_records(a, b, strict).same);
  MatchSettings names_only;
  names_only.name_weight = 1.0;
  names_only.min_street_similarity = 0.0;
  CustomerRecord other_street = b;
  other_street.street = "lindenweg 2";
  EXPECT_FALSE(match_records(a, other_street, kSettings).same);
  EXPECT_TRUE(match_records(a, other_street, names_only).same);
  MatchSettings lenient;
  lenient.conflicting_first_name_below = 0.0;
  const CustomerRecord mother = with_email(person("ann", "smith"), "smiths@example.com");
  const CustomerRecord son = with_email(person("bob", "smith"), "smiths@example.com");
  EXPECT_TRUE(match_records(mother, son, lenient).same);
}

TEST(MatchRecords, GivesTheSameAnswerBothWaysRound) {
  std::vector<CustomerRecord> records;
  for (const LabeledCustomer& c : generate_customer_dataset({.persons = 300, .seed = 5})) {
    Result<CustomerRecord> r = normalize_customer_record(c.raw, kDatasetDefaultRegion);
    ASSERT_TRUE(r.is_ok());
    records.push_back(std::move(*r));
  }
  for (size_t i = 0; i < records.size(); ++i) {
    for (size_t j = i + 1; j < records.size(); j += 7) {
      const MatchDecision ab = match_records(records[i], records[j], kSettings);
      const MatchDecision ba = match_records(records[j], records[i], kSettings);
      ASSERT_EQ(ab.same, ba.same) << records[i].id << " " << records[j].id;
      ASSERT_EQ(ab.reason, ba.reason);
      ASSERT_DOUBLE_EQ(ab.score, ba.score);
    }
  }
}

TEST(MatchReason, HasAStableName) {
  EXPECT_EQ(to_string(MatchReason::kNone), "none");
  EXPECT_EQ(to_string(MatchReason::kEmail), "email");
  EXPECT_EQ(to_string(MatchReason::kPhone), "phone");
  EXPECT_EQ(to_string(MatchReason::kNameAndAddress), "name_and_address");
}

}  // namespace
}  // namespace eddy
