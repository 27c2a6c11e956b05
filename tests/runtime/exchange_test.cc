// A key_by between two stages: events change key and worker, counts per new key are exact, and
// tight inboxes slow the exchange down without deadlocking it or losing anything.

#include <gtest/gtest.h>

#include <map>

#include "runtime/topology_builder.h"
#include "tests/harness/harness.h"
#include "tests/harness/test_operators.h"

namespace eddy {
namespace {

using testing::ev;
using testing::Harness;
using testing::HarnessOptions;
using testing::Step;

TopologySpec two_stage_topology() {
  auto spec = TopologyBuilder("two_stages", testing::test_registry())
                  .accept_types({"Product Viewed", "Order Completed"})
                  .stage("customers", "customer")
                  .op("per_customer", "keyed_counter", {{"label", "views"}})
                  .key_by("products", "product", [](const EventRef& e) { return e.item(); })
                  .op("per_product", "keyed_counter", {{"label", "views"}})
                  .sink("out")
                  .build();
  EXPECT_TRUE(spec.is_ok()) << spec.status().to_string();
  return std::move(spec).value();
}

struct Journey {
  std::vector<Step> steps;
  std::map<std::string, uint64_t> per_customer;
  std::map<std::string, uint64_t> per_product;
  size_t without_product = 0;
};

Journey random_views(uint64_t seed, int events, int customers, int products) {
  std::mt19937_64 rng(seed);
  Journey j;
  for (int i = 0; i < events; ++i) {
    const std::string c = "c" + std::to_string(rng() % customers);
    // One event in fifty has no product: the exchange cannot route it.
    const std::string p = rng() % 50 == 0 ? "" : "p" + std::to_string(rng() % products);
    j.steps.push_back(ev(c, "Product Viewed", 1000 + i).item(p));
    ++j.per_customer[c];
    if (p.empty()) {
      ++j.without_product;
    } else {
      ++j.per_product[p];
    }
  }
  return j;
}

void expect_counts(Harness& h, const Journey& j) {
  for (const auto& [c, n] : j.per_customer) {
    auto q = h.query("customers", c);
    ASSERT_TRUE(q.is_ok()) << c;
    EXPECT_EQ(q->at("views").at("count").as_uint64(), n) << c;
  }
  for (const auto& [p, n] : j.per_product) {
    auto q = h.query("products", p);
    ASSERT_TRUE(q.is_ok()) << p;
    EXPECT_EQ(q->at("views").at("count").as_uint64(), n) << p;
  }
  EXPECT_EQ(h.side_output("unroutable").size(), j.without_product);
  uint64_t routed = 0;
  for (const auto& [p, n] : j.per_product)
    routed += n;
  EXPECT_EQ(h.sink("out").size(), routed);
}

TEST(Exchange, RoutesEventsToTheOwnerOfTheirNewKey) {
  const Journey j = random_views(7, 5000, 200, 50);
  for (uint32_t workers : {1u, 2u, 4u}) {
    SCOPED_TRACE(workers);
    HarnessOptions o;
    o.workers = workers;
    o.batch_size = 100;
    auto h = Harness::create(two_stage_topology(), o);
    ASSERT_TRUE(h.is_ok());
    ASSERT_TRUE((*h)->run(j.steps).is_ok());
    expect_counts(**h, j);
    auto out = (*h)->sink("out");
    ASSERT_FALSE(out.empty());
    EXPECT_EQ(out[0].key.substr(0, 1), "p")
        << "events leave the second stage under the product key";
  }
}

TEST(Exchange, TightInboxesApplyBackpressureWithoutDeadlockOrLoss) {
  const Journey j = random_views(11, 20'000, 500, 100);
  for (uint32_t workers : {2u, 3u}) {
    SCOPED_TRACE(workers);
    HarnessOptions o;
    o.workers = workers;
    o.batch_size = 16;
    o.inbox_capacity_events = 8;
    o.exchange_batch_events = 4;
    auto h = Harness::create(two_stage_topology(), o);
    ASSERT_TRUE(h.is_ok());
    ASSERT_TRUE((*h)->run(j.steps).is_ok());
    expect_counts(**h, j);
  }
}

TEST(Exchange, WatermarksCrossTheExchangeAsTheMinimumOfTheSenders) {
  HarnessOptions o;
  o.workers = 3;
  auto h = Harness::create(two_stage_topology(), o);
  ASSERT_TRUE(h.is_ok());
  ASSERT_TRUE(
      (*h)->run({ev("c1", "Product Viewed", 10).item("p1"), Step::watermark(5000)}).is_ok());
  auto m = (*h)->engine().metrics();
  ASSERT_TRUE(m.is_ok());
  for (const auto& w : m->workers) {
    ASSERT_EQ(w.watermarks.size(), 2u);
    EXPECT_EQ(w.watermarks[0], EventTime(5000));
    EXPECT_EQ(w.watermarks[1], EventTime(5000));
  }
}

}  // namespace
}  // namespace eddy
