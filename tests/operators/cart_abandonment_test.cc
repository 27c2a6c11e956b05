#include "operators/cart_abandonment.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <cmath>
#include <map>
#include <optional>
#include <random>
#include <set>

#include "runtime/batch_builder.h"
#include "runtime/event_types.h"
#include "runtime/key_hash.h"
#include "runtime/sink.h"
#include "runtime/stage_instance.h"
#include "runtime/topology_builder.h"
#include "tests/harness/harness.h"
#include "tests/harness/instance_driver.h"
#include "tests/harness/test_operators.h"

namespace eddy {
namespace {

using testing::ev;
using testing::EventMaker;
using testing::Harness;
using testing::HarnessOptions;
using testing::Step;
using Record = CollectingSink::Record;

constexpr int64_t kT0 = 1'700'000'000'000;
constexpr int64_t kHour = kMillisPerHour;

std::shared_ptr<OperatorRegistry> registry() {
  auto r = testing::test_registry();
  EXPECT_TRUE(r->contains("cart_abandonment")) << "registered by register_builtin_operators";
  return r;
}

Result<TopologySpec> try_topology(boost::json::object config,
                                  std::initializer_list<std::string_view> types = {
                                      "Product Viewed", "Product Added", "Product Removed",
                                      "Order Completed", "Cart Abandoned"}) {
  return TopologyBuilder("carts", registry())
      .accept_types(types)
      .stage("customers")
      .op("carts", "cart_abandonment", std::move(config))
      .sink("abandoned", {"Cart Abandoned"})
      .build();
}

TopologySpec topology(boost::json::object config = {}) {
  auto built = try_topology(std::move(config));
  EXPECT_TRUE(built.is_ok()) << built.status().to_string();
  return std::move(built).value();
}

EventMaker add(const std::string& key, int64_t t, const std::string& product, double price = 10,
               int64_t quantity = 1) {
  return ev(key, "Product Added", t).item(product).amount(price).quantity(quantity);
}
EventMaker remove(const std::string& key, int64_t t, const std::string& product,
                  int64_t quantity = 1) {
  return ev(key, "Product Removed", t).item(product).amount(10).quantity(quantity);
}
EventMaker order(const std::string& key, int64_t t) {
  return ev(key, "Order Completed", t).amount(42);
}

std::string prop(const Record& r, std::string_view name) {
  for (const auto& [n, v] : r.props) {
    if (n == name) return v;
  }
  return "<absent>";
}

std::unique_ptr<Harness> harness(boost::json::object config = {}, HarnessOptions o = {}) {
  auto h = Harness::create(topology(std::move(config)), o);
  EXPECT_TRUE(h.is_ok()) << h.status().to_string();
  return std::move(h).value();
}

boost::json::object cart_of(Harness& h, const std::string& key) {
  auto q = h.query("customers", key);
  EXPECT_TRUE(q.is_ok()) << q.status().to_string();
  return q.is_ok() ? q->at("cart").as_object() : boost::json::object();
}

uint64_t rejected(Harness& h, std::string_view reason) {
  auto m = h.engine().metrics();
  EXPECT_TRUE(m.is_ok());
  uint64_t n = 0;
  for (const auto& w : m->workers) {
    if (auto it = w.rejected.find(reason); it != w.rejected.end()) n += it->second;
  }
  return n;
}

TEST(CartAbandonment, EmitsTheCartContentsOnceWhenNobodyTouchesItForTheTimeout) {
  auto h = harness({{"timeout_ms", kHour}});
  ASSERT_TRUE(h->run({add("u1", kT0, "sku-b", 5.0, 2), add("u1", kT0 + 10, "sku-a", 20.0, 1),
                      add("u1", kT0 + 20, "sku-b", 6.0, 1), remove("u1", kT0 + 30, "sku-a"),
                      add("u1", kT0 + 40, "sku-c", 1.5, 4), ev("u1", "Product Viewed", kT0 + 50),
                      Step::watermark(kT0 + 40 + kHour + 5)})
                  .is_ok());
  const auto out = h->sink("abandoned");
  ASSERT_EQ(out.size(), 1u);
  const Record& r = out[0];
  EXPECT_EQ(r.key, "u1");
  EXPECT_EQ(r.time, EventTime(kT0 + 40 + kHour)) << "emitted at the abandonment time";
  EXPECT_EQ(prop(r, "items"), "2");
  EXPECT_EQ(prop(r, "units"), "7");
  EXPECT_EQ(prop(r, "value"), "24") << "the newest price applies to all units: 3 * 6 + 4 * 1.5";
  EXPECT_EQ(prop(r, "products"), "sku-b,sku-c");
  EXPECT_EQ(prop(r, "last_change_ms"), std::to_string(kT0 + 40));
  EXPECT_EQ(prop(r, "cart_started_ms"), std::to_string(kT0));
  EXPECT_EQ(prop(r, "trigger_id").size(), 16u);
  EXPECT_EQ(r.amount, 24.0);
  EXPECT_EQ(r.quantity, 7);

  const auto cart = cart_of(*h, "u1");
  EXPECT_EQ(cart.at("open").as_bool(), false);
  EXPECT_EQ(cart.at("items").as_int64(), 0);
  EXPECT_EQ(cart.at("last_change_ms").as_int64(), kT0 + 40);
  EXPECT_EQ(cart.at("abandoned_count").as_uint64(), 1u);

  ASSERT_TRUE(h->run({Step::watermark(kT0 + 100 * kHour)}).is_ok());
  EXPECT_EQ(h->sink("abandoned").size(), 1u) << "an abandonment is reported once";
}

TEST(CartAbandonment, ProfileShowsTheOpenCart) {
  auto h = harness();
  ASSERT_TRUE(h->run({add("u1", kT0, "a", 2.5, 2), add("u1", kT0 + 5, "b", 1.0, 1)}).is_ok());
  const auto cart = cart_of(*h, "u1");
  EXPECT_EQ(boost::json::serialize(cart),
            R"({"open":true,"items":2,"units":3,"value":6E0,"last_change_ms":)" +
                std::to_string(kT0 + 5) + R"(,"abandoned_count":0})");
  ASSERT_TRUE(h->run({ev("u2", "Product Viewed", kT0)}).is_ok());
  EXPECT_TRUE(cart_of(*h, "u2").at("last_change_ms").is_null());
}

// The journey of the seed case study: a 48-hour reminder.
TEST(CartAbandonment, FortyEightHourCartFiresExactlyAtTheTimeoutAndAnEarlierOrderCancelsIt) {
  constexpr int64_t k48h = 48 * kHour;
  struct Case {
    const char* name;
    std::vector<Step> steps;
    size_t expected;
  };
  const std::vector<Case> cases = {
      {"one millisecond before 48 h: nothing",
       {add("u1", kT0, "a"), Step::watermark(kT0 + k48h - 1)},
       0},
      {"exactly 48 h: one trigger", {add("u1", kT0, "a"), Step::watermark(kT0 + k48h)}, 1},
      {"one millisecond after: still one",
       {add("u1", kT0, "a"), Step::watermark(kT0 + k48h + 1)},
       1},
      {"48 h in small steps: one",
       {add("u1", kT0, "a"), Step::watermark(kT0 + k48h - 1), Step::watermark(kT0 + k48h),
        Step::watermark(kT0 + k48h + 1), Step::watermark(kT0 + 10 * k48h)},
       1},
      {"an order at 47 h cancels it",
       {add("u1", kT0, "a"), order("u1", kT0 + 47 * kHour), Step::watermark(kT0 + 10 * k48h)},
       0},
      {"an order one millisecond before the timeout cancels it",
       {add("u1", kT0, "a"), Step::watermark(kT0 + k48h - 1), order("u1", kT0 + k48h - 1),
        Step::watermark(kT0 + 10 * k48h)},
       0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto h = harness({{"timeout_ms", k48h}});
    ASSERT_TRUE(h->run(c.steps).is_ok());
    const auto out = h->sink("abandoned");
    ASSERT_EQ(out.size(), c.expected);
    if (c.expected == 1) {
      EXPECT_EQ(out[0].time, EventTime(kT0 + k48h));
    }
  }
}

TEST(CartAbandonment, EveryChangeMovesTheTimerAndTheLastChangeDecides) {
  constexpr int64_t kT = 24 * kHour;
  struct Case {
    const char* name;
    std::vector<Step> steps;
    std::vector<int64_t> fired;
  };
  const std::vector<Case> cases = {
      {"an add re-arms",
       {add("u1", kT0, "a"), add("u1", kT0 + 10 * kHour, "b"), Step::watermark(kT0 + kT)},
       {}},
      {"an add re-arms: fires T after it",
       {add("u1", kT0, "a"), add("u1", kT0 + 10 * kHour, "b"),
        Step::watermark(kT0 + 10 * kHour + kT)},
       {kT0 + 10 * kHour + kT}},
      {"a remove re-arms",
       {add("u1", kT0, "a", 1, 2), remove("u1", kT0 + 3 * kHour, "a"),
        Step::watermark(kT0 + 3 * kHour + kT - 1)},
       {}},
      {"a remove re-arms: fires T after it",
       {add("u1", kT0, "a", 1, 2), remove("u1", kT0 + 3 * kHour, "a"),
        Step::watermark(kT0 + 3 * kHour + kT)},
       {kT0 + 3 * kHour + kT}},
      {"a view is no cart change",
       {add("u1", kT0, "a"), ev("u1", "Product Viewed", kT0 + kHour), Step::watermark(kT0 + kT)},
       {kT0 + kT}},
      {"emptying the cart cancels it",
       {add("u1", kT0, "a", 1, 2), remove("u1", kT0 + 1, "a", 2), Step::watermark(kT0 + 9 * kT)},
       {}},
      {"removing more than is there empties it",
       {add("u1", kT0, "a", 1, 2), remove("u1", kT0 + 1, "a", 5), Step::watermark(kT0 + 9 * kT)},
       {}},
      {"a remove of a product not in the cart is activity but leaves it open",
       {add("u1", kT0, "a"), remove("u1", kT0 + kHour, "zzz"), Step::watermark(kT0 + 9 * kT)},
       {kT0 + kHour + kT}},
      {"a remove without a cart does nothing",
       {remove("u1", kT0, "a"), Step::watermark(kT0 + 9 * kT)},
       {}},
      {"re-adding after a purchase starts a new cart",
       {add("u1", kT0, "a"), order("u1", kT0 + kHour), add("u1", kT0 + 2 * kHour, "b"),
        Step::watermark(kT0 + 9 * kT)},
       {kT0 + 2 * kHour + kT}},
      {"re-adding after an abandonment starts a new cart",
       {add("u1", kT0, "a"), Step::watermark(kT0 + kT), add("u1", kT0 + kT, "b"),
        Step::watermark(kT0 + 9 * kT)},
       {kT0 + kT, kT0 + 2 * kT}},
      {"re-adding after emptying starts a new cart",
       {add("u1", kT0, "a"), remove("u1", kT0 + 1, "a"), add("u1", kT0 + 2, "a"),
        Step::watermark(kT0 + 9 * kT)},
       {kT0 + 2 + kT}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto h = harness({{"timeout_ms", kT}});
    ASSERT_TRUE(h->run(c.steps).is_ok());
    std::vector<int64_t> fired;
    for (const Record& r : h->sink("abandoned"))
      fired.push_back(r.time.value());
    EXPECT_EQ(fired, c.fired);
  }
}

TEST(CartAbandonment, ANewCartGetsANewTriggerIdAndTheSameInputTheSameId) {
  auto script = std::vector<Step>{add("u1", kT0, "a"),
                                  Step::watermark(kT0 + kHour),
                                  add("u1", kT0 + kHour, "a"),
                                  Step::watermark(kT0 + 2 * kHour),
                                  add("u2", kT0 + 2 * kHour, "a"),
                                  Step::watermark(kT0 + 3 * kHour)};
  auto first = harness({{"timeout_ms", kHour}});
  auto second = harness({{"timeout_ms", kHour}});
  ASSERT_TRUE(first->run(script).is_ok());
  ASSERT_TRUE(second->run(script).is_ok());
  const auto a = first->sink("abandoned");
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a, second->sink("abandoned"));
  std::set<std::string> ids;
  for (const Record& r : a)
    ids.insert(prop(r, "trigger_id"));
  EXPECT_EQ(ids.size(), 3u) << "two carts of one key and one of another: three ids";
  EXPECT_EQ(cart_of(*first, "u1").at("abandoned_count").as_uint64(), 2u);
}

TEST(CartAbandonment, RejectsUnusableProductEventsWithoutTouchingTheCart) {
  struct Case {
    const char* reason;
    EventMaker event;
  };
  const std::vector<Case> cases = {
      {"non_positive_quantity", add("u1", kT0 + 1, "a", 10, 0)},
      {"non_positive_quantity", add("u1", kT0 + 1, "a", 10, -3)},
      {"non_positive_quantity", remove("u1", kT0 + 1, "a", 0)},
      {"quantity_too_large", add("u1", kT0 + 1, "a", 10, CartAbandonment::kMaxQuantity + 1)},
      {"negative_price", add("u1", kT0 + 1, "a", -0.5)},
      {"invalid_price", add("u1", kT0 + 1, "a", std::nan(""))},
      {"invalid_price", add("u1", kT0 + 1, "a", INFINITY)},
      {"missing_product_id", add("u1", kT0 + 1, "")},
      {"missing_product_id", remove("u1", kT0 + 1, "")},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.reason);
    auto h = harness({{"timeout_ms", kHour}});
    ASSERT_TRUE(
        h->run({add("u1", kT0, "a", 10, 2), c.event, Step::watermark(kT0 + 5 * kHour)}).is_ok());
    EXPECT_EQ(rejected(*h, c.reason), 1u);
    EXPECT_EQ(h->side_output("rejected").size(), 1u);
    const auto out = h->sink("abandoned");
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].time, EventTime(kT0 + kHour)) << "the bad event re-armed nothing";
    EXPECT_EQ(prop(out[0], "units"), "2");
    EXPECT_EQ(prop(out[0], "value"), "20");
  }
}

