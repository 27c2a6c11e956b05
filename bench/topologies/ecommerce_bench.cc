// The whole default topology in-process on pre-built events: a shop's funnel (mostly product
// views, fewer cart adds, fewer orders) from customers with Zipf(1.1) activity, with 20 segments
// defined. Reports events/s and the resident memory the run added per customer.

#include <benchmark/benchmark.h>

#include <boost/json/object.hpp>
#include <cmath>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "operators/builtin.h"
#include "runtime/batch_builder.h"
#include "runtime/engine.h"
#include "topologies/ecommerce/ecommerce.h"

namespace eddy {
namespace {

constexpr uint64_t kCustomers = 200'000;
constexpr uint64_t kProducts = 5'000;
constexpr size_t kEvents = 2'000'000;
constexpr size_t kBatchEvents = 1024;
constexpr int64_t kStart = 1'700'000'000'000;

class Discard final : public Sink {
 public:
  void write(const EventBatch&) override {}
};

size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * 4096;
}

// Customer ids by Zipf(1.1) rank, from a precomputed CDF.
std::vector<uint64_t> zipf_keys(size_t n, uint64_t keys, std::mt19937_64& rng) {
  std::vector<double> cdf(keys);
  double sum = 0;
  for (uint64_t k = 0; k < keys; ++k)
    cdf[k] = sum += 1.0 / std::pow(static_cast<double>(k + 1), 1.1);
  std::uniform_real_distribution<double> u(0, sum);
  std::vector<uint64_t> out(n);
  for (auto& k : out)
    k = static_cast<uint64_t>(std::lower_bound(cdf.begin(), cdf.end(), u(rng)) - cdf.begin());
  return out;
}

std::vector<EventBatch> funnel(const EventTypeRegistry& types) {
  std::mt19937_64 rng(7);
  const std::vector<uint64_t> customers = zipf_keys(kEvents, kCustomers, rng);
  const EventType view = types.find("Product Viewed"), page = types.find("page"),
                  add = types.find("Product Added"), remove = types.find("Product Removed"),
                  order = types.find("Order Completed"), open = types.find("Email Opened");
  std::vector<EventBatch> batches;
  BatchBuilder b;
  for (size_t i = 0; i < kEvents; ++i) {
    const std::string key = "c" + std::to_string(customers[i]);
    const std::string item = "p" + std::to_string(rng() % kProducts);
    EventDraft d;
    d.key = key;
    d.time = EventTime(kStart + static_cast<int64_t>(i) * 20);  // 2 M events over 11 hours
    d.item = item;
    const uint64_t roll = rng() % 100;
    if (roll < 75) {
      d.type = view;
      d.amount = 20;
    } else if (roll < 87) {
      d.type = page;
      d.item = {};
    } else if (roll < 94) {
      d.type = add;
      d.amount = 20;
      d.quantity = 1;
    } else if (roll < 96) {
      d.type = remove;
      d.amount = 20;
      d.quantity = 1;
    } else if (roll < 99) {
      d.type = order;
      d.amount = 5.0 + static_cast<double>(rng() % 200);
    } else {
      d.type = open;
    }
    b.add(d);
    if (b.size() == kBatchEvents) batches.push_back(b.finish());
  }
  if (!b.empty()) batches.push_back(b.finish());
  return batches;
}

void define_segments(Engine& engine) {
  const char* rules[] = {"rfm.m >= 4",
                         "rfm.f >= 3",
                         "rfm.r >= 4",
                         "rfm.segment == \"Champions\"",
                         "rfm.segment in [\"At Risk\", \"Cannot Lose Them\"]",
                         "lifecycle == \"consideration\"",
                         "lifecycle == \"purchase\"",
                         "lifecycle == \"retention\"",
                         "lifecycle.orders >= 2",
                         "counters.product_views_7d > 5",
                         "counters.orders_30d >= 1",
                         "counters.revenue_90d > 100",
                         "counters.product_page_visits_7d > 3",
                         "cart.open",
                         "cart.value > 50",
                         "sessions.count >= 3",
                         "sessions.current.product_views > 5",
                         "days_since(last_order_at) > 30",
                         "rfm.monetary > 150 and lifecycle != \"dormant\"",
                         "not cart.open and counters.product_views_7d > 10"};
  int i = 0;
  for (const char* rule : rules) {
    Status s = engine.command(
        "segments", {{"action", "put"}, {"id", "s" + std::to_string(i++)}, {"enter", rule}});
    if (!s) std::abort();
  }
}

void BM_EcommerceTopology(benchmark::State& state) {
  const auto workers = static_cast<uint32_t>(state.range(0));
  auto registry = std::make_shared<OperatorRegistry>();
  (void)register_builtin_operators(*registry);
  auto spec = make_ecommerce_topology(registry);
  if (!spec) std::abort();
  const std::vector<EventBatch> batches = funnel(spec->types());
  size_t before = 0, after = 0, keys = 0;
  for (auto _ : state) {
    state.PauseTiming();
    before = resident_bytes();
    EngineOptions o;
    o.settings.workers = workers;
    o.settings.time_mode = TimeMode::kReplay;
    o.run_ticker = false;
    for (const char* sink : {"triggers", "segment_changes", "lifecycle_changes", "sessions"}) {
      o.sinks[sink] = std::make_shared<Discard>();
    }
    auto engine = Engine::create(*spec, std::move(o));
    if (!engine || !(*engine)->start()) std::abort();
    define_segments(**engine);
    state.ResumeTiming();
    for (const EventBatch& batch : batches) {
      while ((*engine)->source().submit(batch).status.code() == Errc::kBusy)
        std::this_thread::yield();
    }
    if (!(*engine)->sync(std::chrono::minutes(5))) std::abort();
    state.PauseTiming();
    after = resident_bytes();
    auto m = (*engine)->metrics();
    keys = 0;
    if (m) {
      for (const auto& w : m->workers)
        keys += w.keys;
    }
    (void)(*engine)->stop();
    engine = Status(Errc::kStopped, "done");
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kEvents));
  state.counters["customers"] = static_cast<double>(keys);
  state.counters["resident_bytes_per_customer"] =
      keys == 0 ? 0 : static_cast<double>(after - before) / static_cast<double>(keys);
}
BENCHMARK(BM_EcommerceTopology)
    ->Arg(1)
    ->Arg(2)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace eddy
