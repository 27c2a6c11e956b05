#include "bench/load/load_options.h"

#include <boost/asio/ip/address.hpp>
#include <charconv>
#include <map>

namespace eddy::load {
namespace {

Status bad(std::string message) {
  return {Errc::kInvalidArgument, std::move(message)};
}

template <typename T>
Status parse_number(std::string_view flag, std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return bad(std::string(flag) + ": not a number: '" + std::string(text) + "'");
  }
  return Status::ok();
}

int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146'097 + doe - 719'468;
}

Status parse_target(std::string_view text, LoadOptions& o) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return bad("--target: expected host:port");
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (Status s = parse_number("--target port", text.substr(colon + 1), o.port); !s) return s;
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(std::string(host), ec);
  if (ec) return bad("--target: '" + std::string(host) + "' is not an IP address");
  if (!address.is_loopback()) {
    return bad("--target: " + std::string(host) +
               " is not a loopback address; eddy-load only loads a local eddy");
  }
  o.host = address.to_string();
  return Status::ok();
}

Status parse_mode(std::string_view text, LoadOptions& o) {
  static const std::map<std::string_view, LoadMode> kModes = {
      {"track", LoadMode::kTrack},   {"batch", LoadMode::kBatch}, {"bulk", LoadMode::kBulk},
      {"replay", LoadMode::kReplay}, {"query", LoadMode::kQuery},
  };
  auto it = kModes.find(text);
  if (it == kModes.end()) return bad("--mode: one of track, batch, bulk, replay, query");
  o.mode = it->second;
  return Status::ok();
}

// Applies one flag and its value.
Status apply(std::string_view flag, std::string_view value, LoadOptions& o, bool& duration_set) {
  if (flag == "--target") return parse_target(value, o);
  if (flag == "--mode") return parse_mode(value, o);
  if (flag == "--connections") return parse_number(flag, value, o.connections);
  if (flag == "--batch-size") return parse_number(flag, value, o.batch_size);
  if (flag == "--duration") {
    duration_set = true;
    return parse_number(flag, value, o.duration_s);
  }
  if (flag == "--events") return parse_number(flag, value, o.events);
  if (flag == "--rate") return parse_number(flag, value, o.rate);
  if (flag == "--customers") return parse_number(flag, value, o.customers);
  if (flag == "--products") return parse_number(flag, value, o.products);
  if (flag == "--customer-skew") return parse_number(flag, value, o.customer_skew);
  if (flag == "--product-skew") return parse_number(flag, value, o.product_skew);
  if (flag == "--sessions") return parse_number(flag, value, o.sessions);
  if (flag == "--seed") return parse_number(flag, value, o.seed);
  if (flag == "--timeout-ms") return parse_number(flag, value, o.timeout_ms);
  if (flag == "--replay-start") {
    Result<int64_t> t = parse_time_ms(value);
    if (!t) return t.status();
    o.replay_start_ms = *t;
    return Status::ok();
  }
  if (flag == "--file") {
    o.file = value;
    return Status::ok();
  }
  if (flag == "--run-id") {
    o.run_id = value;
    return Status::ok();
  }
  if (flag == "--write-key") {
    o.write_key = value;
    return Status::ok();
  }
  if (flag == "--token") {
    o.token = value;
    return Status::ok();
  }
  return bad("unknown flag " + std::string(flag) + " (see --help)");
}

