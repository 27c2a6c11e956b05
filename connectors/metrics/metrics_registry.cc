#include "connectors/metrics/metrics_registry.h"

#include <cassert>
#include <cstdio>
#include <utility>

#include "connectors/metrics/naming.h"

namespace eddy::metrics {
namespace {

constexpr std::string_view kMetricsErrorsHelp =
    "Metric registrations and collector samples eddy refused as invalid; each is a bug in eddy.";

Status check_registration(std::string_view name, std::string_view help, MetricType type,
                          const Labels& labels, std::span<const double> buckets) {
  if (name == kMetricsErrorsFamily) {
    return {Errc::kAlreadyExists, std::string(kMetricsErrorsFamily) + " is the registry's own"};
  }
  Status s = check_family_name(name, type);
  if (s) s = check_help(help);
  if (s) s = check_labels(labels);
  if (s && type == MetricType::kHistogram) s = check_bucket_bounds(buckets);
  return s;
}

std::string describe(std::string_view name, const std::string& key) {
  return std::string(name) + "{" + key + "}";
}

// A detached histogram still needs bounds it can search.
std::vector<double> usable_bounds(std::span<const double> buckets) {
  if (check_bucket_bounds(buckets)) return {buckets.begin(), buckets.end()};
  return {1.0};
}

}  // namespace

MetricsRegistry::Series* MetricsRegistry::find_or_add(std::string_view name, std::string_view help,
                                                      MetricType type, const Labels& labels,
                                                      std::span<const double> buckets,
                                                      bool& created) {
  created = false;
  if (Status s = check_registration(name, help, type, labels, buckets); !s) {
    refuse(s);
    return nullptr;
  }
  auto it = families_.find(name);
  if (it == families_.end()) {
    Family f{type, std::string(help), {}, {}};
    if (type == MetricType::kHistogram) f.buckets.assign(buckets.begin(), buckets.end());
    it = families_.emplace(std::string(name), std::move(f)).first;
  } else {
    const Family& f = it->second;
    if (f.type != type) {
      refuse({Errc::kAlreadyExists, "metric '" + std::string(name) + "' registered as a " +
                                        std::string(metric_type_name(type)) + ", but it is a " +
                                        std::string(metric_type_name(f.type))});
      return nullptr;
    }
    if (f.help != help) {
      refuse(
          {Errc::kAlreadyExists, "metric '" + std::string(name) + "' registered with two helps"});
      return nullptr;
    }
    if (type == MetricType::kHistogram &&
        !std::equal(f.buckets.begin(), f.buckets.end(), buckets.begin(), buckets.end())) {
      refuse({Errc::kAlreadyExists,
              "histogram '" + std::string(name) + "' registered with two sets of buckets"});
      return nullptr;
    }
  }
  auto [slot, inserted] = it->second.series.try_emplace(label_key(labels));
  created = inserted;
  return &slot->second;
}

template <typename M, typename Make>
M& MetricsRegistry::owned_series(std::string_view name, std::string_view help, MetricType type,
                                 const Labels& labels, std::span<const double> buckets, Make make) {
  std::lock_guard lock(mu_);
  bool created = false;
  Series* slot = find_or_add(name, help, type, labels, buckets, created);
  if (slot != nullptr && created) *slot = make();
  if (slot != nullptr) {
    if (auto* owned = std::get_if<std::unique_ptr<M>>(slot)) return **owned;
    refuse({Errc::kAlreadyExists,
            "series " + describe(name, label_key(labels)) + " is registered as a callback"});
  }
  detached_.emplace_back(make());
  return *std::get<std::unique_ptr<M>>(detached_.back());
}

Counter& MetricsRegistry::counter(std::string_view name, std::string_view help,
                                  const Labels& labels) {
  return owned_series<Counter>(name, help, MetricType::kCounter, labels, {},
                               [] { return std::make_unique<Counter>(); });
}

Gauge& MetricsRegistry::gauge(std::string_view name, std::string_view help, const Labels& labels) {
  return owned_series<Gauge>(name, help, MetricType::kGauge, labels, {},
                             [] { return std::make_unique<Gauge>(); });
}

Histogram& MetricsRegistry::histogram(std::string_view name, std::string_view help,
                                      const Labels& labels, std::span<const double> buckets) {
  return owned_series<Histogram>(name, help, MetricType::kHistogram, labels, buckets, [buckets] {
    return std::make_unique<Histogram>(usable_bounds(buckets));
  });
}

void MetricsRegistry::add_callback(std::string_view name, std::string_view help, MetricType type,
                                   const Labels& labels, std::function<double()> value) {
  std::lock_guard lock(mu_);
  if (!value) {
    return refuse({Errc::kInvalidArgument, "callback for '" + std::string(name) + "' is empty"});
  }
  bool created = false;
  Series* slot = find_or_add(name, help, type, labels, {}, created);
  if (slot == nullptr) return;
  if (!created && !std::holds_alternative<Callback>(*slot)) {
    refuse({Errc::kAlreadyExists,
            "series " + describe(name, label_key(labels)) + " is registered as a metric"});
    return;
  }
  *slot = std::move(value);
}

void MetricsRegistry::counter_callback(std::string_view name, std::string_view help,
                                       const Labels& labels, std::function<double()> value) {
  add_callback(name, help, MetricType::kCounter, labels, std::move(value));
}

void MetricsRegistry::gauge_callback(std::string_view name, std::string_view help,
                                     const Labels& labels, std::function<double()> value) {
  add_callback(name, help, MetricType::kGauge, labels, std::move(value));
}

CollectorId MetricsRegistry::add_collector(std::function<void(MetricsWriter&)> collect) {
  std::lock_guard lock(collectors_mu_);
  CollectorId id(next_collector_++);
  collectors_.push_back(
      {id, std::make_shared<std::function<void(MetricsWriter&)>>(std::move(collect))});
  return id;
}

void MetricsRegistry::remove_collector(CollectorId id) {
  // Waiting for any render in progress is what makes it safe to destroy what the collector uses
  // as soon as this returns.
  std::lock_guard render_lock(render_mu_);
  std::lock_guard lock(collectors_mu_);
  std::erase_if(collectors_, [id](const Collector& c) { return c.id == id; });
}

void MetricsRegistry::refuse(const Status& why) {
  errors_.fetch_add(1, std::memory_order_relaxed);
  std::fprintf(stderr, "eddy metrics: refused a registration: %s\n", why.to_string().c_str());
  assert(false && "a metric registration broke the rules (see the message above)");
}

void MetricsRegistry::write_families(MetricsWriter& writer) {
  for (const auto& [name, family] : families_) {
    for (const auto& [key, series] : family.series) {
      if (auto* c = std::get_if<std::unique_ptr<Counter>>(&series)) {
        writer.write_counter(name, family.help, key, (*c)->value());
      } else if (auto* g = std::get_if<std::unique_ptr<Gauge>>(&series)) {
        writer.write_value(name, family.help, MetricType::kGauge, key, (*g)->value(), true);
      } else if (auto* h = std::get_if<std::unique_ptr<Histogram>>(&series)) {
        writer.write_histogram(name, family.help, key, (*h)->snapshot(), true);
      } else if (auto* cb = std::get_if<Callback>(&series)) {
        writer.write_value(name, family.help, family.type, key, (*cb)(), true);
      }
    }
  }
}

std::string MetricsRegistry::render() {
  std::lock_guard render_lock(render_mu_);
  MetricsWriter writer;
  {
    std::lock_guard lock(mu_);
    write_families(writer);
  }
  std::vector<std::shared_ptr<std::function<void(MetricsWriter&)>>> collectors;
  {
    std::lock_guard lock(collectors_mu_);
    for (const Collector& c : collectors_)
      collectors.push_back(c.collect);
  }
  for (const auto& collect : collectors)
    (*collect)(writer);
  // Written last so that it includes what the collectors of this very scrape got wrong.
  const uint64_t refused_now = writer.errors();
  const uint64_t total = errors_.fetch_add(refused_now, std::memory_order_relaxed) + refused_now;
  writer.write_counter(kMetricsErrorsFamily, kMetricsErrorsHelp, "", total);
  return writer.text();
}

}  // namespace eddy::metrics
