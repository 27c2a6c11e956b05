#include "connectors/metrics/metrics_registry.h"

#include <gtest/gtest.h>

#include <vector>

namespace eddy::metrics {
namespace {

// The registry's own family, which every scrape carries (families are sorted by name).
constexpr std::string_view kErrorsZero =
    "# HELP eddy_metrics_errors_total Metric registrations and collector samples eddy refused as "
    "invalid; each is a bug in eddy.\n"
    "# TYPE eddy_metrics_errors_total counter\n"
    "eddy_metrics_errors_total 0\n";

const std::vector<double> kBuckets = {0.25, 1, 4};

TEST(MetricsRegistry, AnEmptyRegistryRendersOnlyItsOwnErrorCounter) {
  MetricsRegistry r;
  EXPECT_EQ(r.render(), kErrorsZero);
}

TEST(MetricsRegistry, RendersCountersAndGaugesGroupedBySortedFamilyAndSeries) {
  MetricsRegistry r;
  r.counter("eddy_http_requests_total", "HTTP requests answered.",
            {{"route", "/v1/track"}, {"code", "202"}})
      .inc(3);
  r.counter("eddy_http_requests_total", "HTTP requests answered.",
            {{"code", "400"}, {"route", "/v1/batch"}})
      .inc();
  r.gauge("eddy_http_connections", "Connections open.").set(7);
  Gauge& queued = r.gauge("eddy_ingest_queued_bytes", "Bytes waiting for the log.");
  queued.add(1.5);
  queued.dec();
  EXPECT_EQ(r.render(),
            "# HELP eddy_http_connections Connections open.\n"
            "# TYPE eddy_http_connections gauge\n"
            "eddy_http_connections 7\n"
            "# HELP eddy_http_requests_total HTTP requests answered.\n"
            "# TYPE eddy_http_requests_total counter\n"
            "eddy_http_requests_total{code=\"202\",route=\"/v1/track\"} 3\n"
            "eddy_http_requests_total{code=\"400\",route=\"/v1/batch\"} 1\n"
            "# HELP eddy_ingest_queued_bytes Bytes waiting for the log.\n"
            "# TYPE eddy_ingest_queued_bytes gauge\n"
            "eddy_ingest_queued_bytes 0.5\n" +
                std::string(kErrorsZero));
}

TEST(MetricsRegistry, RendersHistogramsWithCumulativeBucketsInfSumAndCount) {
  MetricsRegistry r;
  Histogram& h = r.histogram("eddy_request_duration_seconds", "Time to answer a request.",
                             {{"route", "/v1/track"}}, kBuckets);
  for (double v : {0.125, 0.25, 0.5, 2.0, 8.0})
    h.observe(v);
  r.histogram("eddy_request_duration_seconds", "Time to answer a request.", {}, kBuckets);
  EXPECT_EQ(r.render(),
            std::string(kErrorsZero) +
                "# HELP eddy_request_duration_seconds Time to answer a request.\n"
                "# TYPE eddy_request_duration_seconds histogram\n"
                "eddy_request_duration_seconds_bucket{le=\"0.25\"} 0\n"
                "eddy_request_duration_seconds_bucket{le=\"1\"} 0\n"
                "eddy_request_duration_seconds_bucket{le=\"4\"} 0\n"
                "eddy_request_duration_seconds_bucket{le=\"+Inf\"} 0\n"
                "eddy_request_duration_seconds_sum 0\n"
                "eddy_request_duration_seconds_count 0\n"
                "eddy_request_duration_seconds_bucket{route=\"/v1/track\",le=\"0.25\"} 2\n"
                "eddy_request_duration_seconds_bucket{route=\"/v1/track\",le=\"1\"} 3\n"
                "eddy_request_duration_seconds_bucket{route=\"/v1/track\",le=\"4\"} 4\n"
                "eddy_request_duration_seconds_bucket{route=\"/v1/track\",le=\"+Inf\"} 5\n"
                "eddy_request_duration_seconds_sum{route=\"/v1/track\"} 10.875\n"
                "eddy_request_duration_seconds_count{route=\"/v1/track\"} 5\n");
}

TEST(MetricsRegistry, BucketBoundsAreWrittenInShortestForm) {
  MetricsRegistry r;
  r.histogram("eddy_tiny_seconds", "Tiny.", {}, std::vector<double>{5e-05, 0.0001, 0.1, 2.5, 1e6});
  const std::string text = r.render();
  for (std::string_view le : {"5e-05", "0.0001", "0.1", "2.5", "1e+06"}) {
    SCOPED_TRACE(std::string(le));
    EXPECT_NE(text.find("eddy_tiny_seconds_bucket{le=\"" + std::string(le) + "\"} 0\n"),
              std::string::npos)
        << text;
  }
}

TEST(MetricsRegistry, EscapesLabelValuesAndHelp) {
  MetricsRegistry r;
  r.counter("eddy_webhooks_received_total", "Webhooks by source.\nOne line per \\ source.",
            {{"source", "shop \"main\"\\eu\nwest"}})
      .inc(2);
  EXPECT_EQ(
      r.render(),
      std::string(kErrorsZero) +
          "# HELP eddy_webhooks_received_total Webhooks by source.\\nOne line per \\\\ source.\n"
          "# TYPE eddy_webhooks_received_total counter\n"
          "eddy_webhooks_received_total{source=\"shop \\\"main\\\"\\\\eu\\nwest\"} 2\n");
}

TEST(MetricsRegistry, RegisteringASeriesAgainReturnsIt) {
  MetricsRegistry r;
  Counter& a = r.counter("eddy_x_total", "X.", {{"a", "1"}, {"b", "2"}});
  Counter& b = r.counter("eddy_x_total", "X.", {{"b", "2"}, {"a", "1"}});
  Counter& other = r.counter("eddy_x_total", "X.", {{"a", "1"}, {"b", "3"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &other);
  Histogram& h = r.histogram("eddy_h_seconds", "H.", {}, kBuckets);
  EXPECT_EQ(&r.histogram("eddy_h_seconds", "H.", {}, kBuckets), &h);
  EXPECT_EQ(r.errors(), 0u);
}

TEST(MetricsRegistry, ValuesKeepFullPrecision) {
  MetricsRegistry r;
  r.counter("eddy_big_total", "Big.").inc(18'446'744'073'709'551'615ull);
  r.gauge("eddy_ratio", "Ratio.").set(0.1 + 0.2);
  r.gauge("eddy_inf", "Inf.").set(-std::numeric_limits<double>::infinity());
  const std::string text = r.render();
  EXPECT_NE(text.find("eddy_big_total 18446744073709551615\n"), std::string::npos) << text;
  EXPECT_NE(text.find("eddy_ratio 0.30000000000000004\n"), std::string::npos) << text;
  EXPECT_NE(text.find("eddy_inf -Inf\n"), std::string::npos) << text;
}

// A refused registration asserts in debug builds. Release builds (the suite's usual build) keep
// going with a detached metric, leave it out of the scrape and count it.
struct Refusal {
  std::string_view what;
  std::function<void(MetricsRegistry&)> setup;
  std::function<void(MetricsRegistry&)> call;
  std::string_view message;
};

TEST(MetricsRegistry, RefusesProgrammingErrors) {
  const Refusal cases[] = {
      {"no prefix", [](MetricsRegistry&) {},
       [](MetricsRegistry& r) { r.counter("requests_total", "R.").inc(); },
       "must start with 'eddy_'"},
      {"counter without _total", [](MetricsRegistry&) {},
       [](MetricsRegistry& r) { r.counter("eddy_requests", "R.").inc(); }, "a counter ends in"},
      {"empty help", [](MetricsRegistry&) {},
       [](MetricsRegistry& r) { r.gauge("eddy_open", "").set(1); }, "needs a help text"},
      {"bad label", [](MetricsRegistry&) {},
       [](MetricsRegistry& r) {
         r.gauge("eddy_open", "O.", {{"Bad", "x"}}).set(1);
       },
       "lower-case snake case"},
      {"le on a histogram", [](MetricsRegistry&) {},
       [](MetricsRegistry& r) {
         r.histogram("eddy_h_seconds", "H.", {{"le", "1"}}, kBuckets).observe(1);
       },
       "reserved for histogram buckets"},
      {"bad buckets", [](MetricsRegistry&) {},
       [](MetricsRegistry& r) {
         r.histogram("eddy_h_seconds", "H.", {}, std::vector<double>{2, 1}).observe(1);
       },
       "increase strictly"},
      {"another type", [](MetricsRegistry& r) { r.gauge("eddy_open", "O."); },
       [](MetricsRegistry& r) { r.histogram("eddy_open", "O.", {}, kBuckets).observe(1); },
       "registered as a histogram, but it is a gauge"},
      {"another help", [](MetricsRegistry& r) { r.gauge("eddy_open", "O."); },
       [](MetricsRegistry& r) { r.gauge("eddy_open", "Other.").set(1); }, "two helps"},
      {"other buckets",
       [](MetricsRegistry& r) { r.histogram("eddy_h_seconds", "H.", {}, kBuckets); },
       [](MetricsRegistry& r) {
         r.histogram("eddy_h_seconds", "H.", {}, std::vector<double>{1, 2}).observe(1);
       },
       "two sets of buckets"},
      {"callback series as a metric",
       [](MetricsRegistry& r) { r.gauge_callback("eddy_open", "O.", {}, [] { return 1.0; }); },
       [](MetricsRegistry& r) { r.gauge("eddy_open", "O.").set(5); }, "registered as a callback"},
      {"empty callback", [](MetricsRegistry&) {},
       [](MetricsRegistry& r) { r.gauge_callback("eddy_open", "O.", {}, {}); }, "is empty"},
      {"the registry's own family", [](MetricsRegistry&) {},
       [](MetricsRegistry& r) { r.counter("eddy_metrics_errors_total", "Mine.").inc(); },
       "is the registry's own"},
  };
  for (const Refusal& c : cases) {
    SCOPED_TRACE(std::string(c.what));
    MetricsRegistry r;
    c.setup(r);
    const std::string before = r.render();
    EXPECT_DEBUG_DEATH(c.call(r), std::string(c.message));
#ifdef NDEBUG
    EXPECT_EQ(r.errors(), 1u);
    std::string expected = before;
    const std::string zero = "eddy_metrics_errors_total 0\n";
    expected.replace(expected.find(zero), zero.size(), "eddy_metrics_errors_total 1\n");
    EXPECT_EQ(r.render(), expected) << "the refused metric stays out of the scrape";
#endif
  }
}

}  // namespace
}  // namespace eddy::metrics
