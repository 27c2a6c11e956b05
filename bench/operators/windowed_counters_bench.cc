// Throughput of the windowed counters on one thread, over a month of shop traffic from 200k
// customers, and the bytes of state they keep per customer.
//
// The benchmark drives a StageInstance directly (no workers, no queues), so the figure is the
// operator's own cost plus the stage's key lookup. Every iteration starts from empty state.

#include <benchmark/benchmark.h>

#include <boost/json/array.hpp>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "operators/windowed_counters.h"
#include "runtime/batch_builder.h"
#include "runtime/stage_instance.h"
#include "runtime/topology_builder.h"
#include "tests/harness/test_operators.h"

namespace eddy {
namespace {

constexpr uint32_t kCustomers = 200'000;
constexpr uint32_t kProducts = 5'000;
constexpr size_t kSessions = 250'000;
constexpr size_t kBatchEvents = 1024;
constexpr int64_t kStart = 1'700'000'000'000;
constexpr int64_t kSpanMs = 30 * kMillisPerDay;
constexpr int64_t kOutOfOrdernessMs = 5 * kMillisPerSecond;

boost::json::object counter(
    std::initializer_list<std::pair<std::string_view, boost::json::value>> kv) {
  boost::json::object o;
  for (const auto& [k, v] : kv)
    o[k] = v;
  return o;
}

TopologySpec spec() {
  auto registry = testing::test_registry();  // the built-ins include this operator
  boost::json::array counters = {
      counter({{"name", "product_views_7d"},
               {"type", "Product Viewed"},
               {"window_ms", 7 * kMillisPerDay}}),
      counter(
          {{"name", "orders_30d"}, {"type", "Order Completed"}, {"window_ms", 30 * kMillisPerDay}}),
      counter({{"name", "revenue_90d"},
               {"type", "Order Completed"},
               {"window_ms", 90 * kMillisPerDay},
               {"aggregate", "sum"}}),
      counter({{"name", "email_opens_no_click_7d"},
               {"kind", "opens_without_click"},
               {"window_ms", 7 * kMillisPerDay}}),
      counter({{"name", "product_page_visits_7d"},
               {"type", "Product Viewed"},
               {"window_ms", 7 * kMillisPerDay},
               {"aggregate", "max_per_item"}}),
  };
  auto built = TopologyBuilder("bench", registry)
                   .accept_types({"Product Viewed", "Product Added", "Checkout Started",
                                  "Order Completed", "Email Opened", "Email Link Clicked"})
                   .stage("customers")
                   .op("counters", "windowed_counters", {{"counters", std::move(counters)}})
                   .build();
  if (!built) std::abort();
  return std::move(built).value();
}

struct Workload {
  TopologySpec spec;
  std::vector<EventBatch> batches;
  std::vector<EventTime> watermarks;  // after each batch
  size_t events = 0;
};

// Sessions in time order: an email now and then, a few product views (popular products more
// often), sometimes a cart, a checkout and an order.
const Workload& workload() {
  static const Workload w = [] {
    Workload out{spec(), {}, {}, 0};
    const EventTypeRegistry& types = out.spec.types();
    std::mt19937_64 rng(20240601);
    std::vector<std::string> customers(kCustomers), products(kProducts);
    for (uint32_t i = 0; i < kCustomers; ++i)
      customers[i] = "customer-" + std::to_string(i);
    for (uint32_t i = 0; i < kProducts; ++i)
      products[i] = "sku-" + std::to_string(i);
    BatchBuilder builder;
    int64_t newest = kStart;
    auto add = [&](const std::string& key, std::string_view type, int64_t t, double amount,
                   std::string_view item) {
      EventDraft d;
      d.key = key;
      d.type = types.find(type);
      d.time = EventTime(t);
      d.amount = amount;
      d.item = item;
      builder.add(d);
      newest = std::max(newest, t);
      if (builder.size() == kBatchEvents) {
        out.events += builder.size();
        out.batches.push_back(builder.finish());
        out.watermarks.push_back(EventTime(newest - kOutOfOrdernessMs));
      }
    };
    for (size_t s = 0; s < kSessions; ++s) {
      const std::string& c = customers[rng() % kCustomers];
      int64_t t = kStart + static_cast<int64_t>(s) * kSpanMs / kSessions;
      const std::string campaign = "campaign-" + std::to_string(rng() % 20);
      if (rng() % 100 < 25) add(c, "Email Opened", t, 0, campaign);
      if (rng() % 100 < 8) add(c, "Email Link Clicked", t += 20'000, 0, campaign);
      const int views = 1 + static_cast<int>(rng() % 6);
      for (int v = 0; v < views; ++v) {
        // Squaring skews towards the popular end of the catalogue.
        const uint64_t r = rng() % kProducts;
        add(c, "Product Viewed", t += 30'000, 20 + static_cast<double>(r % 80),
            products[r * r / kProducts]);
      }
      if (rng() % 100 < 30) add(c, "Product Added", t += 30'000, 25, products[rng() % kProducts]);
      if (rng() % 100 < 10) {
        add(c, "Checkout Started", t += 60'000, 50, {});
        add(c, "Order Completed", t += 60'000, 10 + static_cast<double>(rng() % 20'000) / 100, {});
      }
    }
    if (!builder.empty()) {
      out.events += builder.size();
      out.batches.push_back(builder.finish());
      out.watermarks.push_back(EventTime(newest - kOutOfOrdernessMs));
    }
    return out;
  }();
  return w;
}

void BM_WindowedCounters(benchmark::State& state) {
  const Workload& w = workload();
  DiscardOutput discard;
  size_t keys = 0;
  WindowedCounters::StateBytes bytes;
  for (auto _ : state) {
    state.PauseTiming();
    auto made = StageInstance::create(w.spec, StageId(0), KeyGroup(0), EventTime(0));
    if (!made) std::abort();
    std::unique_ptr<StageInstance> inst = std::move(made).value();
    state.ResumeTiming();
    for (size_t b = 0; b < w.batches.size(); ++b) {
      const EventBatch& batch = w.batches[b];
      const EventTime wm = b == 0 ? kMinEventTime : w.watermarks[b - 1];
      for (const Event& e : batch.events)
        inst->on_event(EventRef(e, *batch.payload), wm, discard);
      inst->on_watermark(w.watermarks[b], discard);
    }
    state.PauseTiming();
    keys = inst->slots().size();
    bytes = dynamic_cast<const WindowedCounters&>(inst->op(0)).state_bytes();
    inst.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * w.events));
  state.counters["keys"] = static_cast<double>(keys);
  state.counters["bytes_per_key"] = static_cast<double>(bytes.capacity) / static_cast<double>(keys);
  state.counters["bytes_per_key_used"] =
      static_cast<double>(bytes.used) / static_cast<double>(keys);
}
BENCHMARK(BM_WindowedCounters)->Unit(benchmark::kMillisecond)->MinTime(1.0);

}  // namespace
}  // namespace eddy