TEST(CartAbandonment, CountsProductsBeyondTheCapInUnitsAndValueButNotByName) {
  auto h = harness({{"timeout_ms", kHour}, {"max_products", 2}});
  ASSERT_TRUE(
      h->run({add("u1", kT0, "a", 1), add("u1", kT0 + 1, "b", 2), add("u1", kT0 + 2, "c", 3, 2),
              add("u1", kT0 + 3, "d", 4), add("u1", kT0 + 4, "a", 1)})
          .is_ok());
  auto cart = cart_of(*h, "u1");
  EXPECT_EQ(cart.at("items").as_int64(), 2);
  EXPECT_EQ(cart.at("units").as_int64(), 6);
  EXPECT_EQ(cart.at("value").as_double(), 2 + 2 + 6 + 4.0);
  // Taking an untracked product out takes its units back out.
  ASSERT_TRUE(h->run({remove("u1", kT0 + 5, "c", 2), Step::watermark(kT0 + 9 * kHour)}).is_ok());
  const auto out = h->sink("abandoned");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(prop(out[0], "products"), "a,b");
  EXPECT_EQ(prop(out[0], "items"), "2");
  EXPECT_EQ(prop(out[0], "units"), "4");
}

TEST(CartAbandonment, ListsAtMostTwentyProducts) {
  std::vector<Step> steps;
  for (int i = 0; i < 30; ++i)
    steps.push_back(add("u1", kT0 + i, "p" + std::to_string(100 + i)));
  steps.push_back(Step::watermark(kT0 + 9 * kHour));
  auto h = harness({{"timeout_ms", kHour}});
  ASSERT_TRUE(h->run(steps).is_ok());
  const auto out = h->sink("abandoned");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(prop(out[0], "items"), "30");
  const std::string products = prop(out[0], "products");
  EXPECT_EQ(std::count(products.begin(), products.end(), ','), 19);
  EXPECT_EQ(products.substr(0, 10), "p100,p101,");
}

