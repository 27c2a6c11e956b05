#include "connectors/metrics/naming.h"

#include <array>
#include <set>
#include <string>

namespace eddy::metrics {
namespace {

constexpr std::string_view kPrefix = "eddy_";

bool is_lower_snake(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

Status invalid(std::string message) {
  return {Errc::kInvalidArgument, std::move(message)};
}

// Units that have a base unit Prometheus prefers; `promtool check metrics` flags them too.
constexpr std::array<std::string_view, 10> kNonBaseUnits = {
    "_milliseconds", "_microseconds", "_nanoseconds", "_minutes",   "_hours",
    "_days",         "_kilobytes",    "_megabytes",   "_gigabytes", "_millis",
};

}  // namespace

Status check_family_name(std::string_view name, MetricType type) {
  const std::string quoted = "metric name '" + std::string(name) + "'";
  if (!name.starts_with(kPrefix) || name.size() == kPrefix.size()) {
    return invalid(quoted + " must start with '" + std::string(kPrefix) + "' and go on");
  }
  for (char c : name) {
    if (!is_lower_snake(c)) return invalid(quoted + " must be lower-case snake case [a-z0-9_]");
  }
  if (name.ends_with('_')) return invalid(quoted + " must not end in '_'");
  const bool total = name.ends_with("_total");
  if (type == MetricType::kCounter && !total) return invalid(quoted + ": a counter ends in _total");
  if (type != MetricType::kCounter && total) {
    return invalid(quoted + ": only counters end in _total");
  }
  for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
    if (name.ends_with(suffix)) {
      return invalid(quoted + " must not end in " + std::string(suffix) +
                     ", which histograms use for their samples");
    }
  }
  for (std::string_view unit : kNonBaseUnits) {
    if (name.find(unit) != std::string_view::npos) {
      return invalid(quoted + " uses " + std::string(unit) + "; use base units (_seconds, _bytes)");
    }
  }
  return Status::ok();
}

Status check_label_name(std::string_view name) {
  const std::string quoted = "label name '" + std::string(name) + "'";
  if (name.empty()) return invalid("a label name is empty");
  if (name[0] >= '0' && name[0] <= '9') return invalid(quoted + " starts with a digit");
  for (char c : name) {
    if (!is_lower_snake(c)) return invalid(quoted + " must be lower-case snake case [a-z0-9_]");
  }
  if (name.starts_with("__")) return invalid(quoted + ": names starting __ are Prometheus's");
  if (name == "le") return invalid(quoted + " is reserved for histogram buckets");
  return Status::ok();
}

Status check_labels(const Labels& labels) {
  std::set<std::string_view> seen;
  for (const Label& l : labels) {
    if (Status s = check_label_name(l.name); !s) return s;
    if (!seen.insert(l.name).second) return invalid("label '" + l.name + "' is given twice");
  }
  return Status::ok();
}

Status check_help(std::string_view help) {
  if (help.empty()) return invalid("a metric family needs a help text");
  return Status::ok();
}

}  // namespace eddy::metrics
