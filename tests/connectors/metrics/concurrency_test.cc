#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "connectors/metrics/metrics_registry.h"

namespace eddy::metrics {
namespace {

constexpr int kThreads = 4;
constexpr int kUpdatesPerThread = 100'000;

// Several threads update the same series, register new ones and scrape, all at once. Totals must
// be exact afterwards: every update is an atomic read-modify-write, none is lost.
TEST(MetricsConcurrency, UpdatesFromManyThreadsAddUpExactly) {
  MetricsRegistry r;
  const std::vector<double> buckets = {1, 10, 100};
  Counter& shared = r.counter("eddy_shared_total", "Shared.");
  Gauge& level = r.gauge("eddy_level", "Level.");
  Histogram& sizes = r.histogram("eddy_sizes_bytes", "Sizes.", {}, buckets);
  std::atomic<bool> done{false};

  std::thread scraper([&] {
    while (!done.load()) {
      const std::string text = r.render();
      ASSERT_NE(text.find("# TYPE eddy_shared_total counter"), std::string::npos);
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Counter& own = r.counter("eddy_own_total", "Own.", {{"thread", std::to_string(t)}});
      for (int i = 0; i < kUpdatesPerThread; ++i) {
        shared.inc();
        own.inc(2);
        level.add(i % 2 == 0 ? 1.0 : -1.0);
        sizes.observe(static_cast<double>(i % 200));  // 0..199: 2, 9, 90, 99 per 200
        if (i % 10'000 == 0) {
          r.counter("eddy_registered_on_the_fly_total", "Late.", {{"i", std::to_string(i)}}).inc();
        }
      }
    });
  }
  for (auto& th : threads)
    th.join();
  done = true;
  scraper.join();

  EXPECT_EQ(shared.value(), uint64_t{kThreads} * kUpdatesPerThread);
  EXPECT_DOUBLE_EQ(level.value(), 0.0);
  HistogramSnapshot s = sizes.snapshot();
  const uint64_t rounds = uint64_t{kThreads} * kUpdatesPerThread / 200;
  EXPECT_EQ(s.counts, (std::vector<uint64_t>{2 * rounds, 9 * rounds, 90 * rounds, 99 * rounds}));
  EXPECT_DOUBLE_EQ(s.sum, static_cast<double>(rounds) * (199.0 * 200 / 2));

  const std::string text = r.render();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_NE(text.find("eddy_own_total{thread=\"" + std::to_string(t) + "\"} " +
                        std::to_string(2 * kUpdatesPerThread) + "\n"),
              std::string::npos);
  }
  EXPECT_NE(text.find("eddy_registered_on_the_fly_total{i=\"0\"} " + std::to_string(kThreads)),
            std::string::npos);
  EXPECT_NE(text.find("eddy_sizes_bytes_count " + std::to_string(kThreads * kUpdatesPerThread)),
            std::string::npos);
  EXPECT_EQ(r.errors(), 0u);
}

// remove_collector waits for a render that is running the collector, so what the collector uses
// may be destroyed as soon as it returns.
TEST(MetricsConcurrency, RemoveCollectorWaitsForTheRenderRunningIt) {
  MetricsRegistry r;
  auto state = std::make_unique<std::atomic<int>>(0);
  std::atomic<bool> entered{false};
  std::atomic<bool> release{false};
  CollectorId id = r.add_collector([&, s = state.get()](MetricsWriter& w) {
    entered = true;
    while (!release.load())
      std::this_thread::yield();
    w.gauge("eddy_state", "State.", {}, s->load());
  });
  std::thread scraper([&] { r.render(); });
  while (!entered.load())
    std::this_thread::yield();
  std::atomic<bool> removed{false};
  std::thread remover([&] {
    r.remove_collector(id);
    removed = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(removed.load());
  release = true;
  remover.join();
  state.reset();  // safe now: the collector will not run again
  scraper.join();
  EXPECT_EQ(r.render().find("eddy_state"), std::string::npos);
}

}  // namespace
}  // namespace eddy::metrics