// Out-of-order input within the watermark's bounds: the same cart whatever the arrival order.
TEST(CartAbandonment, OutOfOrderChangesGiveTheSameCartInEitherArrivalOrder) {
  constexpr int64_t kT = 10 * kHour;
  struct Case {
    const char* name;
    EventMaker first, second;
    std::vector<int64_t> fired;
    std::string units;
    std::optional<std::vector<int64_t>> fired_reversed = std::nullopt;
  };
  const std::vector<Case> cases = {
      {"two adds", add("u1", kT0 + 5000, "a"), add("u1", kT0 + 1000, "b"), {kT0 + 5000 + kT}, "2"},
      // The one case where arrival order matters: a remove that arrives before its add settles
      // the cart up to its time, so the add cannot open it (a missed reminder, not a wrong one).
      {"add then remove",
       add("u1", kT0 + 1000, "a", 1, 3),
       remove("u1", kT0 + 5000, "a"),
       {kT0 + 5000 + kT},
       "2",
       std::vector<int64_t>{}},
      {"an order older than the cart is an earlier purchase",
       add("u1", kT0 + 5000, "a"),
       order("u1", kT0 + 1000),
       {kT0 + 5000 + kT},
       "1"},
      {"a remove older than the cart belongs to an earlier one",
       add("u1", kT0 + 5000, "a"),
       remove("u1", kT0 + 1000, "a"),
       {kT0 + 5000 + kT},
       "1"},
      {"an order after the cart closes it",
       add("u1", kT0 + 1000, "a"),
       order("u1", kT0 + 5000),
       {},
       ""},
      {"an order at the same time closes it",
       add("u1", kT0 + 1000, "a"),
       order("u1", kT0 + 1000),
       {},
       ""},
      {"emptying after the add closes it",
       add("u1", kT0 + 1000, "a"),
       remove("u1", kT0 + 5000, "a"),
       {},
       ""},
  };
  for (const Case& c : cases) {
    for (bool reversed : {false, true}) {
      SCOPED_TRACE(std::string(c.name) + (reversed ? ", reversed" : ", in order"));
      auto h = harness({{"timeout_ms", kT}});
      const Step a = reversed ? Step(c.second) : Step(c.first);
      const Step b = reversed ? Step(c.first) : Step(c.second);
      ASSERT_TRUE(h->run({a, b, Step::watermark(kT0 + 9 * kT)}).is_ok());
      const auto out = h->sink("abandoned");
      std::vector<int64_t> fired;
      for (const Record& r : out)
        fired.push_back(r.time.value());
      EXPECT_EQ(fired, reversed && c.fired_reversed ? *c.fired_reversed : c.fired);
      if (!out.empty()) {
        EXPECT_EQ(prop(out[0], "units"), c.units);
      }
      EXPECT_TRUE(h->side_output("late").empty());
    }
  }
}

TEST(CartAbandonment, AnOlderAddMovesTheCartStartButNotTheTimer) {
  auto h = harness({{"timeout_ms", kHour}});
  ASSERT_TRUE(h->run({add("u1", kT0 + 5000, "a"), add("u1", kT0 + 1000, "b"),
                      Step::watermark(kT0 + 5000 + kHour)})
                  .is_ok());
  const auto out = h->sink("abandoned");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(prop(out[0], "cart_started_ms"), std::to_string(kT0 + 1000));
  EXPECT_EQ(prop(out[0], "last_change_ms"), std::to_string(kT0 + 5000));
}

