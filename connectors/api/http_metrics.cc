#include "connectors/api/http_metrics.h"

#include <array>
#include <map>

#include "connectors/metrics/latency.h"

namespace eddy {

namespace {

// The codes the edge answers with; anything else is counted as "other".
constexpr std::array<unsigned, 14> kCodes = {200, 207, 400, 401, 404, 405, 408,
                                             413, 415, 429, 431, 500, 503, 0};

struct RouteSeries {
  metrics::Histogram* latency = nullptr;
  std::array<metrics::Counter*, kCodes.size()> requests{};
};

}  // namespace

ResponseObserver make_http_observer(metrics::MetricsRegistry& registry, const Router& router) {
  // Keyed by pattern only: the session reports the pattern, and every pattern here has a method
  // of its own or shares one histogram across methods (PUT/DELETE /v1/segments/{id}).
  auto series = std::make_shared<std::map<std::string, RouteSeries, std::less<>>>();
  std::vector<std::string> patterns;
  for (const RouteInfo& r : router.routes())
    patterns.push_back(r.pattern);
  patterns.push_back("unmatched");
  patterns.push_back("unreadable");
  for (const std::string& pattern : patterns) {
    if (series->contains(pattern)) continue;
    RouteSeries& s = (*series)[pattern];
    s.latency = &metrics::latency_histogram(
        registry, "eddy_http_request_duration_seconds",
        "Time from a request's last byte to its response, by route", {{"route", pattern}});
    for (size_t i = 0; i < kCodes.size(); ++i) {
      const std::string code = kCodes[i] == 0 ? "other" : std::to_string(kCodes[i]);
      s.requests[i] =
          &registry.counter("eddy_http_requests_total", "HTTP responses by route and status code",
                            {{"route", pattern}, {"code", code}});
    }
  }
  return [series](std::string_view route, unsigned status, std::chrono::nanoseconds latency) {
    auto it = series->find(route);
    if (it == series->end()) it = series->find("unmatched");
    RouteSeries& s = it->second;
    s.latency->observe(std::chrono::duration<double>(latency).count());
    size_t i = 0;
    while (i + 1 < kCodes.size() && kCodes[i] != status)
      ++i;
    s.requests[i]->inc();
  };
}

}  // namespace eddy
