// Throughput of one keyed stage, and the hash-map loop that bounds it.
//
// The benchmark thread is the producer: it submits pre-built batches through the source, as an
// ingest thread would, and syncs at the end of every iteration so that the timing covers the
// processing of every event, not just its enqueueing. It shares the machine's cores with the
// workers, as ingest does in the real process.

#include <benchmark/benchmark.h>

#include <tsl/robin_map.h>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "operators/builtin.h"
#include "runtime/batch_builder.h"
#include "runtime/engine.h"
#include "runtime/event.h"
#include "runtime/operator.h"
#include "runtime/operator_registry.h"
#include "runtime/topology_builder.h"

namespace eddy {
namespace {

constexpr size_t kBatchEvents = 1024;
constexpr uint32_t kKeyGroups = 128;
constexpr std::string_view kEventName = "Product Viewed";
// A fixed start so that event times look like real ones; they only ever increase.
constexpr int64_t kFirstEventTime = 1'700'000'000'000;

// The no-op workload touches few keys, so that it measures the runtime's per-event cost rather
// than cache misses on keyed state.
constexpr uint64_t kNoopKeys = 10'000;
constexpr size_t kNoopEvents = 256 * kBatchEvents;

constexpr uint64_t kCounterKeys = 1'000'000;
constexpr size_t kCounterEvents = 4 * 1024 * kBatchEvents;
constexpr double kZipfExponent = 1.1;
constexpr uint64_t kSeed = 20240601;

enum class KeyDist { kUniform, kZipf };

// An operator written the way a user writes one, registered next to the built-ins: it shows that
// a user's operator runs on the same path, and what that path costs when the operator does nothing.
class NoopOperator final : public Operator {
 public:
  void on_new_slot(uint32_t /*slot*/) override {}
  Flow on_event(const EventRef& /*event*/, Context& /*ctx*/) override { return Flow::kPass; }
  void snapshot(StateWriter& /*out*/) const override {}
  Status restore(StateReader& /*in*/, uint32_t /*slot_count*/) override { return {}; }
};

// Samples ranks 0..n-1 with P(k) proportional to 1/(k+1)^s: a precomputed CDF and a binary search,
// which costs nothing that matters since workloads are generated before timing.
class ZipfSampler {
 public:
  ZipfSampler(uint64_t n, double s) : cdf_(n) {
    double sum = 0;
    for (uint64_t k = 0; k < n; ++k) {
      sum += 1.0 / std::pow(static_cast<double>(k + 1), s);
      cdf_[k] = sum;
    }
    for (double& c : cdf_) {
      c /= sum;
    }
  }

  uint64_t operator()(std::mt19937_64& rng) const {
    // 53 random bits: every double in [0, 1) that the CDF can distinguish.
    const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53;
    const auto it = std::upper_bound(cdf_.begin(), cdf_.end(), u);
    return std::min<uint64_t>(static_cast<uint64_t>(it - cdf_.begin()), cdf_.size() - 1);
  }