// Late input goes to the "late" side output (LatenessPolicy::kSideOutput): it can neither re-open
// nor re-fire a reported cart, and a late order does not cancel a pending one.
TEST(CartAbandonment, LateEventsGoToTheLateOutputAndNeverReopenOrRefireACart) {
  constexpr int64_t kT = kHour;
  auto h = harness({{"timeout_ms", kT}});
  ASSERT_TRUE(h->run({add("u1", kT0, "a"), Step::watermark(kT0 + kT + 10)}).is_ok());
  ASSERT_EQ(h->sink("abandoned").size(), 1u);
  // Both behind the watermark: the order would have closed the cart, the add re-opened it.
  ASSERT_TRUE(
      h->run({order("u1", kT0 + 100), add("u1", kT0 + kT - 1, "b"), Step::watermark(kT0 + 10 * kT)})
          .is_ok());
  EXPECT_EQ(h->sink("abandoned").size(), 1u);
  EXPECT_EQ(h->side_output("late").size(), 2u);
  auto cart = cart_of(*h, "u1");
  EXPECT_FALSE(cart.at("open").as_bool());
  EXPECT_EQ(cart.at("abandoned_count").as_uint64(), 1u);

  // A late order cannot cancel a pending cart either: the operator never sees it.
  ASSERT_TRUE(h->run({add("u2", kT0 + 10 * kT, "a"), Step::watermark(kT0 + 10 * kT + 100),
                      order("u2", kT0 + 10 * kT + 50), Step::watermark(kT0 + 20 * kT)})
                  .is_ok());
  EXPECT_EQ(h->side_output("late").size(), 3u);
  EXPECT_EQ(h->sink("abandoned").size(), 2u);
}

