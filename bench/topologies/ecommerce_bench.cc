// The whole default topology in-process on pre-built events: a shop's funnel (mostly product
// views, fewer cart adds, fewer orders) from customers with Zipf(1.1) activity, with 20 segments
// defined. Customers browse anonymously until their first order, sign in then (an identify that
// links their anonymous id to their user id and moves their profile), and send both ids after, as
// Segment's libraries do. Reports events/s and the resident memory the run added per customer,
// with the identity stage in front of the profiles and without it, to show what identity
// resolution costs. Without it, events are keyed by the user id once there is one, as a topology
// that resolves nothing would key them: then both runs place each customer's profile work on the
// same worker. (With 28% of the events from the five busiest customers, where those land
// decides more of the throughput at two workers than the identity stage does.)

#include <benchmark/benchmark.h>
#include <malloc.h>

#include <algorithm>
#include <boost/json/object.hpp>
#include <cmath>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "operators/builtin.h"
#include "runtime/batch_builder.h"
#include "runtime/durability/journal.h"
#include "runtime/engine.h"
#include "runtime/identity_fields.h"
#include "topologies/ecommerce/ecommerce.h"

namespace eddy {
namespace {

constexpr uint64_t kProducts = 5'000;
constexpr size_t kEvents = 2'000'000;
constexpr size_t kBatchEvents = 1024;
constexpr int64_t kStart = 1'700'000'000'000;

class Discard final : public Sink {
 public:
  void write(const EventBatch&) override {}
};

// Bytes the allocator has handed out and not had back, over every arena: what the state holds,
// without the free memory the allocator keeps resident.
size_t allocated_bytes() {
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

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

// `people`: how many distinct customers the events come from. `key_by_user`: once signed in, a
// customer's events are keyed by their user id, as a topology without identity resolution would
// key them; otherwise always by the anonymous id, which the identity stage resolves.
std::vector<EventBatch> funnel(const EventTypeRegistry& types, bool key_by_user, uint64_t ids,
                               size_t* people) {
  std::mt19937_64 rng(7);
  const std::vector<uint64_t> customers = zipf_keys(kEvents, ids, rng);
  std::vector<uint64_t> distinct = customers;
  std::sort(distinct.begin(), distinct.end());
  *people = static_cast<size_t>(std::unique(distinct.begin(), distinct.end()) - distinct.begin());
  const EventType view = types.find("Product Viewed"), page = types.find("page"),
                  add = types.find("Product Added"), remove = types.find("Product Removed"),
                  order = types.find("Order Completed"), open = types.find("Email Opened"),
                  identify = types.find("identify");
  std::vector<bool> signed_in(ids, false);
  std::vector<EventBatch> batches;
  BatchBuilder b;
  for (size_t i = 0; i < kEvents; ++i) {
    const uint64_t c = customers[i];
    const std::string key = "a" + std::to_string(c);
    const std::string user = "c" + std::to_string(c);
    const std::string item = "p" + std::to_string(rng() % kProducts);
    const PropDraft user_id[] = {{kUserIdProperty, PropValue::of_string(user)}};
    EventDraft d;
    d.key = key_by_user && signed_in[c] ? user : key;
    if (signed_in[c]) d.props = user_id;
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
      if (!signed_in[c]) {
        EventDraft sign_in = d;
        sign_in.type = identify;
        sign_in.amount = 0;
        sign_in.item = {};
        sign_in.props = user_id;
        b.add(sign_in);
        signed_in[c] = true;
        d.props = user_id;
        if (key_by_user) d.key = user;
      }
    } else {
      d.type = open;
    }
    b.add(d);
    if (b.size() >= kBatchEvents) batches.push_back(b.finish());
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
  EcommerceSettings settings;
  settings.identity_stage = state.range(1) != 0;
  auto spec = make_ecommerce_topology(registry, settings);
  if (!spec) {
    state.SkipWithError(spec.status().to_string().c_str());
    return;
  }
  size_t people = 0;
  const std::vector<EventBatch> batches = funnel(spec->types(), !settings.identity_stage,
                                                 static_cast<uint64_t>(state.range(2)), &people);
  size_t before = 0, after = 0, keys = 0, allocated_before = 0, allocated_after = 0;
  // Summed over workers: CPU they burnt, and time they slept or waited for each other. The wall
  // time of this VM drifts; these say whether a change saved work or only waiting.
  double cpu_s = 0, idle_s = 0, exchange_wait_s = 0;
  for (auto _ : state) {
    state.PauseTiming();
    before = resident_bytes();
    allocated_before = allocated_bytes();
    EngineOptions o;
    o.settings.workers = workers;
    o.settings.time_mode = TimeMode::kReplay;
    o.run_ticker = false;
    for (const StageSpec& stage : spec->stages()) {
      for (const SinkSpec& sink : stage.sinks)
        o.sinks[sink.name] = std::make_shared<Discard>();
    }
    auto engine = Engine::create(*spec, std::move(o));
    if (!engine) {
      state.SkipWithError(engine.status().to_string().c_str());
      return;
    }
    if (!(*engine)->start()) std::abort();
    define_segments(**engine);
    state.ResumeTiming();
    // Backs off on a full inbox as the server's ingest does: a spinning producer would take a
    // core from the workers it waits for.
    for (const EventBatch& batch : batches) {
      if (!feed_engine((*engine)->source(), batch)) std::abort();
    }
    if (!(*engine)->sync(std::chrono::minutes(5))) std::abort();
    state.PauseTiming();
    after = resident_bytes();
    allocated_after = allocated_bytes();
    auto m = (*engine)->metrics();
    keys = 0;
    cpu_s = idle_s = exchange_wait_s = 0;
    if (m) {
      for (const auto& w : m->workers) {
        keys += w.keys;
        cpu_s += static_cast<double>(w.cpu_micros) / 1e6;
        idle_s += static_cast<double>(w.idle_micros) / 1e6;
        exchange_wait_s += static_cast<double>(w.exchange_wait_micros) / 1e6;
      }
    }
    (void)(*engine)->stop();
    engine = Status(Errc::kStopped, "done");
    state.ResumeTiming();
  }
  size_t events = 0;
  for (const EventBatch& batch : batches)
    events += batch.size();
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * events));
  state.counters["customers"] = static_cast<double>(people);
  state.counters["keys"] = static_cast<double>(keys);  // of every stage
  state.counters["worker_cpu_s"] = cpu_s;
  state.counters["worker_idle_s"] = idle_s;
  state.counters["exchange_wait_s"] = exchange_wait_s;
  state.counters["resident_bytes_per_customer"] =
      static_cast<double>(after - before) / static_cast<double>(people);
  state.counters["allocated_bytes_per_customer"] =
      static_cast<double>(allocated_after - allocated_before) / static_cast<double>(people);
}
BENCHMARK(BM_EcommerceTopology)
    ->ArgNames({"workers", "identity", "ids"})
    ->Args({1, 0, 200'000})
    ->Args({1, 1, 200'000})
    ->Args({2, 0, 200'000})
    ->Args({2, 1, 200'000})
    // #4 asks for a million customers: with Zipf(1.1) over a million ids, more of them appear.
    ->Args({1, 0, 1'000'000})
    ->Args({2, 0, 1'000'000})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace eddy
