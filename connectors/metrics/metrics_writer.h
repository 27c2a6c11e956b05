#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "connectors/metrics/histogram.h"
#include "connectors/metrics/labels.h"
#include "connectors/metrics/metric_type.h"
#include "runtime/status.h"

namespace eddy::metrics {

// Builds the text of one scrape in the Prometheus text exposition format 0.0.4. Series may be
// written in any order, and one family's series from several places (the registry's own series and
// any number of collectors); text() groups each family under a single `# HELP` and `# TYPE`, as the
// format requires, with families in name order.
//
// A sample that breaks the rules (see naming.h), changes a family's type or help, or repeats a
// series already written is a bug in its caller: it is refused (asserted in debug builds, left out
// of the text and counted in errors() otherwise), so that one bad collector cannot make Prometheus
// reject the whole scrape.
//
// Not thread-safe: one scrape, one writer, one thread.
class MetricsWriter {
 public:
  void counter(std::string_view name, std::string_view help, const Labels& labels, double value);
  void gauge(std::string_view name, std::string_view help, const Labels& labels, double value);
  void histogram(std::string_view name, std::string_view help, const Labels& labels,
                 const HistogramSnapshot& snapshot);

  // Samples refused so far.
  uint64_t errors() const { return errors_; }
  std::string text() const;

 private:
  friend class MetricsRegistry;

  struct Family {
    MetricType type;
    std::string help;
    std::string samples;                        // sample lines, each ending in '\n'
    std::set<std::string, std::less<>> series;  // label keys written
  };

  // The family's sample buffer when a series with `key` may be added to it, else null (refused).
  // `checked`: the name and labels were already checked (by the registry, at registration).
  std::string* begin_series(std::string_view name, std::string_view help, MetricType type,
                            std::string_view key, bool checked);
  void refuse(const Status& why);

  // Writers of series whose label key the caller built and checked.
  void write_value(std::string_view name, std::string_view help, MetricType type,
                   std::string_view key, double value, bool checked);
  void write_counter(std::string_view name, std::string_view help, std::string_view key,
                     uint64_t value);
  void write_histogram(std::string_view name, std::string_view help, std::string_view key,
                       const HistogramSnapshot& snapshot, bool checked);

  std::map<std::string, Family, std::less<>> families_;
  uint64_t errors_ = 0;
};

// Number formatting of the text format: whole numbers as integers, others as the shortest decimal
// that reads back the same, `+Inf`, `-Inf`, `NaN`.
void append_value(std::string& out, double value);
void append_value(std::string& out, uint64_t value);
// A bucket's `le` value, spelled exactly as the Go client spells it.
void append_bucket_bound(std::string& out, double bound);

}  // namespace eddy::metrics