// Inside the allowed lateness, events behind the watermark are delivered; the settled-through time
// keeps them from re-opening a cart whose abandonment was already emitted.
TEST(CartAbandonment, SlightlyLateChangesAfterAnAbandonmentDoNotReopenIt) {
  constexpr int64_t kT = kHour;
  HarnessOptions o;
  o.allowed_lateness_ms = 30 * kMillisPerMinute;
  struct Case {
    const char* name;
    EventMaker event;
    std::vector<int64_t> fired;
  };
  const std::vector<Case> cases = {
      {"an order before the abandonment", order("u1", kT0 + kT - 1), {kT0 + kT}},
      {"an add before the abandonment", add("u1", kT0 + kT - 1, "b"), {kT0 + kT}},
      {"a remove before the abandonment", remove("u1", kT0 + kT - 1, "a"), {kT0 + kT}},
      {"an add at the abandonment time starts a new cart",
       add("u1", kT0 + kT, "b"),
       {kT0 + kT, kT0 + 2 * kT}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto h = harness({{"timeout_ms", kT}}, o);
    ASSERT_TRUE(h->run({add("u1", kT0, "a"), Step::watermark(kT0 + kT + 10 * kMillisPerMinute),
                        c.event, Step::watermark(kT0 + 10 * kT)})
                    .is_ok());
    std::vector<int64_t> fired;
    for (const Record& r : h->sink("abandoned"))
      fired.push_back(r.time.value());
    EXPECT_EQ(fired, c.fired);
    EXPECT_TRUE(h->side_output("late").empty());
  }
}

TEST(CartAbandonment, ASlightlyLateOrderStillCancelsAPendingCart) {
  HarnessOptions o;
  o.allowed_lateness_ms = kHour;
  auto h = harness({{"timeout_ms", 24 * kHour}}, o);
  ASSERT_TRUE(h->run({add("u1", kT0, "a"), Step::watermark(kT0 + 2 * kHour),
                      order("u1", kT0 + 90 * kMillisPerMinute), Step::watermark(kT0 + 99 * kHour)})
                  .is_ok());
  EXPECT_TRUE(h->sink("abandoned").empty());
  EXPECT_TRUE(h->side_output("late").empty());
}

TEST(CartAbandonment, RejectsBadConfiguration) {
  struct Case {
    boost::json::object config;
    std::string error;
  };
  const std::vector<Case> cases = {
      {{{"timeout_ms", -1}}, "'timeout_ms' must be a whole number of milliseconds > 0"},
      {{{"timeout_ms", 0}}, "'timeout_ms' must be"},
      {{{"timeout_ms", "48h"}}, "'timeout_ms' must be"},
      {{{"timeout_ms", 1.5}}, "'timeout_ms' must be"},
      {{{"max_products", 0}}, "'max_products' must be a whole number from 1 to 1000"},
      {{{"max_products", 5000}}, "'max_products' must be"},
      {{{"timeout", 5}}, "unknown config key 'timeout'"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.error);
    auto built = try_topology(c.config);
    ASSERT_FALSE(built.is_ok());
    EXPECT_NE(built.status().message().find(c.error), std::string::npos)
        << built.status().message();
  }
  auto without_sink = [](std::initializer_list<std::string_view> types) {
    return TopologyBuilder("carts", registry())
        .accept_types(types)
        .stage("customers")
        .op("carts", "cart_abandonment")
        .build();
  };
  auto no_derived = without_sink({"Product Added", "Product Removed", "Order Completed"});
  ASSERT_FALSE(no_derived.is_ok());
  EXPECT_NE(no_derived.status().message().find("must accept 'Cart Abandoned'"), std::string::npos)
      << no_derived.status().message();
  auto no_orders = without_sink({"Product Added", "Product Removed", "Cart Abandoned"});
  ASSERT_FALSE(no_orders.is_ok());
  EXPECT_NE(no_orders.status().message().find("'Order Completed'"), std::string::npos);
}

// Drives one StageInstance directly, recording everything that leaves it with its properties.
class Recorder final : public StageOutput {
 public:
  explicit Recorder(const EventTypeRegistry& types) : types_(types) {}
  void output(StageId, const EventRef& e) override { out.push_back(describe("out", e)); }
  void side_output(StageId, std::string_view name, const EventRef& e) override {
    out.push_back(describe(std::string(name), e));
  }
  void rejected(StageId, std::string_view reason, const EventRef& e) override {
    out.push_back(describe("rejected:" + std::string(reason), e));
  }
  std::vector<std::string> out;

 private:
  std::string describe(const std::string& where, const EventRef& e) const {
    std::string s = where + " " + std::string(types_.name(e.type())) + " " + std::string(e.key()) +
                    "@" + std::to_string(e.time().value());
    for (size_t i = 0; i < e.prop_count(); ++i) {
      s += " " + std::string(e.prop_name(i)) + "=" + render_prop_value(e.prop_value(i));
    }
    return s;
  }
  const EventTypeRegistry& types_;
};

void feed(StageInstance& inst, Recorder& out, const TopologySpec& spec,
          const std::vector<EventMaker>& events, EventTime wm) {
  BatchBuilder b;
  for (const EventMaker& m : events) {
    const testing::TestEvent& e = m.event();
    EventDraft d;
    d.key = e.key;
    d.type = spec.types().find(e.type);
    d.time = EventTime(e.time_ms);
    d.amount = e.amount;
    d.quantity = e.quantity;
    d.item = e.item;
    b.add(d);
  }
  EventBatch batch = b.finish();
  for (const Event& e : batch.events)
    inst.on_event(EventRef(e, *batch.payload), wm, out);
  inst.on_watermark(wm, out);
}

TEST(CartAbandonment, RestoringASnapshotContinuesExactlyLikeTheOriginal) {
  const TopologySpec spec = topology({{"timeout_ms", kHour}, {"max_products", 2}});
  auto original = StageInstance::create(spec, StageId(0), KeyGroup(0), EventTime(0));
  ASSERT_TRUE(original.is_ok()) << original.status().to_string();
  Recorder before(spec.types());
  feed(**original, before, spec,
       {add("u1", kT0, "a", 3, 2), add("u1", kT0 + 10, "b"), add("u1", kT0 + 20, "c", 7),
        add("u2", kT0 + 5, "a"), order("u2", kT0 + 6), add("u3", kT0 + 7, "x"),
        add("u4", kT0 - kHour, "gone")},
       EventTime(kT0 - kHour));
  (*original)->on_watermark(EventTime(kT0 + 8), before);
  ASSERT_EQ(before.out.back().find("out Cart Abandoned u4"), 0u) << before.out.back();

  StateWriter w;
  (*original)->snapshot(w);
  auto restored = StageInstance::create(spec, StageId(0), KeyGroup(0), EventTime(0));
  ASSERT_TRUE(restored.is_ok());
  StateReader r(w.bytes());
  ASSERT_TRUE((*restored)->restore(r).is_ok());
  EXPECT_TRUE(r.at_end());
  EXPECT_EQ((*restored)->timer_count(), (*original)->timer_count());

  const std::vector<EventMaker> more = {remove("u1", kT0 + 30, "c"), add("u2", kT0 + 40, "b"),
                                        add("u4", kT0 + 50, "new"), add("u5", kT0 + 60, "y"),
                                        add("u4", kT0 - 2 * kHour, "settled")};
  for (EventTime wm : {EventTime(kT0 + 100), EventTime(kT0 + 9 * kHour)}) {
    Recorder a(spec.types()), b(spec.types());
    feed(**original, a, spec, wm == EventTime(kT0 + 100) ? more : std::vector<EventMaker>{}, wm);
    feed(**restored, b, spec, wm == EventTime(kT0 + 100) ? more : std::vector<EventMaker>{}, wm);
    EXPECT_EQ(a.out, b.out);
    EXPECT_FALSE(a.out.empty());
  }
  for (const char* key : {"u1", "u2", "u3", "u4", "u5"}) {
    EXPECT_EQ((*original)->query(hash_key(key), EventTime(0)),
              (*restored)->query(hash_key(key), EventTime(0)))
        << key;
  }
}

TEST(CartAbandonment, RejectsTruncatedSnapshots) {
  const TopologySpec spec = topology();
  auto inst = StageInstance::create(spec, StageId(0), KeyGroup(0), EventTime(0));
  ASSERT_TRUE(inst.is_ok());
  Recorder out(spec.types());
  feed(**inst, out, spec, {add("u1", kT0, "a"), add("u1", kT0 + 1, "b"), add("u2", kT0, "c")},
       EventTime(kT0));
  StateWriter w;
  (*inst)->snapshot(w);
  const std::string bytes = w.bytes();
  for (size_t cut = 0; cut < bytes.size(); cut += 7) {
    auto fresh = StageInstance::create(spec, StageId(0), KeyGroup(0), EventTime(0));
    StateReader r(std::string_view(bytes).substr(0, cut));
    EXPECT_EQ((*fresh)->restore(r).code(), Errc::kCorrupt) << "cut at " << cut;
  }
  // The operator's own bytes, cut short, are refused as well.
  CartAbandonment op;
  op.on_new_slot(0);
  StateWriter mine;
  mine.put<uint64_t>(1);
  mine.put<int64_t>(kT0);
  StateReader short_read(mine.bytes());
  EXPECT_EQ(op.restore(short_read, 1).code(), Errc::kCorrupt);
  StateReader wrong_count(mine.bytes());
  EXPECT_EQ(op.restore(wrong_count, 2).code(), Errc::kCorrupt);
}

TEST(CartAbandonment, PublishesCartFeatures) {
  const TopologySpec spec = topology();
  auto inst = StageInstance::create(spec, StageId(0), KeyGroup(0), EventTime(0));
  ASSERT_TRUE(inst.is_ok());
  Recorder out(spec.types());
  feed(**inst, out, spec,
       {add("u1", kT0, "a", 2.5, 2), add("u1", kT0 + 1, "b", 1), add("u2", kT0, "c"),
        order("u2", kT0 + 1)},
       EventTime(kT0));
  const auto& features = (*inst)->features();
  auto get = [&](const char* path, const char* key) {
    const auto* f = features.find(path);
    EXPECT_NE(f, nullptr) << path;
    return f->get(*(*inst)->slots().find(hash_key(key)), EventTime(kT0));
  };
  EXPECT_EQ(get("cart.items", "u1").number, 2);
  EXPECT_EQ(get("cart.units", "u1").number, 3);
  EXPECT_EQ(get("cart.value", "u1").number, 6);
  EXPECT_TRUE(get("cart.open", "u1").flag);
  EXPECT_EQ(get("cart.items", "u2").number, 0);
  EXPECT_FALSE(get("cart.open", "u2").flag);
  EXPECT_EQ(features.find("cart.open")->kind, FeatureValue::Kind::kBool);
}

// Random shopping journeys: adds, removes, orders and views, some out of order and some late, with
// bad events mixed in.
std::vector<Step> random_journeys(uint64_t seed, int customers, int products, int events,
                                  int64_t timeout, bool in_order) {
  std::mt19937_64 rng(seed);
  std::vector<Step> steps;
  int64_t now = kT0;
  for (int i = 0; i < events; ++i) {
    // Strictly increasing in order, so that no two events of a key share a millisecond.
    now += 1 + static_cast<int64_t>(rng() % (timeout / 50));
    const std::string c = "c" + std::to_string(rng() % customers);
    const std::string p = "p" + std::to_string(rng() % products);
    const int64_t t = in_order ? now : now - static_cast<int64_t>(rng() % (timeout / 4));
    const int64_t q = 1 + static_cast<int64_t>(rng() % 3);
    switch (rng() % 20) {
      case 0:
      case 1:
        steps.push_back(order(c, t));
        break;
      case 2:
      case 3:
      case 4:
        steps.push_back(ev(c, "Product Viewed", t).item(p));
        break;
      case 5:
      case 6:
      case 7:
      case 8:
        steps.push_back(remove(c, t, p, q));
        break;
      case 9:
        if (!in_order) {
          steps.push_back(add(c, t, p, 1, 0));  // rejected
          break;
        }
        [[fallthrough]];
      default:
        steps.push_back(add(c, t, p, static_cast<double>(1 + rng() % 50), q));
        break;
    }
    if (i % 97 == 96) steps.push_back(Step::watermark(now - (in_order ? 0 : timeout / 8)));
  }
  steps.push_back(Step::watermark(now + 2 * timeout));
  return steps;
}

struct Outcome {
  std::vector<Record> abandoned, late, rejected;
  std::map<std::string, std::string> profiles;
  bool operator==(const Outcome&) const = default;
};

Outcome run(const std::vector<Step>& steps, int customers, const HarnessOptions& o,
            int64_t timeout) {
  Outcome out;
  auto h = harness({{"timeout_ms", timeout}, {"max_products", 4}}, o);
  EXPECT_TRUE(h->run(steps).is_ok());
  out.abandoned = h->sink("abandoned");
  out.late = h->side_output("late");
  out.rejected = h->side_output("rejected");
  for (int c = 0; c < customers; ++c) {
    const std::string key = "c" + std::to_string(c);
    auto q = h->query("customers", key);
    out.profiles[key] = q.is_ok() ? boost::json::serialize(*q) : q.status().to_string();
  }
  return out;
}

TEST(CartAbandonment, SameResultForAnyWorkerCountBatchSizeAndInterleaving) {
  constexpr int kCustomers = 150;
  const std::vector<Step> steps = random_journeys(11, kCustomers, 12, 4000, kHour, false);
  const Outcome expected = run(steps, kCustomers, HarnessOptions{}, kHour);
  ASSERT_GT(expected.abandoned.size(), 20u);
  ASSERT_FALSE(expected.late.empty());
  ASSERT_FALSE(expected.rejected.empty());
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    const HarnessOptions o = HarnessOptions::random(seed);
    SCOPED_TRACE(o.describe());
    const Outcome got = run(steps, kCustomers, o, kHour);
    EXPECT_EQ(got.abandoned, expected.abandoned);
    EXPECT_EQ(got.late, expected.late);
    EXPECT_EQ(got.rejected, expected.rejected);
    EXPECT_EQ(got.profiles, expected.profiles);
  }
}

