#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "runtime/status.h"

namespace eddy::load {

enum class LoadMode {
  kTrack,   // one Segment call per request: /v1/track, /v1/page, /v1/identify
  kBatch,   // POST /v1/batch, {"batch":[...]}
  kBulk,    // POST /v1/events, NDJSON
  kReplay,  // POST /v1/events, NDJSON lines read from --file
  kQuery,   // GET /v1/customers/{id}
};

std::string_view load_mode_name(LoadMode mode);

// eddy-load's flags; load_usage() describes each.
struct LoadOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  LoadMode mode = LoadMode::kTrack;
  uint32_t connections = 8;
  uint32_t batch_size = 100;
  double duration_s = 10;
  uint64_t events = 0;  // 0: bounded by the duration only
  double rate = 0;      // events per second; 0: as fast as the connections go
  uint64_t customers = 100'000;
  uint32_t products = 10'000;
  double customer_skew = 1.0;
  double product_skew = 1.1;
  uint32_t sessions = 1000;
  uint64_t seed = 1;
  std::optional<int64_t> replay_start_ms;  // unset: live traffic stamped with the wall clock
  std::string file;
  std::string run_id;  // messageId prefix; random when empty
  std::string write_key;
  std::string token;
  uint32_t timeout_ms = 10'000;
  bool help = false;

  // Events a request carries at most.
  uint32_t events_per_request() const;
};

// Parses the arguments after the program name. Refuses unknown flags, bad values and any target
// that is not a loopback address: eddy-load is for measuring a local eddy, never for load on
// someone else's machine.
Result<LoadOptions> parse_load_options(std::span<const std::string_view> args);

std::string load_usage();

// "2024-06-01", "2024-06-01T12:00:00Z", "2024-06-01T12:00:00.250Z" (UTC), or milliseconds since
// the epoch.
Result<int64_t> parse_time_ms(std::string_view text);

}  // namespace eddy::load