 private:
  std::vector<double> cdf_;
};

// The events of one benchmark: what is timed, and a warm-up that creates every key once so that
// the timed passes run in steady state (no key is new, no map grows).
struct Workload {
  EventType type;
  std::vector<EventBatch> batches;
  std::vector<EventBatch> every_key;
  size_t events = 0;
};

std::string_view customer_key(uint64_t id, char (&buf)[24]) {
  buf[0] = 'c';
  const auto [end, ec] = std::to_chars(buf + 1, buf + sizeof(buf), id);
  (void)ec;
  return {buf, static_cast<size_t>(end - buf)};
}

// Cuts a sequence of key ids into batches of kBatchEvents events.
std::vector<EventBatch> make_batches(const std::vector<uint64_t>& ids, EventType type,
                                     int64_t first_time) {
  std::vector<EventBatch> out;
  BatchBuilder builder;
  char buf[24];
  for (size_t i = 0; i < ids.size(); ++i) {
    EventDraft d;
    d.key = customer_key(ids[i], buf);
    d.type = type;
    d.time = EventTime(first_time + static_cast<int64_t>(i));
    d.amount = static_cast<double>(i % 100) * 0.25;
    builder.add(d);
    if (builder.size() == kBatchEvents) out.push_back(builder.finish());
  }
  if (!builder.empty()) out.push_back(builder.finish());
  return out;
}

Workload generate(uint64_t keys, size_t events, KeyDist dist, EventType type) {
  std::mt19937_64 rng(kSeed);
  std::vector<uint64_t> ids(events);
  if (dist == KeyDist::kUniform) {
    std::uniform_int_distribution<uint64_t> pick(0, keys - 1);
    for (uint64_t& id : ids) {
      id = pick(rng);
    }
  } else {
    const ZipfSampler zipf(keys, kZipfExponent);
    for (uint64_t& id : ids) {
      id = zipf(rng);
    }
  }
  std::vector<uint64_t> all(keys);
  for (uint64_t k = 0; k < keys; ++k) {
    all[k] = k;
  }

  Workload w;
  w.type = type;
  w.events = events;
  w.every_key = make_batches(all, type, kFirstEventTime);
  w.batches = make_batches(ids, type, kFirstEventTime + static_cast<int64_t>(keys));
  return w;
}

// Generating millions of events takes longer than some benchmarks run, and every repetition wants
// the same ones; so each workload is made once per process.
const Workload& counter_workload(KeyDist dist, EventType type) {
  static Workload cache[2];
  Workload& w = cache[dist == KeyDist::kUniform ? 0 : 1];
  if (w.events == 0 || w.type != type) w = generate(kCounterKeys, kCounterEvents, dist, type);
  return w;
}

const Workload& noop_workload(EventType type) {
  static Workload cache;
  if (cache.events == 0 || cache.type != type) {
    cache = generate(kNoopKeys, kNoopEvents, KeyDist::kUniform, type);
  }
  return cache;
}

Result<std::unique_ptr<Engine>> start_engine(std::string_view kind, uint32_t workers) {
  auto registry = std::make_shared<OperatorRegistry>();
  if (Status s = register_builtin_operators(*registry); !s) return s;
  Status added =
      registry->add("noop", [](const OperatorArgs&) -> Result<std::unique_ptr<Operator>> {
        return std::unique_ptr<Operator>(std::make_unique<NoopOperator>());
      });
  if (!added) return added;
  auto spec = TopologyBuilder("bench", registry)
                  .accept_types({kEventName})
                  .stage("customers")
                  .op("op", std::string(kind))
                  .build();
  if (!spec) return spec.status();

  EngineOptions options;
  options.settings.workers = workers;
  options.settings.key_groups = kKeyGroups;
  // Only events move through the engine: no watermark is ever broadcast.
  options.settings.time_mode = TimeMode::kManual;
  options.run_ticker = false;
  auto engine = Engine::create(std::move(spec).value(), std::move(options));
  if (!engine) return engine.status();
  if (Status s = (*engine)->start(); !s) return s;
  return engine;
}

// Submits every batch, waiting out backpressure the way an ingest thread that cannot answer 503
// would. The batch is copied into submit(): its events are small structs and its payload is shared.
Status submit_all(Engine& engine, const std::vector<EventBatch>& batches) {
  for (const EventBatch& batch : batches) {
    while (true) {
      SubmitResult r = engine.source().submit(batch);
      if (r.status.is_ok()) {
        if (!r.rejected.empty()) return {Errc::kInternal, r.rejected.front().message};
        break;
      }
      if (r.status.code() != Errc::kBusy) return r.status;
      std::this_thread::yield();
    }
  }
  return engine.sync();
}

struct EngineTotals {
  size_t keys = 0;
  uint64_t busy_answers = 0;
};

// Checks that the engine saw exactly what was submitted, so that a lost or rejected event cannot
// pass as speed.
Result<EngineTotals> check_processed(Engine& engine, uint64_t expected) {
  auto m = engine.metrics();
  if (!m) return m.status();
  uint64_t processed = 0;
  EngineTotals totals;
  for (const WorkerMetrics& w : m->workers) {
    processed += w.events_processed;
    totals.keys += w.keys;
  }
  if (processed != expected || m->source.accepted != expected) {
    return Status(Errc::kInternal, "submitted " + std::to_string(expected) + " events, accepted " +
                                       std::to_string(m->source.accepted) + ", processed " +
                                       std::to_string(processed));
  }
  totals.busy_answers = m->source.busy_batches;
  return totals;
}

void run_stage(benchmark::State& state, std::string_view kind,
               const Workload& (*workload)(EventType)) {
  const auto workers = static_cast<uint32_t>(state.range(0));
  auto made = start_engine(kind, workers);
  if (!made) {
    state.SkipWithError(made.status().to_string().c_str());
    return;
  }
  Engine& engine = **made;
  const Workload& w = workload(engine.topology().types().find(kEventName));

  uint64_t submitted = 0;
  uint64_t batches = 0;
  for (const auto* warm : {&w.every_key, &w.batches}) {
    if (Status s = submit_all(engine, *warm); !s) {
      state.SkipWithError(s.to_string().c_str());
      return;
    }
    for (const EventBatch& b : *warm) {
      submitted += b.size();
    }
    batches += warm->size();
  }

  for (auto _ : state) {
    if (Status s = submit_all(engine, w.batches); !s) {
      state.SkipWithError(s.to_string().c_str());
      return;
    }
  }
  submitted += static_cast<uint64_t>(state.iterations()) * w.events;
  batches += static_cast<uint64_t>(state.iterations()) * w.batches.size();

  auto totals = check_processed(engine, submitted);
  if (!totals) {
    state.SkipWithError(totals.status().to_string().c_str());
    return;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * w.events));
  state.counters["keys"] = static_cast<double>(totals->keys);
  // How often the producer was told to retry, warm-up included: a high figure means the workers,
  // not the producer, set the pace.
  state.counters["busy_per_batch"] =
      static_cast<double>(totals->busy_answers) / static_cast<double>(batches);
}

template <KeyDist kDist>
const Workload& counter_workload_of(EventType type) {
  return counter_workload(kDist, type);
}

template <const Workload& (*kWorkload)(EventType)>
void BM_NoopStage(benchmark::State& state) {
  run_stage(state, "noop", kWorkload);
}

template <KeyDist kDist>
void BM_KeyedCounter(benchmark::State& state) {
  run_stage(state, "keyed_counter", &counter_workload_of<kDist>);
}

// The per-key state of keyed_counter.
struct PerKey {
  uint64_t count = 0;
  double sum = 0;
  int64_t last_time = INT64_MIN;
};

void count_event(PerKey& k, const Event& e) {
  ++k.count;
  k.sum += e.amount;
  k.last_time = std::max(k.last_time, e.time.value());
}

// The loops run over the engine benchmarks' cached workload; the event type only has to match the
// one those were generated with, which the first name a topology accepts always gets.
const Workload* plain_workload(benchmark::State& state, KeyDist dist) {
  EventTypeRegistry types;
  auto type = types.add(kEventName);
  if (!type) {
    state.SkipWithError(type.status().to_string().c_str());
    return nullptr;
  }
  return &counter_workload(dist, *type);
}

// The limit: what keyed_counter and the stage's key slots do per event, without a runtime. One
// hash-map update keyed by the precomputed hash, on one thread, over the same events in the same
// order, after the same warm-up.
template <KeyDist kDist>
void BM_PlainLoop(benchmark::State& state) {
  const Workload* w = plain_workload(state, kDist);
  if (w == nullptr) return;

  tsl::robin_map<uint64_t, PerKey> map;
  auto update = [&map](const std::vector<EventBatch>& batches) {
    for (const EventBatch& b : batches) {
      for (const Event& e : b.events) {
        count_event(map[e.key_hash.value()], e);
      }
    }
  };
  update(w->every_key);
  update(w->batches);

  for (auto _ : state) {
    update(w->batches);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * w->events));
  state.counters["keys"] = static_cast<double>(map.size());
}

