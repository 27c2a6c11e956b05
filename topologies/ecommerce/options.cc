#include "topologies/ecommerce/options.h"

#include <toml++/toml.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <charconv>
#include <cstdlib>
#include <map>

namespace eddy {

namespace {

struct Setting {
  std::string key;   // in the config file: "section.name"
  std::string flag;  // without the leading "--"
  std::string help;  // ends with the default
  std::function<Status(EddyOptions&, const std::string&)> set;
};

std::string env_name(std::string_view flag) {
  std::string out = "EDDY_";
  for (char c : flag)
    out.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return out;
}

Status bad(const std::string& flag, const std::string& why) {
  return {Errc::kInvalidArgument, "--" + flag + ": " + why};
}

template <typename Get>
Setting number(std::string key, std::string flag, std::string help, int64_t min, int64_t max,
               Get get) {
  return {std::move(key), flag, std::move(help),
          [flag, min, max, get](EddyOptions& o, const std::string& text) {
            int64_t v = 0;
            const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
            if (ec != std::errc() || end != text.data() + text.size())
              return bad(flag, "'" + text + "' is not a whole number");
            if (v < min || v > max)
              return bad(flag,
                         text + " is outside " + std::to_string(min) + ".." + std::to_string(max));
            auto& field = get(o);
            field = static_cast<std::remove_reference_t<decltype(field)>>(v);
            return Status();
          }};
}

template <typename Get>
Setting list(std::string key, std::string flag, std::string help, Get get) {
  return {std::move(key), std::move(flag), std::move(help),
          [get](EddyOptions& o, const std::string& text) {
            std::vector<std::string>& out = get(o);
            out.clear();
            size_t start = 0;
            while (start <= text.size()) {
              const size_t comma = std::min(text.find(',', start), text.size());
              if (comma > start) out.push_back(text.substr(start, comma - start));
              start = comma + 1;
            }
            return Status();
          }};
}

constexpr int64_t kBig = int64_t{1} << 40;

void add_wal_settings(std::vector<Setting>& s) {
  using O = EddyOptions;
  s.push_back({"wal.fsync", "wal-fsync",
               "when ingest is acknowledged: always (after fdatasync), interval (after the write; "
               "fdatasync every wal.fsync_interval_ms) or none (never fdatasync; tests and "
               "benchmarks) (always)",
               [](O& o, const std::string& v) {
                 auto f = parse_wal_fsync(v);
                 if (!f)
                   return bad("wal-fsync", "expected always, interval or none, got '" + v + "'");
                 o.wal.fsync = *f;
                 return Status();
               }});
  s.push_back(number(
      "wal.fsync_interval_ms", "wal-fsync-interval-ms",
      "longest time between two fdatasyncs under wal.fsync = interval (10)", 1, 60'000,
      [](O & o) -> auto& { return o.wal.fsync_interval_ms; }));
  s.push_back(number(
      "wal.segment_bytes", "wal-segment-bytes", "size at which a log segment is closed (67108864)",
      int64_t{1} << 16, int64_t{1} << 32, [](O & o) -> auto& { return o.wal.segment_bytes; }));
  s.push_back(number(
      "wal.max_pending_bytes", "wal-max-pending-bytes",
      "log bytes waiting to be written before ingest is told busy (67108864)", int64_t{1} << 16,
      int64_t{1} << 34, [](O & o) -> auto& { return o.wal.max_pending_bytes; }));
  s.push_back(number(
      "wal.retry_after_failure_ms", "wal-retry-after-failure-ms",
      "after a failed log write (a full disk), how long ingest is refused before a retry (1000)", 0,
      kBig, [](O & o) -> auto& { return o.wal.retry_after_failure_ms; }));
  s.push_back({"wal.skip_corrupt", "wal-skip-corrupt",
               "at start, skip (count and log) corrupt records in the middle of the log instead "
               "of refusing to start (false)",
               [](O& o, const std::string& v) {
                 if (v != "true" && v != "false")
                   return bad("wal-skip-corrupt", "expected true or false, got '" + v + "'");
                 o.wal_skip_corrupt = v == "true";
                 return Status();
               }});
}

void add_outbound_settings(std::vector<Setting>& s) {
  using O = EddyOptions;
  s.push_back(number(
      "outbound.delivered_ids_window_ms", "outbound-delivered-ids-window-ms",
      "how long a delivered outbound webhook-id is remembered, so that an event a "
      "replay emits again is not delivered twice (86400000)",
      1000, kBig, [](O & o) -> auto& { return o.outbound_delivered_ids_window_ms; }));
  s.push_back(number(
      "outbound.delivered_ids_max_entries", "outbound-delivered-ids-max-entries",
      "delivered outbound webhook-ids remembered at most; the oldest go first "
      "(1000000)",
      1, kBig, [](O & o) -> auto& { return o.outbound_delivered_ids_max_entries; }));
}

void add_checkpoint_settings(std::vector<Setting>& s) {
  using O = EddyOptions;
  s.push_back(number(
      "checkpoint.interval_ms", "checkpoint-interval-ms",
      "time between two periodic checkpoints; 0 for none but those asked for with "
      "POST /v1/admin/checkpoint and the one at shutdown (30000)",
      0, kBig, [](O & o) -> auto& { return o.checkpoint.interval_ms; }));
  s.push_back(number(
      "checkpoint.keep", "checkpoint-keep",
      "complete checkpoints kept; the log is kept from the oldest one on (3)", 1, 1000,
      [](O & o) -> auto& { return o.checkpoint.keep; }));
  s.push_back(number(
      "checkpoint.timeout_ms", "checkpoint-timeout-ms",
      "a checkpoint whose state has not come back from the workers by then fails "
      "(600000)",
      1000, kBig, [](O & o) -> auto& { return o.checkpoint.timeout_ms; }));
}

void add_import_settings(std::vector<Setting>& s) {
  using O = EddyOptions;
  s.push_back(number(
      "import.max_concurrent", "import-max-concurrent",
      "imports reading or submitting at once; POST /v1/import answers 429 beyond (2)", 1, 64,
      [](O & o) -> auto& { return o.imports.max_concurrent; }));
  s.push_back(number(
      "import.listed_rejections", "import-listed-rejections",
      "rejected lines an import's status lists with their reason; the rest are counted (1000)", 0,
      1'000'000, [](O & o) -> auto& { return o.imports.max_listed_rejections; }));
}

std::vector<Setting> make_settings() {
  using O = EddyOptions;
  std::vector<Setting> s;
  s.push_back({"http.listen", "http", "HOST:PORT to serve HTTP on (127.0.0.1:8080)",
               [](O& o, const std::string& v) {
                 const size_t colon = v.rfind(':');
                 if (colon == std::string::npos || colon == 0)
                   return bad("http", "expected HOST:PORT, got '" + v + "'");
                 int64_t port = 0;
                 const auto [end, ec] =
                     std::from_chars(v.data() + colon + 1, v.data() + v.size(), port);
                 if (ec != std::errc() || end != v.data() + v.size() || port < 0 || port > 65535)
                   return bad("http", "'" + v.substr(colon + 1) + "' is not a port");
                 o.http_listen = v;
                 o.http.address = v.substr(0, colon);
                 o.http.port = static_cast<uint16_t>(port);
                 return Status();
               }});
  s.push_back({"data_dir", "data-dir", "directory for the log, checkpoints and outputs (./data)",
               [](O& o, const std::string& v) {
                 if (v.empty()) return bad("data-dir", "empty path");
                 o.data_dir = v;
                 return Status();
               }});
  s.push_back({"", "config", "configuration file (TOML); the environment and flags override it",
               [](O& o, const std::string& v) {
                 o.config = v;
                 return Status();
               }});
  s.push_back({"topology", "topology",
               "ecommerce, or noop (no operators; for measuring the edge) (ecommerce)",
               [](O& o, const std::string& v) {
                 if (v != "ecommerce" && v != "noop")
                   return bad("topology", "expected ecommerce or noop, got '" + v + "'");
                 o.topology = v;
                 return Status();
               }});
  // Runtime.
  s.push_back(number(
      "runtime.workers", "workers", "worker threads; 0 = one per hardware thread (0)", 0, 1024,
      [](O & o) -> auto& { return o.runtime.workers; }));
  s.push_back(number(
      "runtime.key_groups", "key-groups", "key groups, fixed for the life of the data (128)", 1,
      65536, [](O & o) -> auto& { return o.runtime.key_groups; }));
  s.push_back(number(
      "runtime.inbox_capacity_events", "inbox-capacity-events",
      "events a worker inbox holds per stage before ingest is told busy (65536)", 1,
      int64_t{1} << 32, [](O & o) -> auto& { return o.runtime.inbox_capacity_events; }));
  s.push_back(number(
      "runtime.exchange_batch_events", "exchange-batch-events",
      "events gathered per destination before a batch is sent (1024)", 1, 1 << 20,
      [](O & o) -> auto& { return o.runtime.exchange_batch_events; }));
  s.push_back(number(
      "runtime.allowed_lateness_ms", "allowed-lateness-ms",
      "how far behind the watermark an event may be and still count as on time (0)", 0, kBig,
      [](O & o) -> auto& { return o.runtime.allowed_lateness_ms; }));
  s.push_back(number(
      "runtime.max_out_of_orderness_ms", "max-out-of-orderness-ms",
      "how far the watermark trails the newest event time (5000)", 0, kBig,
      [](O & o) -> auto& { return o.runtime.max_out_of_orderness_ms; }));
  s.push_back(number(
      "runtime.idle_timeout_ms", "idle-timeout-ms",
      "idle input after which the watermark follows the clock (1000)", 0, kBig,
      [](O & o) -> auto& { return o.runtime.idle_timeout_ms; }));
  s.push_back(number(
      "runtime.max_future_skew_ms", "max-future-skew-ms",
      "event times further ahead of the clock do not move the watermark (300000)", 0, kBig,
      [](O & o) -> auto& { return o.runtime.max_future_skew_ms; }));
  s.push_back(number(
      "runtime.global_aggregate_interval_ms", "global-aggregate-interval-ms",
      "event time between merges of population statistics such as RFM quintiles "
      "(60000)",
      1, kBig, [](O & o) -> auto& { return o.runtime.global_aggregate_interval_ms; }));
  s.push_back(number(
      "runtime.max_pending_tasks", "max-pending-tasks",
      "queries waiting in worker inboxes before callers are told busy (16384)", 1, int64_t{1} << 30,
      [](O & o) -> auto& { return o.runtime.max_pending_tasks; }));
  s.push_back({"runtime.time_mode", "time-mode",
               "live (the clock moves the watermark when input is idle) or replay (live)",
               [](O& o, const std::string& v) {
                 if (v == "live") {
                   o.runtime.time_mode = TimeMode::kLive;
                 } else if (v == "replay") {
                   o.runtime.time_mode = TimeMode::kReplay;
                 } else {
                   return bad("time-mode", "expected live or replay, got '" + v + "'");
                 }
                 return Status();
               }});
  // The ecommerce topology.
  auto topo = [&](const char* key, const char* flag, const char* help, auto get) {
    s.push_back(number(std::string("ecommerce.") + key, flag, help, 1, int64_t{1} << 45, get));
  };
  topo(
      "cart_timeout_ms", "cart-timeout-ms",
      "a cart with no change for this long is abandoned (86400000, 24 h)",
      [](O & o) -> auto& { return o.ecommerce.cart_timeout_ms; });
  topo(
      "session_gap_ms", "session-gap-ms", "inactivity that ends a session (1800000, 30 min)",
      [](O & o) -> auto& { return o.ecommerce.session_gap_ms; });
  topo(
      "rfm_lookback_ms", "rfm-lookback-ms", "the RFM look-back window (31536000000, 365 days)",
      [](O & o) -> auto& { return o.ecommerce.rfm_lookback_ms; });
  topo(
      "dormant_after_ms", "dormant-after-ms",
      "inactivity after which a customer is dormant (7776000000, 90 days)",
      [](O & o) -> auto& { return o.ecommerce.dormant_after_ms; });
  s.push_back({"ecommerce.segments_file", "segments-file",
               "JSON file of segments put at every start, as PUT /v1/segments/{id} would (none)",
               [](O& o, const std::string& v) {
                 o.segments_file = v;
                 return Status();
               }});
  s.push_back({"ecommerce.marketing_consent", "marketing-consent",
               "whether customers who never said consent to marketing triggers: denied or "
               "granted (denied)",
               [](O& o, const std::string& v) {
                 if (v != "denied" && v != "granted") {
                   return bad("marketing-consent", "expected denied or granted, got '" + v + "'");
                 }
                 o.ecommerce.marketing_consent = v;
                 return Status();
               }});
  s.push_back({"ecommerce.match_threshold", "match-threshold",
               "the name-and-address score at which two customer records are one person, "
               "0.5..1 (0.9)",
               [](O& o, const std::string& v) {
                 char* end = nullptr;
                 const double t = std::strtod(v.c_str(), &end);
                 if (v.empty() || *end != '\0' || !(t >= 0.5 && t <= 1)) {
                   return bad("match-threshold", "expected a number in 0.5..1, got '" + v + "'");
                 }
                 o.ecommerce.match_threshold = t;
                 return Status();
               }});
  s.push_back(number(
      "ecommerce.match_max_candidates", "match-max-candidates",
      "customer records sharing one email, phone or name key before it counts as a placeholder "
      "(50)",
      1, 10'000, [](O & o) -> auto& { return o.ecommerce.match_max_candidates; }));
  // The HTTP edge.
  auto http = [&](const char* key, const char* help, int64_t min, int64_t max, auto get) {
    std::string flag = std::string("http-") + key;
    std::replace(flag.begin(), flag.end(), '_', '-');
    s.push_back(number(std::string("http.") + key, flag, help, min, max, get));
  };
  http(
      "io_threads", "threads serving HTTP; 0 = one per hardware thread (0)", 0, 256,
      [](O & o) -> auto& { return o.http.io_threads; });
  http(
      "max_connections", "open connections; more are answered 503 (10000)", 1, 1 << 24,
      [](O & o) -> auto& { return o.http.max_connections; });
  http(
      "header_timeout_ms", "time for a request's headers from their first byte (10000)", 1, kBig,
      [](O & o) -> auto& { return o.http.header_timeout_ms; });
  http(
      "body_timeout_ms", "time for a request's body after its headers (30000)", 1, kBig,
      [](O & o) -> auto& { return o.http.body_timeout_ms; });
  http(
      "idle_timeout_ms", "an idle keep-alive connection is closed after (60000)", 1, kBig,
      [](O & o) -> auto& { return o.http.idle_timeout_ms; });
  http(
      "max_header_bytes", "largest request headers (16384)", 256, 1 << 24,
      [](O & o) -> auto& { return o.http.max_header_bytes; });
  http(
      "max_body_bytes", "largest request body, bulk ingest included (67108864)", 1024, kBig,
      [](O & o) -> auto& { return o.http.max_body_bytes; });
  http(
      "max_inflated_bytes", "largest body once gzip is undone (268435456)", 1024, kBig,
      [](O & o) -> auto& { return o.http.max_inflated_bytes; });
  http(
      "max_pipelined_responses", "responses a connection may owe before reading stops (16)", 1,
      1024, [](O & o) -> auto& { return o.http.max_pipelined_responses; });
  http(
      "max_json_depth", "deepest JSON nesting accepted (32)", 2, 1024,
      [](O & o) -> auto& { return o.http.max_json_depth; });
  http(
      "max_event_bytes", "largest single Segment event (32768)", 64, 1 << 30,
      [](O & o) -> auto& { return o.http.max_event_bytes; });
  http(
      "max_batch_bytes", "largest /v1/batch body (512000)", 1024, 1 << 30,
      [](O & o) -> auto& { return o.http.max_batch_bytes; });
  http(
      "max_batch_events", "most events in one /v1/batch (2500)", 1, 1 << 24,
      [](O & o) -> auto& { return o.http.max_batch_events; });
  http(
      "max_members_page", "most members in one page of a segment's members (10000)", 1, 1 << 24,
      [](O & o) -> auto& { return o.http.max_members_page; });
  http(
      "sse_queue_events", "events a slow change-stream subscriber may lag before it is cut (4096)",
      1, 1 << 24, [](O & o) -> auto& { return o.http.sse_queue_events; });
  http(
      "sse_heartbeat_ms", "keep-alive comment interval on change streams (15000)", 10, kBig,
      [](O & o) -> auto& { return o.http.sse_heartbeat_ms; });
  s.push_back(list(
      "http.write_keys", "write-keys",
      "comma-separated Segment write keys; when set, ingest needs one (none)",
      [](O & o) -> auto& { return o.http.write_keys; }));
  s.push_back(list(
      "http.tokens", "tokens",
      "comma-separated bearer tokens; when set, queries and admin need one (none)",
      [](O & o) -> auto& { return o.http.tokens; }));
  s.push_back(number(
      "ingest.dedup_window_ms", "dedup-window-ms",
      "how long a messageId is remembered against duplicates (86400000, 24 h)", kMillisPerMinute,
      kBig, [](O & o) -> auto& { return o.dedup_window_ms; }));
  s.push_back(number(
      "ingest.dedup_max_entries", "dedup-max-entries",
      "most messageIds remembered; the oldest go first (10000000)", 1000, int64_t{1} << 34,
      [](O & o) -> auto& { return o.dedup_max_entries; }));
  s.push_back({"ingest.tracking_plan", "tracking-plan",
               "JSON file of the events, properties and traits expected (none)",
               [](O& o, const std::string& v) {
                 o.tracking_plan = v;
                 return Status();
               }});
  s.push_back({"ingest.tracking_plan_mode", "tracking-plan-mode",
               "reject (an event that breaks the tracking plan is refused) or tag (taken, with "
               "its violations in a property) (reject)",
               [](O& o, const std::string& v) {
                 if (v == "reject") {
                   o.tracking_plan_mode = TrackingPlanMode::kReject;
                 } else if (v == "tag") {
                   o.tracking_plan_mode = TrackingPlanMode::kTag;
                 } else {
                   return bad("tracking-plan-mode", "expected reject or tag, got '" + v + "'");
                 }
                 return Status();
               }});
  s.push_back(number(
      "identity.search_max", "identity-search-max",
      "identifiers linked to a customer that an erasure or a listing of its identities finds "
      "beyond the 100 its profile lists (100000)",
      1, 100'000'000, [](O & o) -> auto& { return o.identity_search_max; }));
  s.push_back({"ingest.default_phone_region", "default-phone-region",
               "ISO 3166 country (DE, US) assumed for phone traits written without a country "
               "code; empty: only international numbers are normalised (empty)",
               [](O& o, const std::string& v) {
                 o.default_phone_region = v;
                 return Status();
               }});
  s.push_back(number(
      "webhooks.tolerance_s", "webhook-tolerance-s",
      "how far a webhook's timestamp may be from the clock, either way (300)", 1, kBig,
      [](O & o) -> auto& { return o.webhooks.tolerance_s; }));
  s.push_back(number(
      "webhooks.max_id_bytes", "webhook-max-id-bytes", "longest webhook-id accepted (256)", 8, 4096,
      [](O & o) -> auto& { return o.webhooks.max_id_bytes; }));
  s.push_back(number(
      "webhooks.id_window_ms", "webhook-id-window-ms",
      "how long a processed webhook-id is remembered (345600000, 4 days)", kMillisPerMinute, kBig,
      [](O & o) -> auto& { return o.webhooks.id_window_ms; }));
  s.push_back(number(
      "webhooks.id_max_entries", "webhook-id-max-entries",
      "most webhook-ids remembered; the oldest go first (1000000)", 1000, int64_t{1} << 32,
      [](O & o) -> auto& { return o.webhooks.id_max_entries; }));
  s.push_back({"webhooks.id_fsync", "webhook-id-fsync",
               "always (an id is on disk before the delivery is answered) or none (always)",
               [](O& o, const std::string& v) {
                 if (v != "always" && v != "none")
                   return bad("webhook-id-fsync", "expected always or none, got '" + v + "'");
                 o.webhooks.id_fsync = v == "always";
                 return Status();
               }});
  add_wal_settings(s);
  add_checkpoint_settings(s);
  add_outbound_settings(s);
  add_import_settings(s);
  return s;
}

// `[webhooks.sources.<name>]` tables: structured, so they come from the config file only.
Status apply_webhook_source(EddyOptions& o, const std::string& path, const std::string& name,
                            const toml::table& table) {
  WebhookSourceOptions source;
  source.name = name;
  for (const auto& [k, node] : table) {
    const std::string key(k.str());
    const std::string where = path + ": webhooks.sources." + name + "." + key;
    if (key == "secrets") {
      const toml::array* list = node.as_array();
      if (list == nullptr) return {Errc::kInvalidArgument, where + " must be a list of strings"};
      for (const toml::node& item : *list) {
        auto secret = item.value<std::string>();
        if (!secret) return {Errc::kInvalidArgument, where + " must be a list of strings"};
        source.secrets.push_back(*secret);
      }
    } else if (key == "mapping" || key == "mapping_file") {
      auto text = node.value<std::string>();
      if (!text) return {Errc::kInvalidArgument, where + " must be a string"};
      (key == "mapping" ? source.mapping : source.mapping_file) = *text;
    } else {
      return {Errc::kInvalidArgument, path + ": unknown setting 'webhooks.sources." + name + "." +
                                          key +
                                          "' (a source has secrets and mapping or mapping_file)"};
    }
  }
  o.webhooks.sources.push_back(std::move(source));
  return {};
}

// One `[[outbound.endpoints]]` table.
Status apply_outbound_endpoint(EddyOptions& o, const std::string& path, size_t index,
                               const toml::table& table) {
  WebhookEndpoint e;
  const std::string at = path + ": outbound.endpoints[" + std::to_string(index) + "].";
  for (const auto& [k, node] : table) {
    const std::string key(k.str());
    auto text = [&](std::string& out) -> Status {
      auto v = node.value<std::string>();
      if (!v) return {Errc::kInvalidArgument, at + key + " must be a string"};
      out = *v;
      return {};
    };
    auto whole = [&](uint32_t& out) -> Status {
      auto v = node.value<int64_t>();
      if (!v || *v < 0 || *v > int64_t{1} << 31)
        return {Errc::kInvalidArgument, at + key + " must be a non-negative whole number"};
      out = static_cast<uint32_t>(*v);
      return {};
    };
    Status s;
    if (key == "name") {
      s = text(e.name);
    } else if (key == "url") {
      s = text(e.url);
    } else if (key == "secret") {
      s = text(e.secret);
    } else if (key == "dead_letter_path") {
      s = text(e.dead_letter_path);
    } else if (key == "event_types") {
      const toml::array* list = node.as_array();
      if (list == nullptr) return {Errc::kInvalidArgument, at + key + " must be a list of names"};
      for (const toml::node& item : *list) {
        auto name = item.value<std::string>();
        if (!name) return {Errc::kInvalidArgument, at + key + " must be a list of names"};
        e.event_types.push_back(*name);
      }
    } else if (key == "connect_timeout_ms") {
      s = whole(e.connect_timeout_ms);
    } else if (key == "request_timeout_ms") {
      s = whole(e.request_timeout_ms);
    } else if (key == "max_attempts") {
      s = whole(e.max_attempts);
    } else if (key == "base_backoff_ms") {
      s = whole(e.base_backoff_ms);
    } else if (key == "max_backoff_ms") {
      s = whole(e.max_backoff_ms);
    } else if (key == "max_in_flight") {
      s = whole(e.max_in_flight);
    } else if (key == "queue_capacity") {
      s = whole(e.queue_capacity);
    } else {
      return {Errc::kInvalidArgument, path + ": unknown setting 'outbound.endpoints." + key + "'"};
    }
    if (!s) return s;
  }
  o.outbound_endpoints.push_back(std::move(e));
  return {};
}

const std::vector<Setting>& settings() {
  static const std::vector<Setting> kSettings = make_settings();
  return kSettings;
}

const Setting* by_flag(std::string_view flag) {
  for (const Setting& s : settings())
    if (s.flag == flag) return &s;
  return nullptr;
}

// TOML values become the text a flag would carry, so that every source goes through one parser.
std::optional<std::string> toml_text(const toml::node& node) {
  if (auto v = node.value<std::string>()) return *v;
  if (auto v = node.value<int64_t>()) return std::to_string(*v);
  if (auto v = node.value<bool>()) return *v ? "true" : "false";
  if (const toml::array* a = node.as_array()) {
    std::string out;
    for (const toml::node& item : *a) {
      auto text = item.value<std::string>();
      if (!text) return std::nullopt;
      if (!out.empty()) out += ",";
      out += *text;
    }
    return out;
  }
  return std::nullopt;
}

Status apply_file(EddyOptions& o, const std::string& path) {
  // Debian's toml++ is built to throw on a parse error; it is turned into a Status right here.
  toml::table parsed;
  try {
    parsed = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return {Errc::kInvalidArgument, path + ":" + std::to_string(e.source().begin.line) + ": " +
                                        std::string(e.description())};
  }
  Status status;
  // Every key in the file must be a setting: a misspelt one would otherwise be ignored silently.
  std::function<void(const toml::table&, const std::string&)> walk = [&](const toml::table& table,
                                                                         const std::string&
                                                                             prefix) {
    for (const auto& [k, node] : table) {
      if (!status) return;
      const std::string key =
          prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
      if (key == "outbound.endpoints") {
        const toml::array* list = node.as_array();
        if (list == nullptr || !list->is_array_of_tables()) {
          status = {Errc::kInvalidArgument, path + ": outbound.endpoints must be [[tables]]"};
          return;
        }
        for (size_t i = 0; i < list->size() && status; ++i)
          status = apply_outbound_endpoint(o, path, i, *list->get(i)->as_table());
        continue;
      }
      if (const toml::table* sub = node.as_table()) {
        if (key.starts_with("webhooks.sources.")) {
          status = apply_webhook_source(o, path, key.substr(17), *sub);
        } else {
          walk(*sub, key);
        }
        continue;
      }
      auto it = std::find_if(settings().begin(), settings().end(),
                             [&](const Setting& s) { return !s.key.empty() && s.key == key; });
      if (it == settings().end()) {
        status = {Errc::kInvalidArgument, path + ": unknown setting '" + key + "'"};
        return;
      }
      auto text = toml_text(node);
      if (!text) {
        status = {Errc::kInvalidArgument, path + ": '" + key + "' has a value of the wrong kind"};
        return;
      }
      if (Status s = it->set(o, *text); !s)
        status = {Errc::kInvalidArgument, path + ": '" + key + "': " + s.message()};
    }
  };
  walk(parsed, "");
  return status;
}

}  // namespace

std::optional<std::string> process_env(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

std::string eddy_usage() {
  std::string out =
      "usage: eddy [--flag value]...\n\nServes the ecommerce topology. Every setting is a flag, "
      "an\n"
      "environment variable and a key of the --config file (TOML); flags win over the\n"
      "environment, which wins over the file. Defaults are in parentheses.\n\n";
  for (const Setting& s : settings()) {
    out += "  --" + s.flag + std::string(s.flag.size() < 28 ? 28 - s.flag.size() : 1, ' ') +
           s.help + "\n" + std::string(32, ' ') + env_name(s.flag);
    const size_t dot = s.key.rfind('.');
    if (dot != std::string::npos) {
      out += ", [" + s.key.substr(0, dot) + "] " + s.key.substr(dot + 1);
    } else if (!s.key.empty()) {
      out += ", " + s.key;
    }
    out += "\n";
  }
  out += "  --help" + std::string(26, ' ') + "this text\n";
  return out;
}

Result<EddyOptions> parse_eddy_options(const std::vector<std::string>& args, const EnvLookup& env) {
  EddyOptions options;
  std::vector<std::pair<const Setting*, std::string>> from_flags;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      options.help = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0)
      return {Errc::kInvalidArgument, "unexpected argument '" + arg + "' (see --help)"};
    std::string name = arg.substr(2);
    std::string value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    } else {
      if (i + 1 >= args.size()) return {Errc::kInvalidArgument, "--" + name + " needs a value"};
      value = args[++i];
    }
    const Setting* setting = by_flag(name);
    if (setting == nullptr)
      return {Errc::kInvalidArgument, "unknown flag --" + name + " (see --help)"};
    from_flags.emplace_back(setting, std::move(value));
  }

