#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <string_view>

#include "bench/load/load_options.h"
#include "bench/load/log_histogram.h"

namespace eddy::load {

// What a run saw, for the summary.
struct LoadReport {
  uint64_t requests = 0;     // answered with any HTTP status
  uint64_t unanswered = 0;   // sent, then lost to an error or to the end of the run
  uint64_t events_sent = 0;  // in answered requests
  uint64_t events_ok = 0;    // in requests answered 2xx
  uint64_t bytes_sent = 0;   // request bodies
  std::map<unsigned, uint64_t> statuses;
  uint64_t connect_errors = 0;
  uint64_t timeouts = 0;
  uint64_t io_errors = 0;
  uint64_t late_requests = 0;  // sent over 1 ms after they were due (paced runs)
  uint64_t unsent = 0;         // due before the deadline, never sent: the run fell behind
  uint64_t max_lag_ns = 0;
  LogHistogram latency_ns;  // of answered requests
  double elapsed_s = 0;     // from the first request due to the last answer
  bool paced = false;       // latency counts from when requests were due, not sent
};

void print_report(std::FILE* out, const LoadOptions& options, std::string_view run_id,
                  const LoadReport& report);

}  // namespace eddy::load
