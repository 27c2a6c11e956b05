// Checkpoints of the default topology's state, for 100k and 1M customer profiles (each with a
// short funnel behind it: views, a cart add, an order):
//   BM_SnapshotKeyGroups  the copy alone: how long the worst worker stopped for one key group
//   BM_SnapshotTwoStages  the same through an exchange: barriers aligned at a second stage that
//                         counts per product (5,000 products), behind a stage of customer profiles
//   BM_Checkpoint         a whole checkpoint through the log mark to a synced manifest on disk
//   BM_Restore            reading a checkpoint back, checking it, and restoring every key group

#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "operators/builtin.h"
#include "runtime/batch_builder.h"
#include "runtime/durability/checkpoint_restore.h"
#include "runtime/durability/checkpointer.h"
#include "runtime/engine.h"
#include "runtime/topology_builder.h"
#include "topologies/ecommerce/ecommerce.h"

namespace eddy {
namespace {

constexpr int64_t kStart = 1'700'000'000'000;
constexpr size_t kBatchEvents = 1024;

class Discard final : public Sink {
 public:
  void write(const EventBatch&) override {}
};

std::shared_ptr<OperatorRegistry> builtin_registry() {
  auto registry = std::make_shared<OperatorRegistry>();
  (void)register_builtin_operators(*registry);
  return registry;
}

boost::json::object counter(const char* name, const char* type, int64_t window_ms) {
  return {{"name", name}, {"type", type}, {"window_ms", window_ms}, {"aggregate", "count"}};
}

// Customer profiles (RFM, sessions, counters), then a key_by product into per-product counters.
TopologySpec two_stage_topology() {
  TopologyBuilder b("two_stages", builtin_registry());
  b.accept_types(ecommerce_event_types());
  b.stage("profiles", "customer")
      .op("rfm", "rfm", {{"lookback_ms", 365 * kMillisPerDay}})
      .op("sessions", "sessionizer", {{"gap_ms", 30 * kMillisPerMinute}})
      .op("counters", "windowed_counters",
          {{"counters",
            boost::json::array{counter("views_7d", "Product Viewed", 7 * kMillisPerDay),
                               counter("orders_30d", "Order Completed", 30 * kMillisPerDay)}}})
      .key_by("products", "product", [](const EventRef& e) { return e.item(); })
      .op("product_counters", "windowed_counters",
          {{"counters",
            boost::json::array{counter("views_7d", "Product Viewed", 7 * kMillisPerDay),
                               counter("carts_7d", "Product Added", 7 * kMillisPerDay)}}});
  auto spec = b.build();
  if (!spec) std::abort();
  return std::move(spec).value();
}

TopologySpec ecommerce_topology() {
  auto spec = make_ecommerce_topology(builtin_registry());
  if (!spec) std::abort();
  return std::move(spec).value();
}

std::unique_ptr<Engine> populated_engine(uint64_t customers,
                                         const TopologySpec& spec = ecommerce_topology()) {
  EngineOptions o;
  o.settings.time_mode = TimeMode::kReplay;
  o.run_ticker = false;
  for (const char* sink : {"triggers", "segment_changes", "lifecycle_changes", "sessions"})
    o.sinks[sink] = std::make_shared<Discard>();
  auto engine = Engine::create(spec, std::move(o));
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

void snapshot_key_groups(benchmark::State& state, const TopologySpec& spec) {
  const auto customers = static_cast<uint64_t>(state.range(0));
  auto engine = populated_engine(customers, spec);
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

void BM_SnapshotKeyGroups(benchmark::State& state) {
  snapshot_key_groups(state, ecommerce_topology());
}
BENCHMARK(BM_SnapshotKeyGroups)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_SnapshotTwoStages(benchmark::State& state) {
  snapshot_key_groups(state, two_stage_topology());
}
BENCHMARK(BM_SnapshotTwoStages)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// A fresh directory for the log and the checkpoints, removed afterwards.
struct ScratchDir {
  ScratchDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "eddy-checkpoint-bench-XXXXXX").string();
    path = ::mkdtemp(pattern.data()) ? pattern : std::string();
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string path;
};

// Writes checkpoints of a populated engine the way eddy does, with fdatasync of every file.
struct CheckpointRig {
  explicit CheckpointRig(uint64_t customers) : engine(populated_engine(customers)) {
    WalSettings s;
    s.dir = dir.path + "/wal";
    log = std::move(WriteAheadLog::open(s, WalReadSummary{})).value();
    journal = std::make_unique<Journal>(*engine, *log);
    store = std::move(CheckpointStore::open(dir.path + "/checkpoints")).value();
    CheckpointSettings settings;
    settings.interval_ms = 0;
    checkpointer = std::make_unique<Checkpointer>(*engine, *journal, *log, *store, settings,
                                                  std::vector<CheckpointExtra>{}, clock);
    checkpointer->start();
  }
  ~CheckpointRig() {
    checkpointer->stop();
    log->stop();
    (void)engine->stop();
  }
  ScratchDir dir;
  SystemClock clock;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<WriteAheadLog> log;
  std::unique_ptr<Journal> journal;
  std::unique_ptr<CheckpointStore> store;
  std::unique_ptr<Checkpointer> checkpointer;
};

void BM_Checkpoint(benchmark::State& state) {
  const auto customers = static_cast<uint64_t>(state.range(0));
  CheckpointRig rig(customers);
  CheckpointInfo last;
  int64_t worst_us = 0;
  for (auto _ : state) {
    auto taken = rig.checkpointer->checkpoint_now();
    if (!taken) {
      state.SkipWithError(taken.status().message().c_str());
      return;
    }
    last = *taken;
    worst_us = std::max<int64_t>(worst_us, taken->worst_pause.count());
  }
  state.counters["checkpoint_MB"] = static_cast<double>(last.bytes) / 1e6;
  state.counters["worst_worker_pause_ms"] = static_cast<double>(worst_us) / 1000;
}
BENCHMARK(BM_Checkpoint)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_Restore(benchmark::State& state) {
  const auto customers = static_cast<uint64_t>(state.range(0));
  CheckpointRig rig(customers);
  if (!rig.checkpointer->checkpoint_now()) std::abort();
  for (auto _ : state) {
    state.PauseTiming();
    auto fresh = populated_engine(0);
    state.ResumeTiming();
    auto restored = restore_newest_checkpoint(
        *rig.store, *fresh, [](std::string_view, std::string_view) { return Status(); });
    if (!restored || restored->id == 0) std::abort();
    state.PauseTiming();
    (void)fresh->stop();
    fresh.reset();
    state.ResumeTiming();
  }
  state.counters["profiles_per_s"] = benchmark::Counter(
      static_cast<double>(customers), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Restore)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace eddy