  std::string config = env("EDDY_CONFIG").value_or("");
  for (const auto& [setting, value] : from_flags)
    if (setting->flag == "config") config = value;
  if (!config.empty()) {
    if (Status s = apply_file(options, config); !s) return s;
    options.config = config;
  }
  for (const Setting& s : settings()) {
    if (s.flag == "config") continue;
    if (auto value = env(env_name(s.flag))) {
      if (Status st = s.set(options, *value); !st)
        return {Errc::kInvalidArgument, env_name(s.flag) + ": " + st.message()};
    }
  }
  for (const auto& [setting, value] : from_flags)
    if (Status s = setting->set(options, value); !s) return s;

  if (std::string problem = options.runtime.check(); !problem.empty())
    return {Errc::kInvalidArgument, problem};
  for (WebhookEndpoint& e : options.outbound_endpoints) {
    if (e.dead_letter_path.empty())
      e.dead_letter_path = options.data_dir + "/out/dead_letters.ndjson";
  }
  return options;
}

std::string check_exposure(const EddyOptions& o) {
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(o.http.address, ec);
  if (!ec && address.is_loopback()) return {};
  std::string missing;
  if (o.http.write_keys.empty()) missing = "write keys (--write-keys)";
  if (o.http.tokens.empty())
    missing += std::string(missing.empty() ? "" : " and ") + "bearer tokens (--tokens)";
  if (missing.empty()) return {};
  return "refusing to serve on " + o.http_listen + " without " + missing +
         ": anyone who can reach it could write events and read customer profiles. Configure "
         "them, or listen on 127.0.0.1.";
}

}  // namespace eddy