// In-order journeys against a plain loop over the same steps: no workers, batches or timers.
TEST(CartAbandonment, MatchesANaiveReferenceOnInOrderJourneys) {
  constexpr int kCustomers = 60;
  constexpr int64_t kT = kHour;
  const std::vector<Step> steps = random_journeys(5, kCustomers, 4, 3000, kT, true);
  const Outcome got = run(steps, kCustomers, HarnessOptions::random(3), kT);

  struct Cart {
    std::map<std::string, std::pair<int64_t, double>> lines;  // product -> quantity, price
    int64_t last = 0;
  };
  std::map<std::string, Cart> open;
  std::vector<std::tuple<std::string, int64_t, int64_t, double>>
      expected;  // key, time, units, value
  auto fire_until = [&](int64_t wm) {
    for (auto it = open.begin(); it != open.end();) {
      if (it->second.last + kT > wm) {
        ++it;
        continue;
      }
      int64_t units = 0;
      double value = 0;
      for (const auto& [p, line] : it->second.lines) {
        units += line.first;
        value += line.second * static_cast<double>(line.first);
      }
      expected.emplace_back(it->first, it->second.last + kT, units, value);
      it = open.erase(it);
    }
  };
  for (const Step& s : steps) {
    if (s.kind == Step::Kind::kWatermark) {
      fire_until(s.watermark_ms);
      continue;
    }
    const testing::TestEvent& e = s.event;
    if (e.type == "Order Completed") {
      open.erase(e.key);
    } else if (e.type == "Product Added") {
      Cart& c = open[e.key];
      auto& line = c.lines[e.item];
      line.first += e.quantity;
      line.second = e.amount;
      c.last = e.time_ms;
    } else if (e.type == "Product Removed" && open.count(e.key) != 0) {
      Cart& c = open[e.key];
      if (auto it = c.lines.find(e.item); it != c.lines.end()) {
        it->second.first -= e.quantity;
        if (it->second.first <= 0) c.lines.erase(it);
      }
      c.last = e.time_ms;
      if (c.lines.empty()) open.erase(e.key);
    }
  }
  std::sort(expected.begin(), expected.end());
  std::vector<std::tuple<std::string, int64_t, int64_t, double>> actual;
  for (const Record& r : got.abandoned) {
    actual.emplace_back(r.key, r.time.value(), r.quantity, r.amount);
  }
  std::sort(actual.begin(), actual.end());
  EXPECT_GT(actual.size(), 10u);
  EXPECT_EQ(actual, expected);
  EXPECT_TRUE(got.late.empty());
}

// Identity resolution (CartAbandonment::move_key_out / merge_key_in). Each test runs a history
// split between "anon" and "user" on one instance and moves "anon" into "user"; the same history
// with every event under "user" on another instance is what the merge must reproduce.
using testing::InstanceDriver;

constexpr int64_t kMergeTimeout = 10 * kHour;

using testing::rekeyed;

struct Merged {
  std::unique_ptr<InstanceDriver> split;  // the history as written, "anon" then moved into "user"
  std::unique_ptr<InstanceDriver> whole;  // the same history under "user" alone
};

