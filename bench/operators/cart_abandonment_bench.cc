// Throughput of the cart-abandonment operator in one stage instance on one thread, over a shopping
// funnel: views, adds, some removes, some orders, with the watermark following event time so that
// abandonment timers fire as they would live.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "operators/cart_abandonment.h"
#include "runtime/batch_builder.h"
#include "runtime/stage_instance.h"
#include "runtime/topology_builder.h"
#include "tests/harness/test_operators.h"

namespace eddy {
namespace {

constexpr uint64_t kKeys = 200'000;
constexpr size_t kBatchEvents = 1024;
constexpr int64_t kFirstEventTime = 1'700'000'000'000;
// Two days of traffic against a one-day timeout: about half the carts are still open at the end.
constexpr int64_t kSpanMs = 2 * kMillisPerDay;
constexpr int64_t kOutOfOrderMs = 5 * kMillisPerMinute;
constexpr uint64_t kSeed = 20240611;

struct Workload {
  std::vector<EventBatch> batches;
  std::vector<EventTime> watermarks;  // after each batch
  size_t events = 0;
};

TopologySpec spec() {
  auto registry = testing::test_registry();  // the built-ins include this operator
  auto built = TopologyBuilder("carts", registry)
                   .accept_types({"Product Viewed", "Product Added", "Product Removed",
                                  "Order Completed", "Cart Abandoned"})
                   .stage("customers")
                   .op("carts", "cart_abandonment")
                   .build();
  return std::move(built).value();
}

// Per customer a journey of a few views, one to three adds, sometimes a remove, and an order for
// about a third of them; journeys start at random times and their events interleave.
Workload make_workload(const TopologySpec& s) {
  struct Draft {
    int64_t time;
    int64_t arrival;
    uint64_t key;
    EventType type;
    uint32_t product;
    int64_t quantity;
  };
  const auto& types = s.types();
  const EventType viewed = types.find("Product Viewed");
  const EventType added = types.find("Product Added");
  const EventType removed = types.find("Product Removed");
  const EventType ordered = types.find("Order Completed");
  std::mt19937_64 rng(kSeed);
  std::vector<Draft> drafts;
  for (uint64_t key = 0; key < kKeys; ++key) {
    int64_t t = kFirstEventTime + static_cast<int64_t>(rng() % kSpanMs);
    auto next = [&] { return t += 10'000 + static_cast<int64_t>(rng() % 120'000); };
    std::vector<uint32_t> cart;
    for (int i = 0, n = 2 + static_cast<int>(rng() % 4); i < n; ++i) {
      drafts.push_back({next(), 0, key, viewed, static_cast<uint32_t>(rng() % 5000), 1});
    }
    for (int i = 0, n = 1 + static_cast<int>(rng() % 3); i < n; ++i) {
      cart.push_back(static_cast<uint32_t>(rng() % 5000));
      drafts.push_back({next(), 0, key, added, cart.back(), 1 + static_cast<int64_t>(rng() % 2)});
    }
    if (rng() % 4 == 0) drafts.push_back({next(), 0, key, removed, cart.front(), 1});
    if (rng() % 3 == 0) drafts.push_back({next(), 0, key, ordered, 0, 0});
  }
  // Arrival order: by time, give or take a few minutes (never behind the watermark below).
  for (Draft& d : drafts)
    d.arrival = d.time + static_cast<int64_t>(rng() % kOutOfOrderMs);
  std::stable_sort(drafts.begin(), drafts.end(),
                   [](const Draft& a, const Draft& b) { return a.arrival < b.arrival; });

  Workload w;
  BatchBuilder b;
  int64_t newest = kFirstEventTime;
  for (const Draft& d : drafts) {
    const std::string key = "customer-" + std::to_string(d.key);
    const std::string product = "sku-" + std::to_string(d.product);
    EventDraft e;
    e.key = key;
    e.type = d.type;
    e.time = EventTime(d.time);
    e.item = d.type == ordered ? std::string_view() : std::string_view(product);
    e.quantity = d.quantity;
    e.amount = d.type == ordered ? 50.0 : 9.99 + d.product % 100;
    b.add(e);
    newest = std::max(newest, d.time);
    if (b.size() == kBatchEvents) {
      w.batches.push_back(b.finish());
      w.watermarks.push_back(EventTime(newest - 2 * kOutOfOrderMs));
    }
  }
  if (!b.empty()) {
    w.batches.push_back(b.finish());
    w.watermarks.push_back(EventTime(newest - 2 * kOutOfOrderMs));
  }
  w.events = drafts.size();
  return w;
}

void BM_CartAbandonment(benchmark::State& state) {
  const TopologySpec s = spec();
  const Workload w = make_workload(s);
  DiscardOutput out;
  size_t bytes = 0;
  size_t keys = 0;
  size_t fired_timers = 0;
  size_t open_carts = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::unique_ptr<StageInstance> inst =
        StageInstance::create(s, StageId(0), KeyGroup(0), EventTime(0)).value();
    state.ResumeTiming();
    fired_timers = 0;
    for (size_t i = 0; i < w.batches.size(); ++i) {
      const EventBatch& batch = w.batches[i];
      for (const Event& e : batch.events) {
        inst->on_event(EventRef(e, *batch.payload), w.watermarks[i], out);
      }
      fired_timers += inst->on_watermark(w.watermarks[i], out);
    }
    state.PauseTiming();
    const auto& op = dynamic_cast<const CartAbandonment&>(inst->op(0));
    bytes = op.state_bytes();
    keys = inst->slots().size();
    const auto* is_open = inst->features().find("cart.open");
    open_carts = 0;
    for (uint32_t slot = 0; slot < keys; ++slot) {
      open_carts += is_open->get(slot, EventTime(0)).flag ? 1 : 0;
    }
    inst.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * w.events));
  state.counters["keys"] = static_cast<double>(keys);
  state.counters["state_bytes_per_key"] = static_cast<double>(bytes) / static_cast<double>(keys);
  state.counters["abandoned"] = static_cast<double>(fired_timers);
  state.counters["open_carts_at_end"] = static_cast<double>(open_carts);
}
BENCHMARK(BM_CartAbandonment)->Unit(benchmark::kMillisecond)->MinTime(1.0);

}  // namespace
}  // namespace eddy
