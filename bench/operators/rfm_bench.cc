// What RFM's once-a-minute exchange costs a worker: every key group's share of the population
// (how many customers have each last-order day, frequency and monetary bucket) merged into one,
// then turned into the rank table the scores are read from. 64 key groups (a worker's share of
// 128 at two workers) hold 200k customers with a year of orders between them.
//
// The benchmark drives StageInstances directly (no workers, no queues), as the worker's exchange
// does: local_aggregate of each group, merged in turn, then on_global_aggregate.

#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "runtime/batch_builder.h"
#include "runtime/stage_instance.h"
#include "runtime/topology_builder.h"
#include "tests/harness/test_operators.h"

namespace eddy {
namespace {

constexpr uint32_t kGroups = 64;
constexpr uint32_t kCustomers = 200'000;
constexpr size_t kOrders = 400'000;
constexpr int64_t kStart = 1'700'000'000'000;

TopologySpec spec() {
  auto built = TopologyBuilder("bench", testing::test_registry())
                   .accept_types({"Order Completed"})
                   .stage("customers")
                   .op("rfm", "rfm")
                   .build();
  if (!built) std::abort();
  return std::move(built).value();
}

// One instance per key group, each with its customers' orders: amounts from $5 to $500, spread
// over a year.
std::vector<std::unique_ptr<StageInstance>> populated(const TopologySpec& s) {
  std::vector<std::unique_ptr<StageInstance>> groups;
  for (uint32_t g = 0; g < kGroups; ++g) {
    auto made = StageInstance::create(s, StageId(0), KeyGroup(g), EventTime(0));
    if (!made) std::abort();
    groups.push_back(std::move(made).value());
  }
  std::mt19937_64 rng(1998);
  DiscardOutput discard;
  const EventType order = s.types().find("Order Completed");
  const EventTime wm(kStart + 365 * kMillisPerDay);
  for (size_t i = 0; i < kOrders; ++i) {
    const uint32_t c = static_cast<uint32_t>(rng() % kCustomers);
    const std::string key = "c" + std::to_string(c);
    BatchBuilder b;
    EventDraft d;
    d.key = key;
    d.type = order;
    d.time = EventTime(kStart + static_cast<int64_t>(rng() % (365 * kMillisPerDay)));
    d.amount = 5 + static_cast<double>(rng() % 49'500) / 100;
    b.add(d);
    const EventBatch batch = b.finish();
    groups[c % kGroups]->on_event(EventRef(batch.events[0], *batch.payload), wm, discard);
  }
  return groups;
}

void BM_RfmEpochExchange(benchmark::State& state) {
  const TopologySpec s = spec();
  const std::vector<std::unique_ptr<StageInstance>> groups = populated(s);
  for (auto _ : state) {
    std::unique_ptr<GlobalAggregate> local;
    for (const auto& g : groups) {
      auto part = g->op(0).local_aggregate();
      if (!local) {
        local = std::move(part);
      } else {
        local->merge(*part);
      }
    }
    const std::shared_ptr<const GlobalAggregate> merged(std::move(local));
    groups[0]->mutable_op(0).on_global_aggregate(merged, EventTime(0));
    benchmark::DoNotOptimize(merged.get());
  }
  state.counters["groups"] = kGroups;
}
BENCHMARK(BM_RfmEpochExchange)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace eddy