// Runs `history` both ways, moves "anon" into "into" on the split instance at the watermark
// `move_at`, then runs `after` on both.
Merged merged(const TopologySpec& spec, const std::vector<Step>& history, int64_t move_at,
              const std::vector<Step>& after, const std::string& into = "user",
              int64_t lateness_ms = 0) {
  Merged m{InstanceDriver::create(spec, lateness_ms), InstanceDriver::create(spec, lateness_ms)};
  m.split->run(history);
  m.split->watermark(move_at);
  m.split->move("anon", into);
  m.split->run(after);
  m.whole->run(rekeyed(history, into));
  m.whole->watermark(move_at);
  m.whole->run(after);
  return m;
}

const boost::json::object kEmptyCart = {
    {"open", false},        {"items", 0}, {"units", 0}, {"value", 0.0}, {"last_change_ms", nullptr},
    {"abandoned_count", 0u}};

TEST(CartAbandonmentMerge, AnAnonymousCartMovedIntoAKeyNeverSeenIsReportedOnceForThatKey) {
  const TopologySpec spec = topology({{"timeout_ms", kMergeTimeout}});
  const std::vector<Step> history = {add("anon", kT0, "sku-a", 5, 2),
                                     add("anon", kT0 + kHour, "sku-b", 7),
                                     remove("anon", kT0 + 2 * kHour, "sku-a")};
  Merged m = merged(spec, history, kT0 + 3 * kHour, {});
  EXPECT_EQ(m.split->query("user"), m.whole->query("user"));
  EXPECT_EQ(m.split->query("user")->at("cart").at("units").as_int64(), 2);
  EXPECT_EQ(m.split->query("anon")->at("cart").as_object(), kEmptyCart);
  EXPECT_EQ(m.split->instance().timer_count(), 1u) << "the surviving key's timer alone";

  for (auto* d : {m.split.get(), m.whole.get()})
    d->watermark(kT0 + 2 * kHour + kMergeTimeout);
  const auto reported = m.split->outputs("Cart Abandoned");
  ASSERT_EQ(reported.size(), 1u) << "nothing for anon, once for user";
  EXPECT_EQ(reported, m.whole->outputs("Cart Abandoned")) << "same items, value and trigger id";
  EXPECT_EQ(reported[0].key, "user");
  EXPECT_EQ(prop(reported[0], "products"), "sku-a,sku-b");
  EXPECT_EQ(reported[0].amount, 12.0);
  EXPECT_EQ(m.split->query("user"), m.whole->query("user"));
  m.split->watermark(kT0 + 100 * kHour);
  EXPECT_EQ(m.split->outputs("Cart Abandoned").size(), 1u);
  EXPECT_EQ(m.split->query("anon")->at("cart").as_object(), kEmptyCart);
}

TEST(CartAbandonmentMerge, InterleavedCartsBecomeOneCartWhoseTimerFollowsTheNewestChange) {
  const TopologySpec spec = topology({{"timeout_ms", kMergeTimeout}});
  const std::vector<Step> history = {add("user", kT0, "sku-b", 3),
                                     add("anon", kT0 + kHour, "sku-a", 10, 2),
                                     add("user", kT0 + 2 * kHour, "sku-a", 10),
                                     add("anon", kT0 + 3 * kHour, "sku-c", 1, 4),
                                     remove("user", kT0 + 4 * kHour, "sku-b"),
                                     add("anon", kT0 + 5 * kHour, "sku-a", 10)};
  Merged m = merged(spec, history, kT0 + 5 * kHour, {});
  const auto cart = m.split->query("user")->at("cart").as_object();
  EXPECT_EQ(cart, m.whole->query("user")->at("cart").as_object());
  EXPECT_EQ(cart.at("units").as_int64(), 8) << "sku-a 2+1+1, sku-c 4; sku-b was removed";
  EXPECT_EQ(cart.at("last_change_ms").as_int64(), kT0 + 5 * kHour);

  // The user's own timer (last change at 4 h) must not fire: the merged cart changed at 5 h.
  m.split->watermark(kT0 + 4 * kHour + kMergeTimeout);
  EXPECT_TRUE(m.split->outputs("Cart Abandoned").empty());
  for (auto* d : {m.split.get(), m.whole.get()})
    d->watermark(kT0 + 5 * kHour + kMergeTimeout);
  const auto reported = m.split->outputs("Cart Abandoned");
  ASSERT_EQ(reported.size(), 1u);
  EXPECT_EQ(reported, m.whole->outputs("Cart Abandoned"));
  EXPECT_EQ(prop(reported[0], "cart_started_ms"), std::to_string(kT0));
  EXPECT_EQ(prop(reported[0], "value"), "44");
}

