// The master customer index through a real engine: the matcher in front of identity resolution,
// the profile stage behind it carrying out its links, on every worker count and batch size.
#include "operators/customer_matcher.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "operators/identity_resolver.h"
#include "runtime/identity_fields.h"
#include "runtime/topology_builder.h"
#include "tests/harness/harness.h"
#include "tests/harness/test_operators.h"

namespace eddy {
namespace {

using testing::ev;
using testing::Harness;
using testing::HarnessOptions;
using testing::Step;

TopologySpec topology() {
  auto spec = TopologyBuilder("matching", testing::test_registry())
                  .accept_types({"Product Viewed", "identify", "Identity Linked", "Customer Erased",
                                 "Customer Record", "Customer Matched"})
                  .stage("identity", "identifier")
                  .op("matcher", "customer_matcher")
                  .op("identity", "identity")
                  .sink("customer_matches", {"Customer Matched"})
                  .key_by("profiles", "customer", customer_key)
                  .op("merge", "identity_merge")
                  .op("traits", "traits")
                  .op("views", "keyed_counter", {{"label", "views"}, {"types", {"Product Viewed"}}})
                  .build();
  EXPECT_TRUE(spec.is_ok()) << spec.status().to_string();
  return std::move(spec).value();
}

// A record as an import sends it (connectors/match/customer_record_event.h), normalised already.
testing::EventMaker record(const std::string& id, const std::string& first, const std::string& last,
                           const std::string& email, int64_t t, bool known_user = false) {
  auto e = ev(std::string(kCustomerIndexKey), "Customer Record", t)
               .prop("record_id", id)
               .prop("m.first_name", first)
               .prop("m.last_name", last)
               .prop("m.email", email)
               .prop("traits.email", email)
               .prop("traits.last_name", last);
  if (known_user) e.flag("known_user", true);
  return e;
}

Step user_view(const std::string& user, int64_t t) {
  return ev(user, "Product Viewed", t).prop("user_id", user);
}

// Three imports of two people, a user who signs up as the first of them and views before and
// after, and a last import of that person, which now joins the user.
std::vector<Step> script() {
  return {record("crm:1", "anna", "schmidt", "anna@example.com", 1000),
          record("crm:2", "anna", "schmit", "anna@example.com", 1001),
          record("crm:3", "bob", "jones", "bob@example.com", 1002), user_view("u1", 1003),
          record("u1", "anna", "schmidt", "anna@example.com", 1004, /*known_user=*/true),
          user_view("u1", 1005), record("crm:4", "anna", "schmidt", "anna@example.com", 1006),
          // Bob again, by phone only: a customer of its own, until a record with both joins them.
          record("crm:5", "bob", "jones", "", 1007).prop("m.phone", "+447700900123"),
          record("crm:6", "bob", "jones", "bob@example.com", 1008).prop("m.phone", "+447700900123"),
          Step::watermark(2000)};
}

std::vector<std::string> linked(Harness& h, const std::string& customer) {
  std::vector<std::string> out;
  auto answer = h.query("profiles", customer);
  if (!answer) return out;
  for (const auto& id : answer->at("identities").at("linked").as_array())
    out.emplace_back(id.as_string());
  std::sort(out.begin(), out.end());
  return out;
}

std::map<std::string, std::string> outcomes(Harness& h) {
  std::map<std::string, std::string> out;
  for (const auto& r : h.sink("customer_matches")) {
    std::string id, outcome, customer;
    for (const auto& [name, value] : r.props) {
      if (name == "record_id") id = value;
      if (name == "outcome") outcome = value;
      if (name == "customer") customer = value;
    }
    out[id] = outcome + " " + customer;
  }
  return out;
}

TEST(CustomerMatcher, ImportsMergeAndAUserTakesOverTheCustomerItMatchesOnAnyWorkerCount) {
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    const HarnessOptions options = HarnessOptions::random(seed);
    SCOPED_TRACE(options.describe());
    auto h = Harness::create(topology(), options);
    ASSERT_TRUE(h.is_ok()) << h.status().to_string();
    ASSERT_TRUE((*h)->run(script()).is_ok());

    EXPECT_EQ(outcomes(**h), (std::map<std::string, std::string>{{"crm:1", "created crm:1"},
                                                                 {"crm:2", "merged crm:1"},
                                                                 {"crm:3", "created crm:3"},
                                                                 {"u1", "linked u1"},
                                                                 {"crm:4", "merged u1"},
                                                                 {"crm:5", "created crm:5"},
                                                                 {"crm:6", "merged crm:3"}}));
    auto user = (*h)->query("profiles", "u1");
    ASSERT_TRUE(user.is_ok());
    EXPECT_EQ(user->at("views").at("count").to_number<int64_t>(), 2);
    EXPECT_EQ(user->at("traits").at("last_name").as_string(), "schmidt");
    EXPECT_EQ(linked(**h, "u1"), (std::vector<std::string>{"crm:1", "crm:2", "crm:4"}));
    // Why each record is part of the customer stays on its profile, across the move.
    std::map<std::string, std::string> reasons;
    for (const auto& m : user->at("identities").at("matched").as_array()) {
      reasons[std::string(m.at("id").as_string())] =
          std::string(m.at("reason").as_string()) + " " + std::string(m.at("with").as_string());
    }
    EXPECT_EQ(reasons,
              (std::map<std::string, std::string>{
                  {"crm:1", "email crm:1"}, {"crm:2", "email crm:1"}, {"crm:4", "email crm:1"}}));
    EXPECT_FALSE((*h)->query("profiles", "crm:1").is_ok()) << "moved into the user's";
    EXPECT_FALSE((*h)->query("profiles", "crm:2").is_ok()) << "never a profile of its own";
    auto bob = (*h)->query("profiles", "crm:3");
    ASSERT_TRUE(bob.is_ok());
    EXPECT_EQ(bob->at("traits").at("email").as_string(), "bob@example.com");
    EXPECT_EQ(linked(**h, "crm:3"), (std::vector<std::string>{"crm:5", "crm:6"}));
    EXPECT_FALSE((*h)->query("profiles", "crm:5").is_ok()) << "moved into crm:3";

    auto index = (*h)->query("identity", std::string(kCustomerIndexKey));
    ASSERT_TRUE(index.is_ok());
    EXPECT_EQ(index->at("customer_index").at("records").to_number<int64_t>(), 7);
    EXPECT_EQ(index->at("customer_index").at("customers").to_number<int64_t>(), 2);
    EXPECT_TRUE((*h)->side_output("*").empty());
    EXPECT_TRUE((*h)->rejections().empty());
  }
}

TEST(CustomerMatcher, TwoUsersWithOneEmailStayTwoCustomers) {
  auto h = Harness::create(topology(), HarnessOptions{});
  ASSERT_TRUE(h.is_ok());
  ASSERT_TRUE(
      (*h)->run({record("u1", "sam", "lee", "sam@example.com", 1000, true),
                 record("u2", "sam", "lee", "sam@example.com", 1001, true), Step::watermark(2000)})
          .is_ok());
  const auto o = outcomes(**h);
  EXPECT_EQ(o.at("u1"), "created u1");
  EXPECT_EQ(o.at("u2"), "conflict u2");
}

TEST(CustomerMatcher, ErasureOnTheIndexKeyForgetsTheCustomersRecords) {
  auto h = Harness::create(topology(), HarnessOptions{});
  ASSERT_TRUE(h.is_ok());
  ASSERT_TRUE(
      (*h)->run({record("crm:1", "eva", "lind", "eva@example.com", 1000),
                 record("crm:2", "eva", "lind", "eva@example.com", 1001),
                 ev(std::string(kCustomerIndexKey), "Customer Erased", 1002)
                     .prop("customer", "crm:1"),
                 record("crm:3", "eva", "lind", "eva@example.com", 1003), Step::watermark(2000)})
          .is_ok());
  EXPECT_EQ(outcomes(**h).at("crm:3"), "created crm:3") << "nothing left to match";
  auto index = (*h)->query("identity", std::string(kCustomerIndexKey));
  ASSERT_TRUE(index.is_ok());
  EXPECT_EQ(index->at("customer_index").at("records").to_number<int64_t>(), 1);
  EXPECT_EQ(index->at("customer_index").at("records_erased").to_number<int64_t>(), 2);
}

TEST(CustomerMatcher, ARecordOffTheIndexKeyIsRejected) {
  auto h = Harness::create(topology(), HarnessOptions{});
  ASSERT_TRUE(h.is_ok());
  ASSERT_TRUE((*h)->run({ev("someone", "Customer Record", 1000).prop("record_id", "x"),
                         Step::watermark(2000)})
                  .is_ok());
  EXPECT_EQ((*h)->side_output("rejected").size(), 1u);
  EXPECT_TRUE((*h)->sink("customer_matches").empty());
}

TEST(CustomerMatcher, ConfigIsChecked) {
  EventTypeRegistry types;
  types.add_all({"Identity Linked", "Customer Erased", "Customer Record", "Customer Matched"});
  boost::json::object bad{{"threshold", 2}};
  EXPECT_FALSE(CustomerMatcher::create({bad, types}).is_ok());
  boost::json::object unknown{{"thresold", 0.9}};
  EXPECT_FALSE(CustomerMatcher::create({unknown, types}).is_ok());
  boost::json::object good{{"threshold", 0.85}, {"max_candidates_per_key", 20}};
  EXPECT_TRUE(CustomerMatcher::create({good, types}).is_ok());
  EventTypeRegistry missing;
  EXPECT_FALSE(CustomerMatcher::create({good, missing}).is_ok());
}

}  // namespace
}  // namespace eddy
