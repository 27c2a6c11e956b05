#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "connectors/metrics/counter.h"
#include "connectors/metrics/gauge.h"
#include "connectors/metrics/histogram.h"
#include "connectors/metrics/labels.h"
#include "connectors/metrics/metric_type.h"
#include "connectors/metrics/metrics_writer.h"
#include "runtime/ids.h"

namespace eddy::metrics {

using CollectorId = NamedType<uint64_t, struct CollectorIdTag>;

// The metrics of one eddy process, rendered for Prometheus in the text exposition format 0.0.4.
//
// Three kinds of series:
//   - counters, gauges and histograms the registry owns: registered once (at start-up, or the first
//     time a label value is met) and then updated on hot paths through the reference returned,
//     lock-free (see counter.h, gauge.h, histogram.h);
//   - callback counters and gauges, whose value a function computes at scrape time;
//   - collectors, functions that write whole families at scrape time through a MetricsWriter (the
//     engine's per-worker counters, gathered through the workers' inboxes: engine_collector.h).
//
// Registering a series that exists (same name, type and labels, and the same buckets for a
// histogram) returns it, so code paths that meet the same label values share a series. Registering
// a bad name (naming.h), bad labels, an empty help, bad buckets, or a family again with another
// type, help or buckets, is a programming error: metric names are literals in eddy's code, so the
// first test run meets it. It asserts in debug builds. In release builds the call still returns a
// usable metric, detached from the registry and never rendered, and the mistake is printed to
// stderr and counted in `eddy_metrics_errors_total`, which every scrape carries; a scrape is never
// made invalid by it. check_family_name() is there for code that builds names at run time.
//
// Threading contract:
//   - every method is thread-safe;
//   - registration takes a lock; updating a registered metric never does;
//   - references returned stay valid for the registry's lifetime;
//   - render() calls are serialised; callbacks run with the registry locked and must not call it;
//     collectors run without that lock (they may register) but one render at a time, so they need
//     not be thread-safe among themselves;
//   - after remove_collector() returns, the collector is not running and will not run again; it
//     must not be called from a collector.
class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  Counter& counter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, const Labels& labels = {});
  Histogram& histogram(std::string_view name, std::string_view help, const Labels& labels,
                       std::span<const double> buckets);

  // A series whose value `value` computes at each scrape. Registering the same series again
  // replaces its function.
  void counter_callback(std::string_view name, std::string_view help, const Labels& labels,
                        std::function<double()> value);
  void gauge_callback(std::string_view name, std::string_view help, const Labels& labels,
                      std::function<double()> value);

  CollectorId add_collector(std::function<void(MetricsWriter&)> collect);
  void remove_collector(CollectorId id);

  // The text of one scrape (Content-Type `text/plain; version=0.0.4; charset=utf-8`).
  std::string render();

  // Registrations refused plus samples collectors wrote that were refused, since start.
  uint64_t errors() const { return errors_.load(std::memory_order_relaxed); }

 private:
  using Callback = std::function<double()>;
  using Series = std::variant<std::unique_ptr<Counter>, std::unique_ptr<Gauge>,
                              std::unique_ptr<Histogram>, Callback>;
  struct Family {
    MetricType type;
    std::string help;
    std::vector<double> buckets;           // histograms only
    std::map<std::string, Series> series;  // by label key
  };
  struct Collector {
    CollectorId id;
    // Shared so that a render can run it after letting go of the list.
    std::shared_ptr<std::function<void(MetricsWriter&)>> collect;
  };

  // The series slot for (name, labels), with `created` set when it is new (and empty); null when
  // the registration is refused (and counted). Needs mu_.
  Series* find_or_add(std::string_view name, std::string_view help, MetricType type,
                      const Labels& labels, std::span<const double> buckets, bool& created);
  template <typename M, typename Make>
  M& owned_series(std::string_view name, std::string_view help, MetricType type,
                  const Labels& labels, std::span<const double> buckets, Make make);
  void add_callback(std::string_view name, std::string_view help, MetricType type,
                    const Labels& labels, std::function<double()> value);
  void refuse(const Status& why);
  void write_families(MetricsWriter& writer);

  // Guards families_ and the detached metrics; never taken on an update.
  std::mutex mu_;
  std::map<std::string, Family, std::less<>> families_;
  // Refused registrations' metrics: owned so that their references stay valid, never rendered.
  std::vector<Series> detached_;

  // Serialises renders, and so collectors against each other and against remove_collector.
  std::mutex render_mu_;
  std::mutex collectors_mu_;
  std::vector<Collector> collectors_;
  uint64_t next_collector_ = 1;

  std::atomic<uint64_t> errors_{0};
};

// The family counting what the registry refused; every scrape carries it.
inline constexpr std::string_view kMetricsErrorsFamily = "eddy_metrics_errors_total";

}  // namespace eddy::metrics
