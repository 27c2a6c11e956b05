// Named journeys through the whole default topology, with hand-computed expectations.

#include "topologies/ecommerce/ecommerce.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <map>

#include "operators/builtin.h"
#include "tests/harness/harness.h"

namespace eddy {
namespace {

using testing::ev;
using testing::Harness;
using testing::HarnessOptions;
using testing::Step;

constexpr int64_t kHour = kMillisPerHour;
constexpr int64_t kT0 = 1'700'000'000'000;  // 2023-11-14, a day like any other

std::shared_ptr<OperatorRegistry> builtins() {
  auto r = std::make_shared<OperatorRegistry>();
  EXPECT_TRUE(register_builtin_operators(*r).is_ok());
  return r;
}

std::unique_ptr<Harness> shop(HarnessOptions o = {}) {
  EcommerceSettings settings;
  settings.cart_timeout_ms = 48 * kHour;  // the seed case study's re-engagement delay
  auto spec = make_ecommerce_topology(builtins(), settings);
  EXPECT_TRUE(spec.is_ok()) << spec.status().to_string();
  auto h = Harness::create(std::move(spec).value(), o);
  EXPECT_TRUE(h.is_ok()) << h.status().to_string();
  return std::move(h).value();
}

std::vector<std::string> props_of(const std::vector<CollectingSink::Record>& records,
                                  const std::string& key, const std::string& prop) {
  std::vector<std::string> out;
  for (const auto& r : records) {
    if (r.key != key) continue;
    for (const auto& [name, value] : r.props) {
      if (name == prop) out.push_back(value);
    }
  }
  return out;
}

TEST(Ecommerce, TheTopologyBuildsAnIdentityStageInFrontOfOneProfileStage) {
  auto spec = make_ecommerce_topology(builtins());
  ASSERT_TRUE(spec.is_ok()) << spec.status().to_string();
  ASSERT_EQ(spec->stage_count(), 2u);
  EXPECT_EQ(spec->stages()[0].name, "identity");
  ASSERT_EQ(spec->stages()[0].operators.size(), 2u);
  EXPECT_EQ(spec->stages()[0].operators[0].kind, "customer_matcher");
  EXPECT_EQ(spec->stages()[0].operators[1].kind, "identity");
  EXPECT_EQ(spec->stages()[1].name, "profiles");
  EXPECT_EQ(spec->stages()[1].operators.size(), 12u);

  EcommerceSettings without;
  without.identity_stage = false;
  auto alone = make_ecommerce_topology(builtins(), without);
  ASSERT_TRUE(alone.is_ok()) << alone.status().to_string();
  ASSERT_EQ(alone->stage_count(), 1u);
  EXPECT_EQ(alone->stages()[0].operators.size(), 11u);
}

// The seed case study: a visitor browses more than five products without buying (consideration,
// and a browse-abandonment trigger), leaves a cart for 48 hours (one re-engagement trigger), then
// buys and moves into the loyalty segment.
TEST(Ecommerce, CaseStudyBrowseAbandonCartReEngagementThenLoyalty) {
  for (uint32_t workers : {1u, 3u}) {
    SCOPED_TRACE(workers);
    HarnessOptions o;
    o.workers = workers;
    auto h = shop(o);
    std::vector<Step> steps;
    steps.push_back(Step::command("segments", {{"action", "put"},
                                               {"id", "loyal"},
                                               {"enter", "lifecycle.orders >= 1"},
                                               {"exit", "lifecycle == \"dormant\""}}));
    // The visitor signs up and agrees to marketing, without which no reminder would go out.
    steps.push_back(ev("u1", "identify", kT0 - 60'000)
                        .prop("user_id", "u1")
                        .prop("traits.marketing_consent", "true"));
    for (int i = 0; i < 6; ++i) {
      steps.push_back(
          ev("u1", "Product Viewed", kT0 + i * 60'000).item("sku-" + std::to_string(i)).amount(20));
    }
    steps.push_back(
        ev("u1", "Product Added", kT0 + 7 * 60'000).item("sku-5").amount(20).quantity(1));
    steps.push_back(Step::watermark(kT0 + 48 * kHour + 7 * 60'000 - 1));
    ASSERT_TRUE(h->run(steps).is_ok());

    auto profile = h->query("profiles", "u1");
    ASSERT_TRUE(profile.is_ok()) << profile.status().to_string();
    EXPECT_EQ(profile->at("lifecycle").as_string(), "consideration");
    EXPECT_EQ(props_of(h->sink("triggers"), "u1", "trigger"),
              std::vector<std::string>{"browse_abandon"});
    const auto cart_triggers = [&] {
      size_t n = 0;
      for (const auto& r : h->sink("triggers"))
        n += r.type == h->engine().topology().types().find("Cart Abandoned");
      return n;
    };
    EXPECT_EQ(cart_triggers(), 0u) << "one millisecond before 48 h: nothing yet";

    ASSERT_TRUE(h->run({Step::watermark(kT0 + 48 * kHour + 7 * 60'000)}).is_ok());
    EXPECT_EQ(cart_triggers(), 1u) << "exactly at 48 h after the last cart change";
    ASSERT_TRUE(h->run({Step::watermark(kT0 + 96 * kHour)}).is_ok());
    EXPECT_EQ(cart_triggers(), 1u) << "and only once";

    ASSERT_TRUE(h->run({ev("u1", "Order Completed", kT0 + 97 * kHour).amount(20)}).is_ok());
    profile = h->query("profiles", "u1");
    ASSERT_TRUE(profile.is_ok());
    EXPECT_EQ(profile->at("lifecycle").as_string(), "purchase");
    EXPECT_EQ(boost::json::serialize(profile->at("segments")), R"(["loyal"])");
    EXPECT_EQ(props_of(h->sink("segment_changes"), "u1", "segment"),
              std::vector<std::string>{"loyal"});
    EXPECT_EQ(profile->at("rfm").at("frequency").as_uint64(), 1u);
    EXPECT_EQ(profile->at("counters").at("product_views_7d").to_number<double>(), 6.0);
  }
}

// A cart reminder is marketing: it goes out only to a customer who agreed, and an unsubscribe
// stops the next one.
TEST(Ecommerce, MarketingTriggersWaitForConsent) {
  auto h = shop();
  const auto cart = [](int64_t t) {
    return ev("u9", "Product Added", t).item("sku-1").amount(10).quantity(1);
  };
  const auto reminders = [&] {
    size_t n = 0;
    for (const auto& r : h->sink("triggers"))
      n += r.type == h->engine().topology().types().find("Cart Abandoned");
    return n;
  };
  // shop() abandons carts after 48 h.
  ASSERT_TRUE(h->run({cart(kT0), Step::watermark(kT0 + 49 * kHour)}).is_ok());
  EXPECT_EQ(reminders(), 0u) << "never said: denied";
  EXPECT_EQ(h->side_output("*").size(), 1u) << "withheld, and counted";

  ASSERT_TRUE(h->run({ev("u9", "identify", kT0 + 50 * kHour)
                          .prop("user_id", "u9")
                          .prop("traits.marketing_consent", "true"),
                      cart(kT0 + 51 * kHour), Step::watermark(kT0 + 100 * kHour)})
                  .is_ok());
  EXPECT_EQ(reminders(), 1u);

  ASSERT_TRUE(h->run({ev("u9", "Unsubscribed", kT0 + 101 * kHour), cart(kT0 + 102 * kHour),
                      Step::watermark(kT0 + 151 * kHour)})
                  .is_ok());
  EXPECT_EQ(reminders(), 1u) << "unsubscribed before the next one";
  auto p = h->query("profiles", "u9");
  ASSERT_TRUE(p.is_ok());
  EXPECT_FALSE(p->at("consent").at("marketing").as_bool());
  EXPECT_EQ(p->at("consent").at("withheld").to_number<int64_t>(), 2);
}

TEST(Ecommerce, TheProfileHasTheShapeTheRestApiPromises) {
  auto h = shop();
  ASSERT_TRUE(
      h->run({ev("u42", "Order Completed", kT0).amount(100),
              ev("u7", "Order Completed", kT0).amount(5), Step::watermark(kT0 + 3 * kMillisPerDay)})
          .is_ok());
  auto p = h->query("profiles", "u42");
  ASSERT_TRUE(p.is_ok());
  for (const char* field :
       {"rfm", "lifecycle", "sessions", "counters", "segments", "cart", "triggers"}) {
    EXPECT_TRUE(p->contains(field)) << field << " in " << boost::json::serialize(*p);
  }
  const auto& rfm = p->at("rfm").as_object();
  for (const char* field : {"frequency", "monetary", "r", "f", "m", "segment"}) {
    EXPECT_TRUE(rfm.contains(field)) << field;
  }
  EXPECT_EQ(rfm.at("monetary").as_double(), 100.0);
  EXPECT_EQ(rfm.at("m").as_int64(), 3) << "one of two customers spent less: 1 + floor(5 * 1 / 2)";
  EXPECT_TRUE(p->at("sessions").as_object().contains("count"));
}

// A customer's monetary score crosses the thresholds of a segment with hysteresis (enter at
// m >= 4, leave at m <= 2) both ways, moved by other customers' orders while the customer is idle
// and by the customer's own. Ten customers with orders: m = 1 + floor(5 * below / 10). Scores
// move when the population is merged (each minute of event time) and an idle customer's
// membership is re-checked at the hourly sweep, which may run before that minute's merge lands:
// each step lets two hours pass.
TEST(Ecommerce, AnRfmScoreCrossingASegmentsThresholdsBackAndForthKeepsItsHysteresis) {
  for (uint32_t workers : {1u, 3u}) {
    SCOPED_TRACE(workers);
    HarnessOptions o;
    o.workers = workers;
    auto h = shop(o);
    const auto at = [](int hours) { return kT0 + hours * kHour; };
    // Orders (customer, amount) at `hours`, then two hours with no event.
    const auto orders = [&](int hours, const std::vector<std::pair<std::string, double>>& list) {
      std::vector<Step> steps;
      for (const auto& [who, amount] : list)
        steps.push_back(ev(who, "Order Completed", at(hours)).amount(amount));
      steps.push_back(Step::watermark(at(hours + 1)));
      steps.push_back(Step::watermark(at(hours + 2)));
      return h->run(steps);
    };
    const auto state = [&] {
      auto p = h->query("profiles", "x");
      EXPECT_TRUE(p.is_ok());
      return std::to_string(p->at("rfm").at("m").as_int64()) + " " +
             boost::json::serialize(p->at("segments"));
    };
    ASSERT_TRUE(h->run({Step::command("segments", {{"action", "put"},
                                                   {"id", "high_value"},
                                                   {"enter", "rfm.m >= 4"},
                                                   {"exit", "rfm.m <= 2"}})})
                    .is_ok());
    std::vector<std::pair<std::string, double>> first{{"x", 100}};
    for (int i = 1; i <= 9; ++i)
      first.emplace_back("c" + std::to_string(i), 10.0 * i);
    ASSERT_TRUE(orders(0, first).is_ok());
    EXPECT_EQ(state(), R"(5 ["high_value"])") << "nine spent less";

    ASSERT_TRUE(orders(3, {{"c1", 100}, {"c2", 100}, {"c3", 100}, {"c4", 100}}).is_ok());
    EXPECT_EQ(state(), R"(3 ["high_value"])") << "five spent less: 3 is not low enough to leave";

    ASSERT_TRUE(orders(6, {{"c5", 100}, {"c6", 100}}).is_ok());
    EXPECT_EQ(state(), "2 []") << "three spent less: x leaves, idle";

    ASSERT_TRUE(orders(9, {{"x", 15}}).is_ok());
    EXPECT_EQ(state(), "3 []") << "115: four spent less; 3 is not high enough to enter";

    ASSERT_TRUE(orders(12, {{"x", 20}}).is_ok());
    EXPECT_EQ(state(), R"(4 ["high_value"])") << "135: six spent less";

    // The sink sorts by key and type; by time, the changes alternate.
    std::map<int64_t, std::string> changes;
    for (const auto& r : h->sink("segment_changes")) {
      if (r.key == "x") changes[r.time.value()] = h->engine().topology().types().name(r.type);
    }
    std::vector<std::string> in_order;
    for (const auto& [time, type] : changes)
      in_order.push_back(type);
    EXPECT_EQ(in_order,
              (std::vector<std::string>{"Segment Entered", "Segment Exited", "Segment Entered"}));
  }
}

// A customer who viewed products and then went quiet leaves a segment on a sliding count once the
// views fall out of the window, without coming back.
TEST(Ecommerce, AnIdleCustomerLeavesASegmentWhenTheCountsWindowSlidesPastTheirEvents) {
  auto h = shop();
  std::vector<Step> steps;
  steps.push_back(Step::command(
      "segments",
      {{"action", "put"}, {"id", "browsers"}, {"enter", "counters.product_views_7d >= 3"}}));
  for (int i = 0; i < 3; ++i)
    steps.push_back(ev("v", "Product Viewed", kT0 + i * 60'000).item("sku-" + std::to_string(i)));
  steps.push_back(Step::watermark(kT0 + 7 * kMillisPerDay - kHour));
  ASSERT_TRUE(h->run(steps).is_ok());
  auto p = h->query("profiles", "v");
  ASSERT_TRUE(p.is_ok());
  EXPECT_EQ(boost::json::serialize(p->at("segments")), R"(["browsers"])");

  ASSERT_TRUE(h->run({Step::watermark(kT0 + 7 * kMillisPerDay + 2 * kHour)}).is_ok());
  p = h->query("profiles", "v");
  ASSERT_TRUE(p.is_ok());
  EXPECT_EQ(p->at("counters").at("product_views_7d").to_number<double>(), 0.0);
  EXPECT_EQ(boost::json::serialize(p->at("segments")), "[]") << "left within the sweep's hour";
  EXPECT_EQ(props_of(h->sink("segment_changes"), "v", "reason"),
            (std::vector<std::string>{"event", "time"}));
}

}  // namespace
}  // namespace eddy
