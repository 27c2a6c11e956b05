#include "operators/customer_index.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace eddy {
namespace {

using Outcome = CustomerIndex::Outcome;

CustomerRecord person(std::string id, std::string first, std::string last, std::string email,
                      std::string phone = {}) {
  CustomerRecord r;
  r.id = std::move(id);
  r.first_name = std::move(first);
  r.last_name = std::move(last);
  r.email = std::move(email);
  r.phone = std::move(phone);
  return r;
}

CustomerRecord at_address(CustomerRecord r, std::string street, std::string postcode) {
  r.street = std::move(street);
  r.postcode = std::move(postcode);
  r.country = "DE";
  return r;
}

TEST(CustomerIndex, AnImportRecordJoinsTheCustomerItMatchesAndANewOneStartsItsOwn) {
  CustomerIndex index;
  auto first = index.add(person("crm:1", "anna", "schmidt", "anna@example.com"), false);
  EXPECT_EQ(first.outcome, Outcome::kCreated);
  EXPECT_EQ(first.customer, "crm:1");

  auto same_email = index.add(person("crm:2", "anna", "schmit", "anna@example.com"), false);
  EXPECT_EQ(same_email.outcome, Outcome::kMerged);
  EXPECT_EQ(same_email.customer, "crm:1");
  EXPECT_EQ(same_email.matched, "crm:1");
  EXPECT_EQ(same_email.reason, MatchReason::kEmail);

  auto same_phone = index.add(person("crm:3", "anna", "schmidt", "", "+4930123456"), false);
  EXPECT_EQ(same_phone.outcome, Outcome::kCreated) << "no record had that phone yet";
  auto phone_again = index.add(person("crm:4", "anna", "schmidt", "", "+4930123456"), false);
  EXPECT_EQ(phone_again.reason, MatchReason::kPhone);
  EXPECT_EQ(phone_again.customer, "crm:3");

  EXPECT_EQ(index.record_count(), 4u);
  EXPECT_EQ(index.customer_count(), 2u);
  EXPECT_EQ(index.customer_of("crm:2"), "crm:1");
  EXPECT_EQ(index.customer_of("crm:9"), "");
}

TEST(CustomerIndex, SimilarNamesAtOneAddressMatchAndASiblingThereDoesNot) {
  CustomerIndex index;
  index.add(at_address(person("r1", "katharina", "mueller", ""), "hauptstrasse 5", "10115"), false);
  auto typo = index.add(
      at_address(person("r2", "katharina", "muller", ""), "hauptstrase 5", "10115"), false);
  EXPECT_EQ(typo.outcome, Outcome::kMerged);
  EXPECT_EQ(typo.reason, MatchReason::kNameAndAddress);
  EXPECT_GE(typo.score, 0.9);
  auto sister = index.add(
      at_address(person("r3", "johanna", "mueller", ""), "hauptstrasse 5", "10115"), false);
  EXPECT_EQ(sister.outcome, Outcome::kCreated);
}

TEST(CustomerIndex, ARecordWithoutAGivenNameDoesNotBridgeAHousehold) {
  CustomerIndex index;
  index.add(person("mother", "maria", "weber", "", "+4930111111"), false);
  // The son shares the landline, but his given name conflicts: a customer of his own.
  EXPECT_EQ(index.add(person("son", "jonas", "weber", "", "+4930111111"), false).outcome,
            Outcome::kCreated);
  // A record with the landline and no given name matches both; it joins the one it matched first
  // and never lets the other in afterwards.
  auto bare = index.add(person("bare", "", "weber", "", "+4930111111"), false);
  EXPECT_EQ(bare.outcome, Outcome::kMerged);
  EXPECT_EQ(bare.customer, "mother");
  EXPECT_EQ(index.customer_count(), 2u);
}

TEST(CustomerIndex, AUsersRecordTakesOverACustomerOfImportsButNeverAnotherUsers) {
  CustomerIndex index;
  index.add(person("crm:1", "li", "wang", "li@example.com"), false);
  index.add(person("crm:2", "li", "wang", "li@example.com"), false);
  auto linked = index.add(person("u1", "li", "wang", "li@example.com"), true);
  EXPECT_EQ(linked.outcome, Outcome::kLinked);
  EXPECT_EQ(linked.customer, "u1");
  EXPECT_EQ(linked.absorbed, std::vector<std::string>{"crm:1"});
  EXPECT_EQ(index.customer_of("crm:2"), "u1");

  // Later imports join the user's customer.
  EXPECT_EQ(index.add(person("crm:3", "li", "wang", "li@example.com"), false).customer, "u1");

  auto other_user = index.add(person("u2", "li", "wang", "li@example.com"), true);
  EXPECT_EQ(other_user.outcome, Outcome::kConflict);
  EXPECT_EQ(other_user.customer, "u2");
  EXPECT_EQ(other_user.matched, "crm:1");
  EXPECT_EQ(index.customer_count(), 2u);
}

TEST(CustomerIndex, ARecordThatMatchesTwoCustomersJoinsThemIntoOne) {
  CustomerIndex index;
  // One person twice, with nothing in common the matcher could use between the two records.
  index.add(person("crm:1", "jan", "novak", "jan@example.com"), false);
  index.add(person("crm:2", "jan", "novak", "", "+420601123456"), false);
  ASSERT_EQ(index.customer_count(), 2u);
  auto bridge =
      index.add(person("crm:3", "jan", "novak", "jan@example.com", "+420601123456"), false);
  EXPECT_EQ(bridge.outcome, Outcome::kMerged);
  EXPECT_EQ(bridge.customer, "crm:1");
  EXPECT_EQ(bridge.absorbed, std::vector<std::string>{"crm:2"});
  EXPECT_EQ(index.customer_count(), 1u);
  EXPECT_EQ(index.customer_of("crm:2"), "crm:1");

  // Two users' customers are never joined: the record joins the best and leaves the other.
  index.add(person("u1", "eva", "kral", "eva@example.com"), true);
  index.add(person("u2", "eva", "kral", "", "+420601999999"), true);
  auto both = index.add(person("crm:4", "eva", "kral", "eva@example.com", "+420601999999"), false);
  EXPECT_TRUE(both.absorbed.empty());
  EXPECT_EQ(index.customer_of("u1"), "u1");
  EXPECT_EQ(index.customer_of("u2"), "u2");
}

TEST(CustomerIndex, AnImportThatBridgesToAUsersCustomerTakesTheUserId) {
  CustomerIndex index;
  index.add(person("crm:1", "ida", "berg", "", "+4670111111"), false);
  index.add(person("u1", "ida", "berg", "ida@example.com"), true);
  auto bridge = index.add(person("crm:2", "ida", "berg", "ida@example.com", "+4670111111"), false);
  EXPECT_EQ(bridge.customer, "u1");
  EXPECT_EQ(bridge.absorbed, std::vector<std::string>{"crm:1"});
  EXPECT_EQ(index.customer_of("crm:1"), "u1");
}

TEST(CustomerIndex, ARecordSeenAgainIsUpdatedInPlace) {
  CustomerIndex index;
  index.add(person("crm:1", "ole", "hansen", "ole@example.com"), false);
  auto again = index.add(person("crm:1", "ole", "hansen", "ole.hansen@example.com"), false);
  EXPECT_EQ(again.outcome, Outcome::kUpdated);
  EXPECT_EQ(again.customer, "crm:1");
  EXPECT_EQ(index.record_count(), 1u);
  // Found by its new email, no longer by its old one.
  EXPECT_EQ(index.add(person("crm:2", "ole", "hansen", "ole.hansen@example.com"), false).outcome,
            Outcome::kMerged);
  EXPECT_EQ(index.add(person("crm:3", "ole", "hansen", "ole@example.com"), false).outcome,
            Outcome::kCreated);
}

TEST(CustomerIndex, APlaceholderSharedByTooManyRecordsStopsDecidingMatches) {
  MatchSettings settings;
  settings.max_candidates_per_key = 3;
  CustomerIndex index(settings);
  const std::string placeholder = "noemail@example.com";
  const std::vector<std::string> names = {"adam", "berta", "carl", "dora", "emil", "frida"};
  // Different people, all with the shop's placeholder email. The first few conflict by given
  // name and stay apart anyway; once more than three share the email it finds no one at all.
  for (size_t i = 0; i < names.size(); ++i) {
    auto d = index.add(person("r" + std::to_string(i), names[i], "klein", placeholder), false);
    EXPECT_EQ(d.outcome, Outcome::kCreated) << names[i];
  }
  EXPECT_EQ(index.placeholder_keys(), 1u);
  // Without given names to tell them apart, only the placeholder would join them: it no longer
  // may.
  EXPECT_EQ(index.add(person("r9", "", "klein", placeholder), false).outcome, Outcome::kCreated);
  // The rest of the record still counts.
  index.add(person("r10", "gustav", "klein", placeholder, "+4940222222"), false);
  EXPECT_EQ(index.add(person("r11", "gustav", "klein", placeholder, "+4940222222"), false).reason,
            MatchReason::kPhone);
}

TEST(CustomerIndex, ErasingACustomerForgetsEveryRecordOfIt) {
  CustomerIndex index;
  index.add(person("crm:1", "eva", "lind", "eva@example.com"), false);
  index.add(person("crm:2", "eva", "lind", "eva@example.com"), false);
  index.add(person("crm:3", "per", "lind", "per@example.com"), false);
  EXPECT_EQ(index.erase_customer("crm:1"), 2u);
  EXPECT_EQ(index.erase_customer("crm:1"), 0u);
  EXPECT_EQ(index.customer_of("crm:2"), "");
  EXPECT_EQ(index.record_count(), 1u);
  StateWriter out;
  index.write(out);
  EXPECT_EQ(out.bytes().find("eva"), std::string::npos) << "no byte of the erased customer is left";
  auto again = index.add(person("crm:4", "eva", "lind", "eva@example.com"), false);
  EXPECT_EQ(again.outcome, Outcome::kCreated);
  EXPECT_EQ(again.customer, "crm:4");
}

// Restoring what write() wrote and going on decides exactly as the index that never stopped.
TEST(CustomerIndex, ARestoredIndexDecidesAsTheOneThatNeverStopped) {
  MatchSettings settings;
  settings.max_candidates_per_key = 4;
  CustomerIndex live(settings);
  const auto first_half = [](CustomerIndex& index) {
    for (int i = 0; i < 40; ++i) {
      const std::string n = std::to_string(i % 7);
      index.add(person("a" + std::to_string(i), "name" + n, "family" + n,
                       "mail" + std::to_string(i % 9) + "@example.com"),
                i % 11 == 0);
    }
    index.erase_customer("a3");
    index.erase_customer("a5");
  };
  first_half(live);
  StateWriter out;
  live.write(out);
  CustomerIndex restored(settings);
  StateReader in(out.bytes());
  ASSERT_TRUE(restored.read(in).is_ok());
  EXPECT_EQ(restored.record_count(), live.record_count());
  EXPECT_EQ(restored.customer_count(), live.customer_count());
  EXPECT_EQ(restored.placeholder_keys(), live.placeholder_keys());
  for (int i = 0; i < 40; ++i) {
    const std::string n = std::to_string(i % 5);
    const CustomerRecord r = person("b" + std::to_string(i), "name" + n, "family" + n,
                                    "mail" + std::to_string(i % 6) + "@example.com");
    const auto a = live.add(r, i % 13 == 0);
    const auto b = restored.add(r, i % 13 == 0);
    EXPECT_EQ(a.outcome, b.outcome) << r.id;
    EXPECT_EQ(a.customer, b.customer) << r.id;
    EXPECT_EQ(a.matched, b.matched) << r.id;
  }
}

TEST(CustomerIndex, ATruncatedStateIsRefused) {
  CustomerIndex index;
  index.add(person("crm:1", "eva", "lind", "eva@example.com"), false);
  StateWriter out;
  index.write(out);
  const std::string cut = out.bytes().substr(0, out.size() - 5);
  StateReader in(cut);
  CustomerIndex restored;
  EXPECT_FALSE(restored.read(in).is_ok());
}

}  // namespace
}  // namespace eddy