// A diagnostic between the two above: the runtime's state layout without the runtime. Per key group
// a map from key hash to slot and a vector of per-slot state, as KeySlots and keyed_counter keep
// them, so that a lookup is two dependent memory accesses instead of one. It tells how much of the
// gap to the plain loop is layout and how much is the path through the engine.
template <KeyDist kDist>
void BM_PlainLoopSlots(benchmark::State& state) {
  const Workload* w = plain_workload(state, kDist);
  if (w == nullptr) return;

  struct Group {
    tsl::robin_map<uint64_t, uint32_t> index;
    std::vector<PerKey> state;
  };
  std::vector<Group> groups(kKeyGroups);
  auto update = [&groups](const std::vector<EventBatch>& batches) {
    for (const EventBatch& b : batches) {
      for (const Event& e : b.events) {
        Group& g = groups[key_group_of(e.key_hash, kKeyGroups).value()];
        const auto [it, added] =
            g.index.try_emplace(e.key_hash.value(), static_cast<uint32_t>(g.state.size()));
        if (added) g.state.emplace_back();
        count_event(g.state[it->second], e);
      }
    }
  };
  update(w->every_key);
  update(w->batches);

  for (auto _ : state) {
    update(w->batches);
    benchmark::ClobberMemory();
  }
  size_t keys = 0;
  for (const Group& g : groups) {
    keys += g.index.size();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * w->events));
  state.counters["keys"] = static_cast<double>(keys);
}

