// Costs of updating metrics on hot paths, from one thread and from two at once: the same series
// shared by both threads (their cache lines bounce between the cores) and one series per thread
// (the cost without contention). bench/RESULTS.md records the figures.
#include <benchmark/benchmark.h>

#include <array>
#include <string>

#include "connectors/metrics/latency.h"
#include "connectors/metrics/metrics_registry.h"

namespace eddy::metrics {
namespace {

constexpr int kMaxThreads = 2;

MetricsRegistry& registry() {
  static MetricsRegistry r;
  return r;
}

Counter& shared_counter() {
  static Counter& c = registry().counter("eddy_bench_shared_total", "Shared by every thread.");
  return c;
}

Counter& own_counter(int thread) {
  static std::array<Counter*, kMaxThreads> counters = [] {
    std::array<Counter*, kMaxThreads> out{};
    for (int t = 0; t < kMaxThreads; ++t) {
      out[t] = &registry().counter("eddy_bench_own_total", "One per thread.",
                                   {{"thread", std::to_string(t)}});
    }
    return out;
  }();
  return *counters[thread];
}

Histogram& shared_histogram() {
  static Histogram& h =
      latency_histogram(registry(), "eddy_bench_shared_seconds", "Shared by every thread.");
  return h;
}

Histogram& own_histogram(int thread) {
  static std::array<Histogram*, kMaxThreads> histograms = [] {
    std::array<Histogram*, kMaxThreads> out{};
    for (int t = 0; t < kMaxThreads; ++t) {
      out[t] = &latency_histogram(registry(), "eddy_bench_own_seconds", "One per thread.",
                                  {{"thread", std::to_string(t)}});
    }
    return out;
  }();
  return *histograms[thread];
}

// Latencies spread over the default buckets, so that the bucket search is not always the same.
constexpr std::array<double, 8> kLatencies = {0.00007, 0.0003, 0.0012, 0.004, 0.03, 0.2, 0.9, 3.0};

void BM_MetricsCounterIncShared(benchmark::State& state) {
  Counter& c = shared_counter();
  for (auto _ : state)
    c.inc();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MetricsCounterIncShared)->Threads(1)->Threads(2)->UseRealTime();

void BM_MetricsCounterIncPerThread(benchmark::State& state) {
  Counter& c = own_counter(state.thread_index());
  for (auto _ : state)
    c.inc();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MetricsCounterIncPerThread)->Threads(1)->Threads(2)->UseRealTime();

void BM_MetricsHistogramObserveShared(benchmark::State& state) {
  Histogram& h = shared_histogram();
  size_t i = 0;
  for (auto _ : state)
    h.observe(kLatencies[i++ % kLatencies.size()]);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MetricsHistogramObserveShared)->Threads(1)->Threads(2)->UseRealTime();

void BM_MetricsHistogramObservePerThread(benchmark::State& state) {
  Histogram& h = own_histogram(state.thread_index());
  size_t i = 0;
  for (auto _ : state)
    h.observe(kLatencies[i++ % kLatencies.size()]);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MetricsHistogramObservePerThread)->Threads(1)->Threads(2)->UseRealTime();

// What observe_since adds: a steady_clock read (vDSO) per observation.
void BM_MetricsHistogramObserveSince(benchmark::State& state) {
  Histogram& h = own_histogram(state.thread_index());
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state)
    h.observe_since(start);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MetricsHistogramObserveSince)->Threads(1)->UseRealTime();

// One scrape of a registry the size of a busy eddy's: 20 routes x 6 status codes of counters and
// 20 latency histograms (17 buckets each), 50 gauges.
void BM_MetricsRender(benchmark::State& state) {
  MetricsRegistry r;
  for (int route = 0; route < 20; ++route) {
    const std::string name = "/v1/route" + std::to_string(route);
    for (const char* code : {"200", "202", "400", "404", "429", "503"}) {
      r.counter("eddy_http_requests_total", "Requests.", {{"route", name}, {"code", code}}).inc(7);
    }
    latency_histogram(r, "eddy_http_request_duration_seconds", "Latency.", {{"route", name}})
        .observe(0.001);
  }
  for (int g = 0; g < 50; ++g) {
    r.gauge("eddy_bench_gauge", "Gauges.", {{"index", std::to_string(g)}}).set(g);
  }
  size_t bytes = 0;
  for (auto _ : state) {
    std::string text = r.render();
    bytes = text.size();
    benchmark::DoNotOptimize(text);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_MetricsRender)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace eddy::metrics
