#include "operators/traits.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "runtime/key_hash.h"
#include "runtime/topology_builder.h"
#include "tests/harness/harness.h"
#include "tests/harness/instance_driver.h"
#include "tests/harness/test_operators.h"

namespace eddy {
namespace {

using testing::ev;
using testing::Harness;
using testing::InstanceDriver;

TopologySpec topology(boost::json::object config = {}) {
  auto spec = TopologyBuilder("traits", testing::test_registry())
                  .accept_types({"identify", "page"})
                  .stage("customers")
                  .op("traits", "traits", std::move(config))
                  .build();
  EXPECT_TRUE(spec.is_ok()) << spec.status().to_string();
  return std::move(spec).value();
}

bool topology_ok(boost::json::object config) {
  return TopologyBuilder("traits", testing::test_registry())
      .accept_types({"identify"})
      .stage("customers")
      .op("traits", "traits", std::move(config))
      .build()
      .is_ok();
}

TEST(Traits, TheNewestWordPerTraitIsKeptWithItsType) {
  auto h = Harness::create(topology(), {});
  ASSERT_TRUE(h.is_ok());
  ASSERT_TRUE((*h)->run({ev("u", "identify", 10)
                             .prop("traits.email", "ann@example.com")
                             .prop("traits.age", 41)
                             .prop("traits.plan", "free"),
                         ev("u", "identify", 20).prop("traits.plan", "pro"),
                         ev("u", "identify", 15).prop("traits.plan", "trial"),
                         ev("u", "page", 30).prop("name", "Home")})
                  .is_ok());
  auto p = (*h)->query("customers", "u");
  ASSERT_TRUE(p.is_ok());
  const auto& traits = p->at("traits").as_object();
  EXPECT_EQ(traits.size(), 3u);
  EXPECT_EQ(traits.at("email").as_string(), "ann@example.com");
  EXPECT_EQ(traits.at("age").to_number<double>(), 41);
  EXPECT_EQ(traits.at("plan").as_string(), "pro") << "the late 'trial' does not undo 'pro'";
}

TEST(Traits, EachTraitIsAFeatureOfTheKindItWasSentAs) {
  const TopologySpec spec = topology();
  auto d = InstanceDriver::create(spec);
  d->run({ev("u", "identify", 10)
              .prop("traits.plan", "pro")
              .prop("traits.age", 41)
              .prop("traits.score", 2.5)
              .flag("traits.vip", true)});
  StageInstance& inst = d->instance();
  const auto slot = inst.slots().find(hash_key("u"));
  ASSERT_TRUE(slot);
  auto value = [&](const char* path) {
    const FeatureCatalog::Feature* f = inst.features().find(path);
    EXPECT_NE(f, nullptr) << path;
    return f ? f->get(*slot, EventTime(10)) : FeatureValue::missing();
  };
  EXPECT_EQ(value("traits.plan").kind, FeatureValue::Kind::kString);
  EXPECT_EQ(value("traits.plan").text, "pro");
  EXPECT_EQ(value("traits.age").kind, FeatureValue::Kind::kNumber);
  EXPECT_EQ(value("traits.age").number, 41);
  EXPECT_EQ(value("traits.score").number, 2.5);
  EXPECT_EQ(value("traits.vip").kind, FeatureValue::Kind::kBool);
  EXPECT_TRUE(value("traits.vip").flag);
  EXPECT_EQ(value("traits.unknown").kind, FeatureValue::Kind::kMissing);
  const FeatureCatalog::Feature* plan = inst.features().find("traits.plan");
  ASSERT_NE(plan, nullptr);
  EXPECT_TRUE(plan->changed_by.empty()) << "traits come with any event";
  EXPECT_EQ(plan->changes, FeatureCatalog::Changes::kWithItsEvents);
}

TEST(Traits, LimitsAreCountedNotSilent) {
  auto h = Harness::create(topology({{"max_traits", 2}, {"max_value_bytes", 3}}), {});
  ASSERT_TRUE(h.is_ok());
  ASSERT_TRUE(
      (*h)->run({ev("u", "identify", 1).prop("traits.a", "1").prop("traits.b", "long value"),
                 ev("u", "identify", 2).prop("traits.c", "3")})
          .is_ok());
  auto p = (*h)->query("customers", "u");
  ASSERT_TRUE(p.is_ok());
  EXPECT_EQ(boost::json::serialize(p->at("traits")), R"({"a":"1","b":"lon"})");
  EXPECT_EQ(p->at("traits_dropped").to_number<int64_t>(), 1);
  EXPECT_EQ(p->at("traits_cut").to_number<int64_t>(), 1);
  EXPECT_FALSE(topology_ok({{"max_traits", 0}}));
}

TEST(Traits, MergingKeepsTheNewerValueOfEachTrait) {
  const TopologySpec spec = topology();
  auto d = InstanceDriver::create(spec);
  d->run({ev("anon", "identify", 5).prop("traits.email", "new@x.com").prop("traits.city", "Rome"),
          ev("user", "identify", 3).prop("traits.email", "old@x.com").prop("traits.plan", "pro")});
  d->move("anon", "user");
  EXPECT_EQ(boost::json::serialize(d->query("user")->at("traits")),
            R"({"email":"new@x.com","plan":"pro","city":"Rome"})");
  EXPECT_EQ(boost::json::serialize(d->query("anon")->at("traits")), "{}");
}

}  // namespace
}  // namespace eddy