// Limits on the flags' values, checked once they are all known.
Status check(LoadOptions& o, bool duration_set) {
  if (o.connections == 0 || o.connections > 10'000) return bad("--connections: 1 to 10000");
  if (o.batch_size == 0 || o.batch_size > 100'000) return bad("--batch-size: 1 to 100000");
  if (!(o.duration_s > 0) || o.duration_s > 24 * 3600) return bad("--duration: (0, 86400] s");
  if (!(o.rate >= 0)) return bad("--rate: 0 or more events per second");
  if (o.customers == 0 || o.products == 0) return bad("--customers and --products: at least 1");
  if (!(o.customer_skew >= 0) || !(o.product_skew >= 0)) return bad("skews are 0 or more");
  if (o.sessions == 0) return bad("--sessions: at least 1");
  if (o.timeout_ms == 0) return bad("--timeout-ms: at least 1");
  if (o.mode == LoadMode::kReplay && o.file.empty()) return bad("--mode replay needs --file");
  if (o.mode != LoadMode::kReplay && !o.file.empty()) return bad("--file is for --mode replay");
  // A count alone bounds the run too, but a dead server must not keep it going for ever.
  if (o.events > 0 && !duration_set) o.duration_s = 600;
  return Status::ok();
}

}  // namespace

std::string_view load_mode_name(LoadMode mode) {
  switch (mode) {
    case LoadMode::kTrack:
      return "track";
    case LoadMode::kBatch:
      return "batch";
    case LoadMode::kBulk:
      return "bulk";
    case LoadMode::kReplay:
      return "replay";
    case LoadMode::kQuery:
      return "query";
  }
  return "?";
}

uint32_t LoadOptions::events_per_request() const {
  switch (mode) {
    case LoadMode::kBatch:
    case LoadMode::kBulk:
    case LoadMode::kReplay:
      return batch_size;
    case LoadMode::kTrack:
    case LoadMode::kQuery:
      return 1;
  }
  return 1;
}

Result<int64_t> parse_time_ms(std::string_view text) {
  if (!text.empty() && text.find('-', 1) == std::string_view::npos) {
    int64_t ms = 0;
    if (Status s = parse_number("time", text, ms); !s) return s;
    return ms;
  }
  // YYYY-MM-DD[THH:MM[:SS[.mmm]]][Z]
  auto field = [&](size_t at, size_t len, int64_t& out) {
    return at + len <= text.size() && parse_number("time", text.substr(at, len), out).is_ok();
  };
  int64_t y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, ms = 0;
  if (!field(0, 4, y) || text.size() < 10 || text[4] != '-' || !field(5, 2, mo) || text[7] != '-' ||
      !field(8, 2, d) || mo < 1 || mo > 12 || d < 1 || d > 31) {
    return Status(Errc::kInvalidArgument, "not a date: '" + std::string(text) + "'");
  }
  std::string_view rest = text.substr(10);
  if (!rest.empty() && rest.back() == 'Z') rest.remove_suffix(1);
  if (!rest.empty()) {
    const std::string t(rest);
    const bool ok =
        t.size() >= 6 && t[0] == 'T' && t[3] == ':' && field(11, 2, h) && field(14, 2, mi) &&
        (t.size() == 6 || (t.size() >= 9 && t[6] == ':' && field(17, 2, s) &&
                           (t.size() == 9 || (t.size() == 13 && t[9] == '.' && field(20, 3, ms)))));
    if (!ok || h > 23 || mi > 59 || s > 60) {
      return Status(Errc::kInvalidArgument, "not a UTC time: '" + std::string(text) + "'");
    }
  }
  return days_from_civil(y, mo, d) * 86'400'000 + h * 3'600'000 + mi * 60'000 + s * 1000 + ms;
}

Result<LoadOptions> parse_load_options(std::span<const std::string_view> args) {
  LoadOptions o;
  bool duration_set = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view flag = args[i];
    if (flag == "--help" || flag == "-h") {
      o.help = true;
      return o;
    }
    std::string_view value;
    if (const size_t eq = flag.find('='); eq != std::string_view::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return Status(Errc::kInvalidArgument, std::string(flag) + " needs a value");
    }
    if (Status s = apply(flag, value, o, duration_set); !s) return s;
  }
  if (Status s = check(o, duration_set); !s) return s;
  return o;
}

std::string load_usage() {
  return R"(eddy-load: synthetic shop traffic for an eddy on this machine, with a latency summary.

usage: eddy-load [flags]

Target and traffic
  --target HOST:PORT     eddy's HTTP address; loopback only (default 127.0.0.1:8080)
  --mode MODE            track   one Segment call per request (/v1/track, /v1/page, /v1/identify)
                         batch   POST /v1/batch, {"batch":[...]} of --batch-size calls
                         bulk    POST /v1/events, NDJSON bodies of --batch-size lines
                         replay  POST /v1/events with the lines of --file, --batch-size a body
                         query   GET /v1/customers/u<n> for Zipf-distributed customers
                         (default track)
  --connections N        keep-alive connections, one request in flight on each: no pipelining
                         (default 8)
  --batch-size N         events per request in batch, bulk and replay modes (default 100)
  --file PATH            NDJSON file for --mode replay, one event per line

Bounds and pacing (the run ends at whichever bound comes first)
  --duration S           seconds to send for (default 10; 600 when only --events is given)
  --events N             events to send in all (default: no limit but the duration)
  --rate R               events per second (requests per second in query mode), spread evenly
                         (open loop: latency counts from when a request was due, so queueing
                         behind a slow server shows); 0 sends as fast as responses come back
                         (default 0)
  --timeout-ms MS        a request's time limit, connecting included (default 10000)

The shop
  --customers N          customers, userId u0..u<N-1>, Zipf-distributed (default 100000)
  --products N           products p0..p<N-1>, Zipf-distributed (default 10000)
  --customer-skew S      Zipf exponent of customer activity (default 1.0)
  --product-skew S       Zipf exponent of product popularity (default 1.1)
  --sessions N           visits in progress at once in the simulation (default 1000)
  --seed N               the traffic model's seed: the same seed sends the same events (default 1)
  --replay-start TIME    stamp events with simulated times from TIME (2024-06-01,
                         2024-06-01T08:00:00Z or epoch milliseconds) instead of the wall clock
  --run-id ID            messageId prefix (messageId = ID-<n>); default random, so that runs
                         never repeat each other's ids. Reuse one to test de-duplication.

Credentials
  --write-key KEY        sent as HTTP Basic user name on ingest requests
  --token TOKEN          sent as a bearer token on queries

  --help                 this text

The summary counts requests, events, HTTP statuses and errors, and gives latency percentiles
(p50, p90, p99, p99.9, max) to within 1%. Exit status: 0 when at least one request was answered
with 2xx, 1 otherwise, 2 for bad flags.
)";
}

}  // namespace eddy::load
