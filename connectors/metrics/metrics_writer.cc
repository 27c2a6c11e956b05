#include "connectors/metrics/metrics_writer.h"

#include <cassert>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "connectors/metrics/naming.h"

namespace eddy::metrics {
namespace {

void append_sample_start(std::string& out, std::string_view name, std::string_view suffix,
                         std::string_view key) {
  out += name;
  out += suffix;
  if (!key.empty()) {
    out += '{';
    out += key;
    out += '}';
  }
  out += ' ';
}

}  // namespace

void append_value(std::string& out, double value) {
  // Whole numbers (counts handed over as doubles, seconds since the epoch) read best as integers;
  // below 2^53 every one of them is exact.
  constexpr double kExactIntegers = 9007199254740992.0;
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else if (std::trunc(value) == value && std::fabs(value) < kExactIntegers) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(value));
    assert(ec == std::errc());
    out.append(buf, end);
  } else {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    assert(ec == std::errc());
    out.append(buf, end);
  }
}

void append_bucket_bound(std::string& out, double bound) {
  // Go's strconv.FormatFloat(bound, 'g', -1, 64), which the Go client writes `le` with: scientific
  // below 1e-4 and from 1e6 up, fixed between. `le` values are label values, so two processes
  // spelling a bound differently would split a bucket into two series when summed across them.
  char buf[32];
  auto [sci_end, sci_ec] =
      std::to_chars(buf, buf + sizeof buf, bound, std::chars_format::scientific);
  assert(sci_ec == std::errc());
  const std::string_view sci(buf, static_cast<size_t>(sci_end - buf));
  size_t at = sci.find('e') + 1;
  if (sci[at] == '+') ++at;  // from_chars takes a minus sign only
  int exponent = 0;
  std::from_chars(sci.data() + at, sci.data() + sci.size(), exponent);
  if (exponent < -4 || exponent >= 6) {
    out += sci;
    return;
  }
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, bound, std::chars_format::fixed);
  assert(ec == std::errc());
  out.append(buf, end);
}

void append_value(std::string& out, uint64_t value) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  assert(ec == std::errc());
  out.append(buf, end);
}

void MetricsWriter::counter(std::string_view name, std::string_view help, const Labels& labels,
                            double value) {
  if (Status s = check_labels(labels); !s) return refuse(s);
  write_value(name, help, MetricType::kCounter, label_key(labels), value, false);
}

void MetricsWriter::gauge(std::string_view name, std::string_view help, const Labels& labels,
                          double value) {
  if (Status s = check_labels(labels); !s) return refuse(s);
  write_value(name, help, MetricType::kGauge, label_key(labels), value, false);
}

void MetricsWriter::histogram(std::string_view name, std::string_view help, const Labels& labels,
                              const HistogramSnapshot& snapshot) {
  if (Status s = check_labels(labels); !s) return refuse(s);
  write_histogram(name, help, label_key(labels), snapshot, false);
}

std::string* MetricsWriter::begin_series(std::string_view name, std::string_view help,
                                         MetricType type, std::string_view key, bool checked) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    if (!checked) {
      Status s = check_family_name(name, type);
      if (s) s = check_help(help);
      if (!s) {
        refuse(s);
        return nullptr;
      }
    }
    it = families_.emplace(std::string(name), Family{type, std::string(help), {}, {}}).first;
  } else if (it->second.type != type) {
    refuse({Errc::kInvalidArgument, "metric '" + std::string(name) + "' written as a " +
                                        std::string(metric_type_name(type)) + ", but it is a " +
                                        std::string(metric_type_name(it->second.type))});
    return nullptr;
  } else if (it->second.help != help) {
    refuse({Errc::kInvalidArgument, "metric '" + std::string(name) + "' written with two helps"});
    return nullptr;
  }
  if (!it->second.series.emplace(key).second) {
    refuse({Errc::kAlreadyExists, "series " + std::string(name) + "{" + std::string(key) +
                                      "} written twice in one scrape"});
    return nullptr;
  }
  return &it->second.samples;
}

void MetricsWriter::refuse(const Status& why) {
  ++errors_;
  std::fprintf(stderr, "eddy metrics: refused a sample: %s\n", why.to_string().c_str());
  assert(false && "a metrics collector wrote a bad sample (see the message above)");
}

void MetricsWriter::write_value(std::string_view name, std::string_view help, MetricType type,
                                std::string_view key, double value, bool checked) {
  std::string* out = begin_series(name, help, type, key, checked);
  if (out == nullptr) return;
  append_sample_start(*out, name, "", key);
  append_value(*out, value);
  *out += '\n';
}

void MetricsWriter::write_counter(std::string_view name, std::string_view help,
                                  std::string_view key, uint64_t value) {
  std::string* out = begin_series(name, help, MetricType::kCounter, key, true);
  if (out == nullptr) return;
  append_sample_start(*out, name, "", key);
  append_value(*out, value);
  *out += '\n';
}

void MetricsWriter::write_histogram(std::string_view name, std::string_view help,
                                    std::string_view key, const HistogramSnapshot& snapshot,
                                    bool checked) {
  if (!checked) {
    if (Status s = check_bucket_bounds(snapshot.bounds); !s) return refuse(s);
    if (snapshot.counts.size() != snapshot.bounds.size() + 1) {
      return refuse({Errc::kInvalidArgument,
                     "a histogram snapshot needs one count per bound "
                     "and one for +Inf"});
    }
  }
  std::string* out = begin_series(name, help, MetricType::kHistogram, key, checked);
  if (out == nullptr) return;
  // The `le` label goes after the series' own labels, as every Prometheus client writes it.
  const std::string prefix = key.empty() ? std::string() : std::string(key) + ",";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < snapshot.counts.size(); ++i) {
    cumulative += snapshot.counts[i];
    *out += name;
    *out += "_bucket{";
    *out += prefix;
    *out += "le=\"";
    if (i < snapshot.bounds.size()) {
      append_bucket_bound(*out, snapshot.bounds[i]);
    } else {
      *out += "+Inf";
    }
    *out += "\"} ";
    append_value(*out, cumulative);
    *out += '\n';
  }
  append_sample_start(*out, name, "_sum", key);
  append_value(*out, snapshot.sum);
  *out += '\n';
  append_sample_start(*out, name, "_count", key);
  append_value(*out, cumulative);
  *out += '\n';
}

std::string MetricsWriter::text() const {
  std::string out;
  for (const auto& [name, family] : families_) {
    out += "# HELP ";
    out += name;
    out += ' ';
    append_escaped_help(out, family.help);
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += metric_type_name(family.type);
    out += '\n';
    out += family.samples;
  }
  return out;
}

}  // namespace eddy::metrics