// An order on one side settles the other side's cart as the operator's rules say: a cart started
// at or before the order is closed by it, one started after it is a new cart and stays.
TEST(CartAbandonmentMerge, AnOrderOfEitherKeyClosesTheCartsThatStartedBeforeIt) {
  const TopologySpec spec = topology({{"timeout_ms", kMergeTimeout}});
  struct Case {
    const char* name;
    std::vector<Step> history;
    bool open;
  };
  const std::vector<Case> cases = {
      {"anon cart, later user order", {add("anon", kT0, "a"), order("user", kT0 + 1)}, false},
      {"user cart, later anon order", {add("user", kT0, "a"), order("anon", kT0 + 1)}, false},
      {"anon order, later user cart", {order("anon", kT0), add("user", kT0 + 1, "a")}, true},
      {"user order, later anon cart", {order("user", kT0), add("anon", kT0 + 1, "a")}, true},
      {"both carts, anon order between",
       {add("user", kT0, "a"), order("anon", kT0 + 1), add("anon", kT0 + 2, "b")},
       true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Merged m = merged(spec, c.history, kT0 + 10, {});
    EXPECT_EQ(m.split->query("user"), m.whole->query("user"));
    EXPECT_EQ(m.split->query("user")->at("cart").at("open").as_bool(), c.open);
    EXPECT_EQ(m.split->instance().timer_count(), c.open ? 1u : 0u);
    for (auto* d : {m.split.get(), m.whole.get()})
      d->watermark(kT0 + 100 * kHour);
    EXPECT_EQ(m.split->outputs("Cart Abandoned"), m.whole->outputs("Cart Abandoned"));
    EXPECT_EQ(m.split->outputs("Cart Abandoned").size(), c.open ? 1u : 0u);
  }
}

TEST(CartAbandonmentMerge, ReportedCartsAddUpAndTheLaterSettledTimeHolds) {
  const TopologySpec spec = topology({{"timeout_ms", kMergeTimeout}});
  // Each key had a cart reported; the anonymous one was reported later, so after the merge a
  // change before that report is settled for the user too and opens nothing.
  const std::vector<Step> history = {add("user", kT0, "a"), Step::watermark(kT0 + kMergeTimeout),
                                     add("anon", kT0 + 11 * kHour, "b"),
                                     Step::watermark(kT0 + 11 * kHour + kMergeTimeout)};
  const int64_t move_at = kT0 + 22 * kHour;
  const std::vector<Step> after = {
      add("user", kT0 + 15 * kHour, "settled"), Step::watermark(kT0 + 30 * kHour),
      add("user", kT0 + 31 * kHour, "c"), Step::watermark(kT0 + 50 * kHour)};
  Merged m = merged(spec, history, move_at, after, "user", /*lateness_ms=*/30 * kHour);
  EXPECT_EQ(m.split->query("user"), m.whole->query("user"));
  EXPECT_EQ(m.split->query("user")->at("cart").at("abandoned_count").as_uint64(), 3u);
  auto since_move = [&](const std::vector<Record>& records) {
    std::vector<Record> out;
    for (const Record& r : records) {
      if (r.time.value() > move_at) out.push_back(r);
    }
    return out;
  };
  const auto reported = since_move(m.split->outputs("Cart Abandoned"));
  ASSERT_EQ(reported.size(), 1u) << "the settled change opened no cart";
  EXPECT_EQ(prop(reported[0], "products"), "c");
  EXPECT_EQ(reported, since_move(m.whole->outputs("Cart Abandoned")));
}

// A property over random shopping histories: products at fixed prices, added by either key in
// any interleaving, merged before any change is due; then the user shops on.
TEST(CartAbandonmentMerge, AnySplitOfAHistoryMergesIntoWhatTheWholeHistoryGives) {
  const TopologySpec spec = topology({{"timeout_ms", kMergeTimeout}, {"max_products", 8}});
  std::mt19937_64 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::vector<Step> history;
    // An earlier purchase of either key settles nothing of the carts that follow it.
    if (rng() % 3 == 0) history.push_back(order(rng() % 2 == 0 ? "anon" : "user", kT0 - 1));
    int64_t t = kT0;
    const int n = 1 + static_cast<int>(rng() % 8);
    for (int i = 0; i < n; ++i) {
      t += static_cast<int64_t>(rng() % kHour);
      const int product = static_cast<int>(rng() % 5);
      history.push_back(add(rng() % 2 == 0 ? "anon" : "user", t, "p" + std::to_string(product),
                            1.5 * (product + 1), 1 + static_cast<int64_t>(rng() % 3)));
    }
    history.push_back(add("anon", t, "p-anon", 2));  // "anon" exists in every round
    // Within the timeout of every change: carts reported apart could not be one cart again.
    const int64_t move_at = t + static_cast<int64_t>(rng() % kHour);
    const std::vector<Step> after = {add("user", move_at + 1, "p1", 3),
                                     Step::watermark(move_at + 1 + kMergeTimeout)};
    SCOPED_TRACE("round " + std::to_string(round));
    Merged m = merged(spec, history, move_at, after);
    EXPECT_EQ(m.split->query("user"), m.whole->query("user"));
    EXPECT_EQ(m.split->query("anon")->at("cart").as_object(), kEmptyCart);
    const auto reported = m.split->outputs("Cart Abandoned");
    ASSERT_EQ(reported.size(), 1u);
    EXPECT_EQ(reported, m.whole->outputs("Cart Abandoned"));
  }
}

TEST(CartAbandonmentMerge, MovingIntoAnotherInstanceOrAnUnseenKeyWorksTheSame) {
  const TopologySpec spec = topology({{"timeout_ms", kMergeTimeout}});
  const std::vector<Step> history = {add("anon", kT0, "a", 4, 3), add("anon", kT0 + 1, "b", 1)};
  auto source = InstanceDriver::create(spec);
  auto target = InstanceDriver::create(spec);
  auto whole = InstanceDriver::create(spec);
  source->run(history);
  whole->run(rekeyed(history, "fresh"));
  source->move("anon", "fresh", target.get());
  EXPECT_EQ(target->query("fresh"), whole->query("fresh"));
  EXPECT_EQ(source->instance().timer_count(), 0u);
  for (auto* d : {source.get(), target.get(), whole.get()})
    d->watermark(kT0 + 1 + kMergeTimeout);
  EXPECT_TRUE(source->outputs("Cart Abandoned").empty());
  EXPECT_EQ(target->outputs("Cart Abandoned"), whole->outputs("Cart Abandoned"));
  EXPECT_EQ(target->outputs("Cart Abandoned").size(), 1u);
}

TEST(CartAbandonmentMerge, RefusesTruncatedOrForeignBytes) {
  const TopologySpec spec = topology();
  auto driver = InstanceDriver::create(spec);
  driver->run({add("anon", kT0, "a", 2, 2), add("anon", kT0 + 1, "b")});
  DiscardOutput out;
  auto moved = driver->instance().move_key_out(hash_key("anon"), EventTime(kT0), out);
  ASSERT_TRUE(moved.has_value());
  // The stage's framing: the operator count, then the operator's bytes with their length.
  const std::string mine = moved->substr(2 * sizeof(uint32_t));
  for (size_t cut = 0; cut < mine.size(); ++cut) {
    StateWriter w;
    w.put<uint32_t>(1);
    w.put_string(std::string_view(mine).substr(0, cut));
    const Status s =
        driver->instance().merge_key_in(hash_key("user"), "user", w.bytes(), EventTime(kT0), out);
    ASSERT_EQ(s.code(), Errc::kCorrupt) << "cut at " << cut;
  }
  EXPECT_EQ(driver->query("user")->at("cart").as_object(), kEmptyCart) << "nothing merged";
  std::string foreign = mine;
  foreign[0] = 9;  // another build's format
  StateWriter w;
  w.put<uint32_t>(1);
  w.put_string(foreign);
  EXPECT_EQ(driver->instance()
                .merge_key_in(hash_key("user"), "user", w.bytes(), EventTime(kT0), out)
                .code(),
            Errc::kCorrupt);
  StateWriter whole;
  whole.put<uint32_t>(1);
  whole.put_string(mine);
  EXPECT_TRUE(driver->instance()
                  .merge_key_in(hash_key("user"), "user", whole.bytes(), EventTime(kT0), out)
                  .is_ok());
  EXPECT_EQ(driver->query("user")->at("cart").at("units").as_int64(), 3);
}

}  // namespace
}  // namespace eddy
