#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "connectors/metrics/latency.h"
#include "connectors/metrics/metrics_registry.h"

namespace eddy::metrics {
namespace {

// Debian's `prometheus` package ships it; scripts/setup.sh installs that package, so a missing
// promtool is a broken machine, not a reason to skip.
constexpr const char* kPromtool = "/usr/bin/promtool";

struct Checked {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `promtool check metrics` with `text` on its standard input.
Checked promtool_check(const std::string& text) {
  const std::filesystem::path file = std::filesystem::temp_directory_path() /
                                     ("eddy_metrics_" + std::to_string(::getpid()) + ".prom");
  {
    std::ofstream out(file, std::ios::binary);
    out << text;
  }
  const std::string command =
      std::string(kPromtool) + " check metrics < '" + file.string() + "' 2>&1";
  Checked result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0)
    result.output.append(buf, n);
  const int status = ::pclose(pipe);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  std::filesystem::remove(file);
  return result;
}

TEST(Promtool, IsInstalled) {
  ASSERT_EQ(::access(kPromtool, X_OK), 0)
      << kPromtool << " is missing: install Debian's `prometheus` package (scripts/setup.sh does)";
}

TEST(Promtool, AcceptsARegistryHoldingOneOfEveryKind) {
  ASSERT_EQ(::access(kPromtool, X_OK), 0) << kPromtool << " is missing";
  MetricsRegistry r;
  r.counter("eddy_http_requests_total", "HTTP requests answered, by route and status.",
            {{"route", "/v1/track"}, {"code", "202"}})
      .inc(41);
  r.counter("eddy_http_requests_total", "HTTP requests answered, by route and status.",
            {{"route", "/v1/batch"}, {"code", "429"}})
      .inc();
  r.counter("eddy_webhooks_received_total",
            "Webhooks received, by \"source\".\nSee the docs \\ ok.",
            {{"source", "quote\" backslash\\ newline\n caf\xC3\xA9 bad\xFF"}})
      .inc(3);
  r.gauge("eddy_http_connections", "HTTP connections open.").set(12);
  r.gauge("eddy_ingest_queued_bytes", "Bytes accepted and waiting for the log.").set(1.5e9);
  Histogram& latency = latency_histogram(r, "eddy_http_request_duration_seconds",
                                         "Time to answer a request.", {{"route", "/v1/track"}});
  for (double v : {0.00003, 0.0004, 0.002, 0.3, 12.0})
    latency.observe(v);
  r.histogram("eddy_ingest_batch_events", "Events per ingest batch.", {},
              std::vector<double>{1, 10, 100, 1000})
      .observe(37);
  r.counter_callback("eddy_process_cpu_seconds_total", "CPU time used.", {}, [] { return 1.25; });
  r.gauge_callback("eddy_sse_subscribers", "Server-Sent Events streams open.", {},
                   [] { return 2.0; });
  r.add_collector([](MetricsWriter& w) {
    w.counter("eddy_worker_events_processed_total", "Events a worker processed.", {{"worker", "0"}},
              1000);
    w.counter("eddy_worker_events_processed_total", "Events a worker processed.", {{"worker", "1"}},
              998);
    w.gauge("eddy_source_watermark_seconds", "The source's watermark.", {}, 1.7e9);
    w.histogram("eddy_worker_batch_events", "Events per worker batch.", {{"worker", "0"}},
                HistogramSnapshot{{8, 64}, {3, 4, 1}, 250});
  });

  const std::string text = r.render();
  const Checked checked = promtool_check(text);
  EXPECT_EQ(checked.exit_code, 0) << checked.output << "\n--- rendered:\n" << text;
  EXPECT_EQ(checked.output, "") << "--- rendered:\n" << text;
}

// The check above would be worthless if promtool accepted anything.
TEST(Promtool, RejectsWhatTheRegistryRefusesToWrite) {
  ASSERT_EQ(::access(kPromtool, X_OK), 0) << kPromtool << " is missing";
  const Checked lint = promtool_check(
      "# HELP eddy_latency_milliseconds L.\n# TYPE eddy_latency_milliseconds gauge\n"
      "eddy_latency_milliseconds 1\n");
  EXPECT_NE(lint.exit_code, 0);
  EXPECT_NE(lint.output.find("base unit"), std::string::npos) << lint.output;
  const Checked utf8 = promtool_check(
      "# HELP eddy_x_total X.\n# TYPE eddy_x_total counter\neddy_x_total{a=\"\xFF\"} 1\n");
  EXPECT_NE(utf8.exit_code, 0);
}

}  // namespace
}  // namespace eddy::metrics
