#pragma once

#include "bench/load/load_options.h"
#include "bench/load/load_report.h"
#include "bench/load/request_source.h"
#include "runtime/status.h"

namespace eddy::load {

// Sends `source`'s requests to the target over `options.connections` keep-alive HTTP/1.1
// connections (Boost.Beast, asynchronous, one request in flight per connection), paced to
// `options.rate` or as fast as answers come back, until a bound of the run is reached; returns
// what it saw. Runs its own io_context on the calling thread; SIGINT ends the run early (with a
// summary).
//
// Paced runs are open loop: request i is due at start + i / request-rate whether or not earlier
// ones have been answered, and its latency counts from that moment, so time spent queueing for a
// free connection behind a slow server is part of it (no coordinated omission).
//
// A connection that fails (refused, reset, timed out, or closed by the server) is reopened; the
// request it carried is counted as unanswered, never resent.
Result<LoadReport> run_load(const LoadOptions& options, RequestSource& source);

}  // namespace eddy::load
