#include "bench/load/load_report.h"

#include <string>

namespace eddy::load {
namespace {

double ms(uint64_t ns) {
  return static_cast<double>(ns) / 1e6;
}

double per_second(uint64_t n, double seconds) {
  return seconds > 0 ? static_cast<double>(n) / seconds : 0.0;
}

}  // namespace

void print_report(std::FILE* out, const LoadOptions& o, std::string_view run_id,
                  const LoadReport& r) {
  char rate[32] = "max";
  if (o.rate > 0) std::snprintf(rate, sizeof rate, "%g/s", o.rate);
  const std::string host = o.host.find(':') == std::string::npos ? o.host : "[" + o.host + "]";
  std::fprintf(out, "eddy-load  mode=%s  target=%s:%u  connections=%u  batch-size=%u  rate=%s\n",
               std::string(load_mode_name(o.mode)).c_str(), host.c_str(), o.port, o.connections,
               o.events_per_request(), rate);
  std::fprintf(out, "run id      %.*s\n", static_cast<int>(run_id.size()), run_id.data());
  std::fprintf(out, "elapsed     %.2f s\n", r.elapsed_s);
  std::fprintf(out, "requests    %llu answered (%.1f/s), %llu unanswered\n",
               static_cast<unsigned long long>(r.requests), per_second(r.requests, r.elapsed_s),
               static_cast<unsigned long long>(r.unanswered));
  std::fprintf(out, "events      %llu in answered requests (%.1f/s), %llu answered 2xx (%.1f/s)\n",
               static_cast<unsigned long long>(r.events_sent),
               per_second(r.events_sent, r.elapsed_s), static_cast<unsigned long long>(r.events_ok),
               per_second(r.events_ok, r.elapsed_s));
  std::fprintf(out, "sent        %.1f MB of request bodies (%.1f MB/s)\n",
               static_cast<double>(r.bytes_sent) / 1e6,
               per_second(r.bytes_sent, r.elapsed_s) / 1e6);
  std::fprintf(out, "statuses   ");
  if (r.statuses.empty()) std::fprintf(out, " none");
  for (const auto& [status, n] : r.statuses) {
    std::fprintf(out, " %u: %llu", status, static_cast<unsigned long long>(n));
  }
  std::fprintf(out, "\nerrors      connect: %llu  timeout: %llu  io: %llu\n",
               static_cast<unsigned long long>(r.connect_errors),
               static_cast<unsigned long long>(r.timeouts),
               static_cast<unsigned long long>(r.io_errors));
  const LogHistogram& h = r.latency_ns;
  std::fprintf(out,
               "latency     p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  p99.9 %.3f ms  max %.3f ms  "
               "mean %.3f ms  (n=%llu, from when each request was %s)\n",
               ms(h.percentile(0.5)), ms(h.percentile(0.9)), ms(h.percentile(0.99)),
               ms(h.percentile(0.999)), ms(h.max()), h.mean() / 1e6,
               static_cast<unsigned long long>(h.count()), r.paced ? "due" : "sent");
  if (r.paced) {
    std::fprintf(out,
                 "schedule    %llu requests sent over 1 ms late (max %.3f ms), %llu never sent%s\n",
                 static_cast<unsigned long long>(r.late_requests), ms(r.max_lag_ns),
                 static_cast<unsigned long long>(r.unsent),
                 r.late_requests > r.requests / 100 || r.unsent > 0
                     ? ": the server, the connections or this machine's CPUs fell behind the rate"
                     : "");
  }
}

}  // namespace eddy::load
