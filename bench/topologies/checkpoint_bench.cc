// Checkpoints of the default topology's state: how long each worker pauses to copy its key
// groups, how long writing the checkpoint takes, and how large it is, for 100k and 1M customer
// profiles. Each customer has a short funnel behind it (views, a cart add, an order).

#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "operators/builtin.h"
#include "runtime/batch_builder.h"
#include "runtime/engine.h"
#include "topologies/ecommerce/ecommerce.h"

namespace eddy {
namespace {

constexpr int64_t kStart = 1'700'000'000'000;
constexpr size_t kBatchEvents = 1024;

class Discard final : public Sink {
 public:
  void write(const EventBatch&) override {}
};

std::unique_ptr<Engine> populated_engine(uint64_t customers) {
  auto registry = std::make_shared<OperatorRegistry>();
  (void)register_builtin_operators(*registry);
  auto spec = make_ecommerce_topology(registry);
  if (!spec) std::abort();
  EngineOptions o;
  o.settings.time_mode = TimeMode::kReplay;
  o.run_ticker = false;
  for (const char* sink : {"triggers", "segment_changes", "lifecycle_changes", "sessions"})
    o.sinks[sink] = std::make_shared<Discard>();
  auto engine = Engine::create(*spec, std::move(o));
  if (!engine || !(*engine)->start()) std::abort();
  const EventTypeRegistry& types = (*engine)->topology().types();
  const EventType kinds[] = {types.find("Product Viewed"), types.find("Product Viewed"),
                             types.find("Product Added"), types.find("Order Completed")};
  BatchBuilder b;
  auto flush = [&] {
    const EventBatch batch = b.finish();
    while ((*engine)->source().submit(batch).status.code() == Errc::kBusy)
      std::this_thread::yield();
  };
  for (uint64_t c = 0; c < customers; ++c) {
    const std::string key = "c" + std::to_string(c);
    const std::string item = "p" + std::to_string(c % 5000);
    for (size_t k = 0; k < 4; ++k) {
      EventDraft d;
      d.key = key;
      d.type = kinds[k];
      d.time = EventTime(kStart + static_cast<int64_t>(c) + static_cast<int64_t>(k) * 60'000);
      d.item = item;
      d.amount = 25;
      d.quantity = 1;
      b.add(d);
      if (b.size() == kBatchEvents) flush();
    }
  }
  if (!b.empty()) flush();
  if (!(*engine)->sync(std::chrono::minutes(10))) std::abort();
  return std::move(engine).value();
}

void BM_SnapshotKeyGroups(benchmark::State& state) {
  const auto customers = static_cast<uint64_t>(state.range(0));
  auto engine = populated_engine(customers);
  std::atomic<uint64_t> bytes{0};
  int64_t worst_us = 0;
  for (auto _ : state) {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    bytes = 0;
    Status s = engine->snapshot_key_groups(
        [&](Engine::KeyGroupState g) { bytes += g.bytes.size(); },
        [&](std::chrono::microseconds worst) {
          std::lock_guard lock(mu);
          worst_us = std::max(worst_us, static_cast<int64_t>(worst.count()));
          done = true;
          cv.notify_all();
        });
    if (!s) std::abort();
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return done; });
  }
  state.counters["worst_worker_pause_ms"] = static_cast<double>(worst_us) / 1000;
  state.counters["state_MB"] = static_cast<double>(bytes.load()) / 1e6;
  state.counters["bytes_per_customer"] =
      static_cast<double>(bytes.load()) / static_cast<double>(customers);
  (void)engine->stop();
}
BENCHMARK(BM_SnapshotKeyGroups)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace eddy
