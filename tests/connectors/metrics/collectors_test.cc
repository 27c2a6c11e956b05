#include <gtest/gtest.h>

#include <atomic>

#include "connectors/metrics/metrics_registry.h"
#include "connectors/metrics/metrics_writer.h"

namespace eddy::metrics {
namespace {

// The registry's own family, which every scrape carries (families are sorted by name).
std::string errors_family(int n) {
  return "# HELP eddy_metrics_errors_total Metric registrations and collector samples eddy refused "
         "as invalid; each is a bug in eddy.\n"
         "# TYPE eddy_metrics_errors_total counter\n"
         "eddy_metrics_errors_total " +
         std::to_string(n) + "\n";
}

TEST(Callbacks, ComputeTheirValueAtEachScrape) {
  MetricsRegistry r;
  std::atomic<int> open{2};
  int scrapes = 0;
  r.gauge_callback("eddy_sse_subscribers", "Server-Sent Events streams open.", {},
                   [&] { return static_cast<double>(open.load()); });
  r.counter_callback("eddy_scrapes_total", "Scrapes so far.", {{"path", "/metrics"}},
                     [&] { return static_cast<double>(++scrapes); });
  const std::string first = r.render();
  open = 5;
  const std::string second = r.render();
  EXPECT_EQ(first, errors_family(0) +
                       "# HELP eddy_scrapes_total Scrapes so far.\n"
                       "# TYPE eddy_scrapes_total counter\n"
                       "eddy_scrapes_total{path=\"/metrics\"} 1\n"
                       "# HELP eddy_sse_subscribers Server-Sent Events streams open.\n"
                       "# TYPE eddy_sse_subscribers gauge\n"
                       "eddy_sse_subscribers 2\n");
  EXPECT_NE(second.find("eddy_scrapes_total{path=\"/metrics\"} 2\n"), std::string::npos);
  EXPECT_NE(second.find("eddy_sse_subscribers 5\n"), std::string::npos);
}

TEST(Callbacks, RegisteringAgainReplacesTheFunction) {
  MetricsRegistry r;
  r.gauge_callback("eddy_pool_size", "Pool size.", {}, [] { return 1.0; });
  r.gauge_callback("eddy_pool_size", "Pool size.", {}, [] { return 2.0; });
  EXPECT_NE(r.render().find("eddy_pool_size 2\n"), std::string::npos);
  EXPECT_EQ(r.errors(), 0u);
}

TEST(Collectors, WriteFamiliesThatMergeWithRegisteredOnesUnderOneHeader) {
  MetricsRegistry r;
  r.counter("eddy_worker_events_processed_total", "Events processed.", {{"worker", "static"}})
      .inc(4);
  r.add_collector([](MetricsWriter& w) {
    w.counter("eddy_worker_events_processed_total", "Events processed.", {{"worker", "1"}}, 10);
    w.counter("eddy_worker_events_processed_total", "Events processed.", {{"worker", "0"}}, 12);
    w.gauge("eddy_worker_keys", "Keys held.", {{"worker", "0"}}, 3);
  });
  r.add_collector([](MetricsWriter& w) {
    HistogramSnapshot s{{1, 2}, {1, 0, 2}, 9.5};
    w.histogram("eddy_batch_events", "Events per batch.", {{"source", "bulk"}}, s);
  });
  EXPECT_EQ(r.render(),
            "# HELP eddy_batch_events Events per batch.\n"
            "# TYPE eddy_batch_events histogram\n"
            "eddy_batch_events_bucket{source=\"bulk\",le=\"1\"} 1\n"
            "eddy_batch_events_bucket{source=\"bulk\",le=\"2\"} 1\n"
            "eddy_batch_events_bucket{source=\"bulk\",le=\"+Inf\"} 3\n"
            "eddy_batch_events_sum{source=\"bulk\"} 9.5\n"
            "eddy_batch_events_count{source=\"bulk\"} 3\n" +
                errors_family(0) +
                "# HELP eddy_worker_events_processed_total Events processed.\n"
                "# TYPE eddy_worker_events_processed_total counter\n"
                "eddy_worker_events_processed_total{worker=\"static\"} 4\n"
                "eddy_worker_events_processed_total{worker=\"1\"} 10\n"
                "eddy_worker_events_processed_total{worker=\"0\"} 12\n"
                "# HELP eddy_worker_keys Keys held.\n"
                "# TYPE eddy_worker_keys gauge\n"
                "eddy_worker_keys{worker=\"0\"} 3\n");
}

TEST(Collectors, RemovedCollectorsNoLongerRun) {
  MetricsRegistry r;
  int runs = 0;
  CollectorId id = r.add_collector([&](MetricsWriter& w) {
    ++runs;
    w.gauge("eddy_temporary", "Temporary.", {}, 1);
  });
  EXPECT_NE(r.render().find("eddy_temporary 1\n"), std::string::npos);
  r.remove_collector(id);
  EXPECT_EQ(r.render(), errors_family(0));
  EXPECT_EQ(runs, 1);
}

TEST(Collectors, MayRegisterMetricsWhileTheyRun) {
  MetricsRegistry r;
  r.add_collector([&r](MetricsWriter&) { r.counter("eddy_lazy_total", "Lazy.").inc(); });
  r.render();
  EXPECT_NE(r.render().find("eddy_lazy_total 1\n"), std::string::npos);
}

// A bad sample from a collector asserts in debug builds; in release builds it is left out and
// counted in the same scrape, and the rest of the scrape stays valid.
TEST(Collectors, BadSamplesAreRefusedAndCounted) {
  struct Case {
    std::string_view what;
    std::function<void(MetricsWriter&)> write;
    std::string_view message;
  };
  const Case cases[] = {
      {"bad name", [](MetricsWriter& w) { w.gauge("queue_depth", "Q.", {}, 1); }, "eddy_"},
      {"type conflict with a registered family",
       [](MetricsWriter& w) { w.gauge("eddy_registered_total", "R.", {}, 1); },
       "written as a gauge, but it is a counter"},
      {"type conflict between writes",
       [](MetricsWriter& w) {
         w.gauge("eddy_depth", "D.", {{"q", "a"}}, 1);
         w.histogram("eddy_depth", "D.", {{"q", "b"}}, HistogramSnapshot{{1}, {0, 0}, 0});
       },
       "written as a histogram, but it is a gauge"},
      {"same series twice",
       [](MetricsWriter& w) {
         w.gauge("eddy_depth", "D.", {{"q", "a"}}, 1);
         w.gauge("eddy_depth", "D.", {{"q", "a"}}, 2);
       },
       "written twice"},
      {"a registered series again",
       [](MetricsWriter& w) { w.counter("eddy_registered_total", "R.", {}, 1); }, "written twice"},
      {"snapshot without its +Inf count",
       [](MetricsWriter& w) {
         w.histogram("eddy_h", "H.", {}, HistogramSnapshot{{1}, {0}, 0});
       },
       "one count per bound"},
      {"two helps",
       [](MetricsWriter& w) {
         w.gauge("eddy_depth", "D.", {{"q", "a"}}, 1);
         w.gauge("eddy_depth", "Depth.", {{"q", "b"}}, 1);
       },
       "two helps"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.what));
    MetricsRegistry r;
    r.counter("eddy_registered_total", "R.").inc();
    r.add_collector(c.write);
    EXPECT_DEBUG_DEATH(r.render(), std::string(c.message));
#ifdef NDEBUG
    const std::string text = r.render();
    EXPECT_NE(text.find("eddy_metrics_errors_total 2\n"), std::string::npos)
        << "one refusal per scrape, counted in the scrape itself:\n"
        << text;
    EXPECT_NE(text.find("eddy_registered_total 1\n"), std::string::npos);
    EXPECT_EQ(text.find("queue_depth"), std::string::npos);
    EXPECT_EQ(text.find("eddy_depth 2"), std::string::npos);
    EXPECT_EQ(text.find("eddy_h_bucket"), std::string::npos);
#endif
  }
}

}  // namespace
}  // namespace eddy::metrics
