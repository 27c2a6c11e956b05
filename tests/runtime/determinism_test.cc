// The same script gives the same outputs and state whatever the worker count, batch size, exchange
// batch size and cross-key interleaving; and equals a naive single-threaded reference.

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <map>
#include <random>

#include "runtime/topology_builder.h"
#include "tests/harness/harness.h"
#include "tests/harness/test_operators.h"

namespace eddy {
namespace {

using testing::ev;
using testing::Harness;
using testing::HarnessOptions;
using testing::Step;

TopologySpec journey_topology() {
  auto spec = TopologyBuilder("journeys", testing::test_registry())
                  .accept_types({"Product Viewed", "Order Completed", "Cancel", "Timer Fired"})
                  .stage("customers", "customer")
                  .op("reject", "reject_negative")
                  .op("orders", "keyed_counter",
                      {{"label", "orders"}, {"types", boost::json::array{"Order Completed"}}})
                  .op("echo", "timer_echo", {{"delay_ms", 1800}})
                  .sink("timers", {"Timer Fired"})
                  .key_by("products", "product", [](const EventRef& e) { return e.item(); })
                  .op("per_product", "keyed_counter", {{"label", "events"}})
                  .sink("products_out", {"Order Completed"})
                  .build();
  EXPECT_TRUE(spec.is_ok()) << spec.status().to_string();
  return std::move(spec).value();
}

struct Script {
  std::vector<Step> steps;
  std::vector<std::string> customers;
  std::vector<std::string> products;
};

// Random journeys with watermarks every few hundred events; some events arrive out of order and
// some behind the watermark.
Script random_script(uint64_t seed, int customers, int events) {
  std::mt19937_64 rng(seed);
  Script s;
  for (int c = 0; c < customers; ++c)
    s.customers.push_back("c" + std::to_string(c));
  for (int p = 0; p < 40; ++p)
    s.products.push_back("p" + std::to_string(p));
  int64_t now = 1'000'000;
  for (int i = 0; i < events; ++i) {
    now += static_cast<int64_t>(rng() % 200);
    const std::string& c = s.customers[rng() % s.customers.size()];
    const std::string& p = s.products[rng() % s.products.size()];
    const int64_t t = now - static_cast<int64_t>(rng() % 3000);  // up to 3 s out of order
    switch (rng() % 10) {
      case 0:
        s.steps.push_back(ev(c, "Order Completed", t).item(p).amount((rng() % 100) - 5.0));
        break;
      case 1:
        s.steps.push_back(ev(c, "Cancel", t).item(p));
        break;
      default:
        s.steps.push_back(ev(c, "Product Viewed", t).item(p));
        break;
    }
    if (i % 300 == 299) s.steps.push_back(Step::watermark(now - 2000));
  }
  s.steps.push_back(Step::watermark(now + 10'000));
  return s;
}

struct Outcome {
  std::vector<CollectingSink::Record> timers, products_out, late, rejected;
  std::map<std::string, std::string> state;  // "stage/key" -> query answer

  bool operator==(const Outcome&) const = default;
};

Outcome run(const Script& script, const HarnessOptions& o) {
  Outcome out;
  auto h = Harness::create(journey_topology(), o);
  EXPECT_TRUE(h.is_ok()) << h.status().to_string();
  EXPECT_TRUE((*h)->run(script.steps).is_ok());
  out.timers = (*h)->sink("timers");
  out.products_out = (*h)->sink("products_out");
  out.late = (*h)->side_output("late");
  out.rejected = (*h)->side_output("rejected");
  auto record = [&](const std::string& stage, const std::string& key) {
    auto q = (*h)->query(stage, key);
    out.state[stage + "/" + key] = q.is_ok() ? boost::json::serialize(*q) : q.status().to_string();
  };
  for (const auto& c : script.customers)
    record("customers", c);
  for (const auto& p : script.products)
    record("products", p);
  return out;
}

TEST(Determinism, SameResultForAnyWorkerCountBatchSizeAndInterleaving) {
  const Script script = random_script(42, 300, 6000);
  HarnessOptions baseline;  // one worker, one event per batch, no shuffling
  const Outcome expected = run(script, baseline);
  ASSERT_FALSE(expected.timers.empty());
  ASSERT_FALSE(expected.late.empty());
  ASSERT_FALSE(expected.rejected.empty());
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    const HarnessOptions o = HarnessOptions::random(seed);
    SCOPED_TRACE(o.describe());
    const Outcome got = run(script, o);
    EXPECT_EQ(got.timers, expected.timers);
    EXPECT_EQ(got.products_out, expected.products_out);
    EXPECT_EQ(got.late, expected.late);
    EXPECT_EQ(got.rejected, expected.rejected);
    EXPECT_EQ(got.state, expected.state);
  }
}

// The same semantics written as a plain loop: no workers, no batches, no exchange.
TEST(Determinism, MatchesANaiveSingleThreadedReference) {
  const Script script = random_script(7, 100, 3000);
  const Outcome got = run(script, HarnessOptions::random(99));

  std::map<std::string, uint64_t> orders, per_product;
  std::map<std::string, std::vector<int64_t>> timers;  // customer -> pending due times
  std::vector<std::pair<std::string, int64_t>> fired;
  size_t late = 0, rejected = 0;
  int64_t wm = INT64_MIN;
  auto fire_until = [&](int64_t until) {
    for (auto& [c, due] : timers) {
      std::vector<int64_t> keep;
      for (int64_t t : due) {
        if (t <= until) {
          fired.emplace_back(c, t);
        } else {
          keep.push_back(t);
        }
      }
      due = keep;
    }
  };
  for (const Step& step : script.steps) {
    if (step.kind == Step::Kind::kWatermark) {
      if (step.watermark_ms > wm) {
        wm = step.watermark_ms;
        fire_until(wm);
      }
      continue;
    }
    const auto& e = step.event;
    if (e.type == "Order Completed" && e.amount < 0) {
      ++rejected;
      continue;
    }
    if (e.type == "Order Completed") ++orders[e.key];
    if (wm != INT64_MIN && e.time_ms < wm) {
      ++late;
    } else if (e.type == "Cancel") {
      timers[e.key].clear();
    } else {
      auto& due = timers[e.key];
      const int64_t t = e.time_ms + 1800;
      if (std::find(due.begin(), due.end(), t) == due.end()) due.push_back(t);
    }
    ++per_product[e.item];
  }
  EXPECT_EQ(got.late.size(), late);
  EXPECT_EQ(got.rejected.size(), rejected);
  std::sort(fired.begin(), fired.end());
  std::vector<std::pair<std::string, int64_t>> engine_fired;
  for (const auto& r : got.timers)
    engine_fired.emplace_back(r.key, r.time.value());
  std::sort(engine_fired.begin(), engine_fired.end());
  EXPECT_EQ(engine_fired, fired);
  for (const auto& [c, n] : orders) {
    EXPECT_NE(got.state.at("customers/" + c).find("\"orders\":{\"count\":" + std::to_string(n)),
              std::string::npos)
        << c << ": " << got.state.at("customers/" + c);
  }
  for (const auto& [p, n] : per_product) {
    EXPECT_NE(got.state.at("products/" + p).find("\"events\":{\"count\":" + std::to_string(n)),
              std::string::npos)
        << p << ": " << got.state.at("products/" + p);
  }
}

}  // namespace
}  // namespace eddy
