#include "connectors/match/blocking_keys.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "tests/connectors/match/customer_dataset.h"

namespace eddy {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAreArray;

CustomerRecord ann_smith() {
  CustomerRecord r;
  r.id = "1";
  r.email = "ann.smith@example.com";
  r.phone = "+447911123456";
  r.first_name = "ann";
  r.last_name = "smith";
  r.street = "10 high street";
  r.postcode = "SW1A1AA";
  return r;
}

bool share_a_key(const CustomerRecord& a, const CustomerRecord& b) {
  const std::vector<std::string> keys = blocking_keys(a);
  for (const std::string& key : blocking_keys(b)) {
    if (std::find(keys.begin(), keys.end(), key) != keys.end()) return true;
  }
  return false;
}

TEST(BlockingKeys, GivesEmailPhoneAndTwoNameKeysPrefixedWithWhatTheyAreMadeOf) {
  EXPECT_THAT(blocking_keys(ann_smith()), ElementsAre("e:ann.smith@example.com", "p:+447911123456",
                                                      "n:smith+a|SW1A1AA", "n:an+s|SW1A1AA"));
}

TEST(BlockingKeys, GivesOnlyTheKeysWhosePartsArePresent) {
  CustomerRecord r = ann_smith();
  r.email.clear();
  EXPECT_THAT(blocking_keys(r),
              ElementsAre("p:+447911123456", "n:smith+a|SW1A1AA", "n:an+s|SW1A1AA"));
  r.postcode.clear();
  EXPECT_THAT(blocking_keys(r), ElementsAre("p:+447911123456"));
  r = ann_smith();
  r.first_name.clear();
  EXPECT_THAT(blocking_keys(r), ElementsAre("e:ann.smith@example.com", "p:+447911123456"));
  CustomerRecord only_an_id;
  only_an_id.id = "2";
  EXPECT_THAT(blocking_keys(only_an_id), IsEmpty());
}

TEST(BlockingKeys, AreTheSameWhenFirstAndLastNameAreSwapped) {
  CustomerRecord swapped = ann_smith();
  std::swap(swapped.first_name, swapped.last_name);
  EXPECT_THAT(blocking_keys(swapped), UnorderedElementsAreArray(blocking_keys(ann_smith())));
}

TEST(BlockingKeys, SurviveATypoInEitherNameAwayFromItsFirstLetter) {
  const char* const first_names[] = {"anm", "an", "aann"};
  const char* const last_names[] = {"smiht", "smth", "snith", "smithh"};
  for (const char* first : first_names) {
    CustomerRecord typo = ann_smith();
    typo.email.clear();
    typo.phone.clear();
    typo.first_name = first;
    SCOPED_TRACE(first);
    EXPECT_TRUE(share_a_key(typo, ann_smith()));
  }
  for (const char* last : last_names) {
    CustomerRecord typo = ann_smith();
    typo.email.clear();
    typo.phone.clear();
    typo.last_name = last;
    SCOPED_TRACE(last);
    EXPECT_TRUE(share_a_key(typo, ann_smith()));
  }
}

TEST(BlockingKeys, SpellUmlautsWrittenOutAndDoubledLettersAsOne) {
  CustomerRecord a = ann_smith();
  a.first_name = "jurgen";
  a.last_name = "muller";
  a.postcode = "10115";
  CustomerRecord b = a;
  b.first_name = "juergen";  // "Jürgen" written out: differs from "jurgen" in both names
  b.last_name = "mueller";
  EXPECT_EQ(blocking_keys(a), blocking_keys(b));
  a.last_name = "schmitt";
  b.last_name = "schmit";
  b.first_name = "jurgen";
  EXPECT_EQ(blocking_keys(a), blocking_keys(b));
}

TEST(BlockingKeys, DoNotJoinAHouseholdOrNamesakesElsewhere) {
  CustomerRecord sister = ann_smith();
  sister.email = "kate.smith@example.com";
  sister.phone = "+447911654321";
  sister.first_name = "kate";
  EXPECT_FALSE(share_a_key(sister, ann_smith()));
  CustomerRecord namesake = ann_smith();
  namesake.email = "ann.smith2@example.com";
  namesake.phone = "+447911654321";
  namesake.postcode = "M11AE";
  EXPECT_FALSE(share_a_key(namesake, ann_smith()));
}

// The reason for the shape of the name keys, measured: of the duplicate pairs in the data set
// whose names differ (a typo, a respelling, a swap) but that have both names and one postcode,
// how many share a name key. The header gives the numbers for other shapes of key.
TEST(BlockingKeys, FindMostDuplicatePairsWhoseNamesDifferInTheDataSet) {
  std::map<size_t, std::vector<CustomerRecord>> by_person;
  for (const LabeledCustomer& c : generate_customer_dataset({.persons = 5000, .seed = 1})) {
    Result<CustomerRecord> record = normalize_customer_record(c.raw, kDatasetDefaultRegion);
    ASSERT_TRUE(record.is_ok()) << record.status().to_string();
    record->email.clear();  // name keys only
    record->phone.clear();
    by_person[c.person].push_back(std::move(*record));
  }
  size_t differing = 0;
  size_t found = 0;
  for (const auto& [person, records] : by_person) {
    for (size_t i = 0; i < records.size(); ++i) {
      for (size_t j = i + 1; j < records.size(); ++j) {
        const CustomerRecord& a = records[i];
        const CustomerRecord& b = records[j];
        if (a.first_name.empty() || b.first_name.empty() || a.postcode.empty() ||
            a.postcode != b.postcode) {
          continue;
        }
        const bool same_names = (a.first_name == b.first_name && a.last_name == b.last_name) ||
                                (a.first_name == b.last_name && a.last_name == b.first_name);
        if (same_names) continue;
        ++differing;
        found += share_a_key(a, b);
      }
    }
  }
  ASSERT_GT(differing, 3000u);
  const double share = static_cast<double>(found) / static_cast<double>(differing);
  std::cout << "name keys shared by " << found << " of " << differing
            << " duplicate pairs whose names differ (" << share << ")" << std::endl;
  EXPECT_GT(share, 0.93);
}

}  // namespace
}  // namespace eddy