BENCHMARK(BM_NoopStage<&noop_workload>)
    ->Name("BM_NoopStage/keys:10k")
    ->ArgName("workers")
    ->Arg(1)
    ->Arg(2)
    ->MinTime(1.0)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// A diagnostic: the no-op stage over the keyed counter's uniform workload. Against the keyed
// counter it splits the cost into the key-slot lookup (here) and the operator's state (the rest).
BENCHMARK(BM_NoopStage<&counter_workload_of<KeyDist::kUniform>>)
    ->Name("BM_NoopStage/keys:1M-uniform")
    ->ArgName("workers")
    ->Arg(1)
    ->Iterations(3)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

BENCHMARK(BM_KeyedCounter<KeyDist::kUniform>)
    ->Name("BM_KeyedCounter/uniform")
    ->ArgName("workers")
    ->Arg(1)
    ->Arg(2)
    ->Iterations(3)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

BENCHMARK(BM_KeyedCounter<KeyDist::kZipf>)
    ->Name("BM_KeyedCounter/zipf1.1")
    ->ArgName("workers")
    ->Arg(1)
    ->Arg(2)
    ->Iterations(3)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

BENCHMARK(BM_PlainLoop<KeyDist::kUniform>)
    ->Name("BM_PlainLoop/uniform")
    ->Iterations(10)
    ->Unit(benchmark::kMillisecond);

BENCHMARK(BM_PlainLoop<KeyDist::kZipf>)
    ->Name("BM_PlainLoop/zipf1.1")
    ->Iterations(10)
    ->Unit(benchmark::kMillisecond);

BENCHMARK(BM_PlainLoopSlots<KeyDist::kUniform>)
    ->Name("BM_PlainLoopSlots/uniform")
    ->Iterations(10)
    ->Unit(benchmark::kMillisecond);

BENCHMARK(BM_PlainLoopSlots<KeyDist::kZipf>)
    ->Name("BM_PlainLoopSlots/zipf1.1")
    ->Iterations(10)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace eddy

BENCHMARK_MAIN();
