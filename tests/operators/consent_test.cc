#include "operators/consent.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "runtime/topology_builder.h"
#include "tests/harness/harness.h"
#include "tests/harness/instance_driver.h"
#include "tests/harness/test_operators.h"

namespace eddy {
namespace {

using testing::ev;
using testing::Harness;
using testing::InstanceDriver;
using testing::Step;

Result<TopologySpec> try_topology(boost::json::object config) {
  return TopologyBuilder("consent", testing::test_registry())
      .accept_types({"identify", "page", "Unsubscribed", "Cart Abandoned", "Trigger Fired"})
      .stage("customers")
      .op("consent", "consent", std::move(config))
      .sink("delivered", {"Cart Abandoned", "Trigger Fired"})
      .build();
}

TopologySpec topology(boost::json::object config = {}) {
  auto spec = try_topology(std::move(config));
  EXPECT_TRUE(spec.is_ok()) << spec.status().to_string();
  return std::move(spec).value();
}

// Marketing triggers arrive here as input, as if operators before the gate had emitted them.
Step reminder(const std::string& key, int64_t t) {
  return ev(key, "Cart Abandoned", t);
}
Step transactional(const std::string& key, int64_t t) {
  return ev(key, "Trigger Fired", t).prop("trigger", "receipt");
}
Step marketing_trigger(const std::string& key, int64_t t) {
  return ev(key, "Trigger Fired", t).prop("trigger", "winback").prop("marketing", "true");
}
Step consent_trait(const std::string& key, int64_t t, const std::string& yes) {
  return ev(key, "identify", t).prop("traits.marketing_consent", yes);
}

std::unique_ptr<Harness> run(const std::vector<Step>& steps, boost::json::object config = {}) {
  auto h = Harness::create(topology(std::move(config)), {});
  EXPECT_TRUE(h.is_ok()) << h.status().to_string();
  EXPECT_TRUE((*h)->run(steps).is_ok());
  return std::move(h).value();
}

int64_t withheld(Harness& h, const std::string& key) {
  auto p = h.query("customers", key);
  return p ? p->at("consent").at("withheld").to_number<int64_t>() : -1;
}

TEST(Consent, WithoutAWordMarketingIsWithheldAndCountedAndTransactionalGoesThrough) {
  auto h = run({reminder("u", 1), transactional("u", 2)});
  ASSERT_EQ(h->sink("delivered").size(), 1u);
  EXPECT_EQ(h->sink("delivered")[0].time.value(), 2);
  EXPECT_EQ(h->side_output("*").size(), 1u);
  EXPECT_EQ(withheld(*h, "u"), 1);
}

TEST(Consent, TheLatestWordDecidesFromTheNextEventOn) {
  auto h = run({consent_trait("u", 1, "true"), reminder("u", 2), marketing_trigger("u", 3),
                ev("u", "Unsubscribed", 4), reminder("u", 5), consent_trait("u", 6, "yes"),
                reminder("u", 7)});
  std::vector<int64_t> delivered;
  for (const auto& r : h->sink("delivered"))
    delivered.push_back(r.time.value());
  std::sort(delivered.begin(), delivered.end());  // the sink sorts by type first
  EXPECT_EQ(delivered, (std::vector<int64_t>{2, 3, 7}));
  EXPECT_EQ(withheld(*h, "u"), 1);
}

TEST(Consent, SegmentsConsentObjectCountsForItsCategoryWhateverTheCase) {
  auto h = run({ev("u", "page", 1).prop("consent.marketing", "true"), reminder("u", 2),
                ev("u", "page", 3).prop("consent.Analytics", "false"), reminder("u", 4),
                ev("u", "page", 5).prop("consent.MARKETING", "false"), reminder("u", 6)});
  EXPECT_EQ(h->sink("delivered").size(), 2u);
  EXPECT_EQ(withheld(*h, "u"), 1);
}

TEST(Consent, AnOlderWordDoesNotOverruleANewerOne) {
  auto h = run({consent_trait("u", 10, "true"), consent_trait("u", 5, "false"), reminder("u", 11)});
  EXPECT_EQ(h->sink("delivered").size(), 1u);
  auto p = h->query("customers", "u");
  ASSERT_TRUE(p.is_ok());
  EXPECT_EQ(p->at("consent").at("changed_ms").to_number<int64_t>(), 10);
}

TEST(Consent, TheDefaultAndTheWordsAreSettings) {
  auto h = run({reminder("u", 1), ev("v", "identify", 1).prop("traits.newsletter", "false"),
                reminder("v", 2)},
               {{"default", "granted"}, {"traits", boost::json::array{"newsletter"}}});
  ASSERT_EQ(h->sink("delivered").size(), 1u);
  EXPECT_EQ(h->sink("delivered")[0].key, "u");
}

TEST(Consent, BadConfigIsRefusedByName) {
  for (const auto& [config, says] : std::vector<std::pair<boost::json::object, std::string>>{
           {{{"default", "maybe"}}, "default"},
           {{{"traits", "x"}}, "traits"},
           {{{"marketing_types", boost::json::array{"Nope"}}}, "Nope"},
           {{{"colour", 1}}, "colour"}}) {
    auto spec = try_topology(config);
    ASSERT_FALSE(spec.is_ok());
    EXPECT_NE(spec.status().message().find(says), std::string::npos) << spec.status().message();
  }
}

TEST(Consent, MergingKeepsTheLaterWordAndAddsWhatWasWithheld) {
  const TopologySpec spec = topology();
  auto split = InstanceDriver::create(spec);
  split->run({reminder("anon", 1), consent_trait("anon", 5, "true"),
              consent_trait("user", 3, "false"), reminder("user", 4)});
  split->move("anon", "user");
  auto p = split->query("user");
  ASSERT_TRUE(p.has_value());
  EXPECT_TRUE(p->at("consent").at("marketing").as_bool()) << "anon said yes later";
  EXPECT_EQ(p->at("consent").at("withheld").to_number<int64_t>(), 2);
  EXPECT_FALSE(split->query("anon")->at("consent").at("said").as_bool());

  auto other = InstanceDriver::create(spec);
  other->run({consent_trait("user", 9, "false")});
  split->move("user", "user", other.get());
  EXPECT_FALSE(other->query("user")->at("consent").at("marketing").as_bool()) << "9 is later";
}

}  // namespace
}  // namespace eddy
