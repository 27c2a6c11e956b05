#include "topologies/ecommerce/options.h"

#include <charconv>
#include <functional>
#include <map>

namespace eddy {

namespace {

struct Flag {
  std::string help;
  std::function<Status(EddyOptions&, const std::string&)> set;
};

Status parse_int(const std::string& flag, const std::string& text, int64_t min, int64_t max,
                 int64_t& out) {
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return {Errc::kInvalidArgument, "--" + flag + ": '" + text + "' is not a whole number"};
  }
  if (v < min || v > max) {
    return {Errc::kInvalidArgument, "--" + flag + ": " + text + " is outside " +
                                        std::to_string(min) + ".." + std::to_string(max)};
  }
  out = v;
  return {};
}

template <typename T>
Flag int_flag(std::string help, T RuntimeSettings::*field, int64_t min, int64_t max,
              const char* name) {
  return {std::move(help), [field, min, max, name](EddyOptions& o, const std::string& text) {
            int64_t v = 0;
            if (Status s = parse_int(name, text, min, max, v); !s) return s;
            o.runtime.*field = static_cast<T>(v);
            return Status();
          }};
}

Flag topology_flag(std::string help, int64_t EcommerceSettings::*field, const char* name) {
  return {std::move(help), [field, name](EddyOptions& o, const std::string& text) {
            int64_t v = 0;
            if (Status s = parse_int(name, text, 1, int64_t{1} << 45, v); !s) return s;
            o.ecommerce.*field = v;
            return Status();
          }};
}

const std::map<std::string, Flag>& flags() {
  static const std::map<std::string, Flag> kFlags = {
      {"http",
       {"HOST:PORT to serve HTTP on (default 127.0.0.1:8080)",
        [](EddyOptions& o, const std::string& v) {
          if (v.find(':') == std::string::npos) {
            return Status(Errc::kInvalidArgument, "--http: expected HOST:PORT, got '" + v + "'");
          }
          o.http = v;
          return Status();
        }}},
      {"data-dir",
       {"directory for the log and checkpoints (default ./data)",
        [](EddyOptions& o, const std::string& v) {
          if (v.empty()) return Status(Errc::kInvalidArgument, "--data-dir: empty path");
          o.data_dir = v;
          return Status();
        }}},
      {"config",
       {"configuration file (TOML); flags override it",
        [](EddyOptions& o, const std::string& v) {
          o.config = v;
          return Status();
        }}},
      {"workers", int_flag("worker threads; 0 = one per hardware thread (default 0)",
                           &RuntimeSettings::workers, 0, 1024, "workers")},
      {"key-groups", int_flag("key groups, fixed for the life of the data (default 128)",
                              &RuntimeSettings::key_groups, 1, 65536, "key-groups")},
      {"inbox-capacity-events",
       int_flag("events a worker inbox holds per stage before ingest is told busy (default 65536)",
                &RuntimeSettings::inbox_capacity_events, 1, int64_t{1} << 32,
                "inbox-capacity-events")},
      {"exchange-batch-events",
       int_flag("events gathered per destination before a batch is sent (default 1024)",
                &RuntimeSettings::exchange_batch_events, 1, 1 << 20, "exchange-batch-events")},
      {"allowed-lateness-ms",
       int_flag(
           "how far behind the watermark an event may be and still count as on time (default 0)",
           &RuntimeSettings::allowed_lateness_ms, 0, int64_t{1} << 40, "allowed-lateness-ms")},
      {"max-out-of-orderness-ms",
       int_flag("how far the watermark trails the newest event time (default 5000)",
                &RuntimeSettings::max_out_of_orderness_ms, 0, int64_t{1} << 40,
                "max-out-of-orderness-ms")},
      {"idle-timeout-ms",
       int_flag("idle input after which the watermark follows the clock (default 1000)",
                &RuntimeSettings::idle_timeout_ms, 0, int64_t{1} << 40, "idle-timeout-ms")},
      {"max-future-skew-ms",
       int_flag("event times further ahead of the clock do not move the watermark (default 300000)",
                &RuntimeSettings::max_future_skew_ms, 0, int64_t{1} << 40, "max-future-skew-ms")},
      {"cart-timeout-ms", topology_flag("a cart with no change for this long is abandoned (default "
                                        "86400000, 24 h)",
                                        &EcommerceSettings::cart_timeout_ms, "cart-timeout-ms")},
      {"session-gap-ms", topology_flag("inactivity that ends a session (default 1800000, 30 min)",
                                       &EcommerceSettings::session_gap_ms, "session-gap-ms")},
      {"rfm-lookback-ms", topology_flag("the RFM look-back window (default 31536000000, 365 days)",
                                        &EcommerceSettings::rfm_lookback_ms, "rfm-lookback-ms")},
      {"dormant-after-ms", topology_flag("inactivity after which a customer is dormant (default "
                                         "7776000000, 90 days)",
                                         &EcommerceSettings::dormant_after_ms, "dormant-after-ms")},
      {"global-aggregate-interval-ms",
       int_flag("event time between merges of population statistics such as RFM quintiles "
                "(default 60000)",
                &RuntimeSettings::global_aggregate_interval_ms, 1, int64_t{1} << 40,
                "global-aggregate-interval-ms")},
      {"max-pending-tasks",
       int_flag("queries waiting in worker inboxes before callers are told busy (default 16384)",
                &RuntimeSettings::max_pending_tasks, 1, int64_t{1} << 30, "max-pending-tasks")},
      {"time-mode",
       {"live (the clock moves the watermark when input is idle) or replay (default live)",
        [](EddyOptions& o, const std::string& v) {
          if (v == "live") {
            o.runtime.time_mode = TimeMode::kLive;
          } else if (v == "replay") {
            o.runtime.time_mode = TimeMode::kReplay;
          } else {
            return Status(Errc::kInvalidArgument,
                          "--time-mode: expected live or replay, got '" + v + "'");
          }
          return Status();
        }}},
  };
  return kFlags;
}

}  // namespace

std::string eddy_usage() {
  std::string out = "usage: eddy [--flag value]...\n\nServes the ecommerce topology.\n\n";
  for (const auto& [name, flag] : flags()) {
    out += "  --" + name + std::string(name.size() < 24 ? 24 - name.size() : 1, ' ') + flag.help +
           "\n";
  }
  out += "  --help" + std::string(20, ' ') + "this text\n";
  return out;
}

Result<EddyOptions> parse_eddy_options(const std::vector<std::string>& args) {
  EddyOptions options;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      options.help = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) {
      return {Errc::kInvalidArgument, "unexpected argument '" + arg + "' (see --help)"};
    }
    std::string name = arg.substr(2);
    std::string value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    } else {
      if (i + 1 >= args.size()) return {Errc::kInvalidArgument, "--" + name + " needs a value"};
      value = args[++i];
    }
    auto flag = flags().find(name);
    if (flag == flags().end())
      return {Errc::kInvalidArgument, "unknown flag --" + name + " (see --help)"};
    if (Status s = flag->second.set(options, value); !s) return s;
  }
  if (std::string problem = options.runtime.check(); !problem.empty()) {
    return {Errc::kInvalidArgument, problem};
  }
  return options;
}

}  // namespace eddy
