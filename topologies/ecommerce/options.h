#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "connectors/api/import_job.h"
#include "connectors/http/http_settings.h"
#include "connectors/ingest/tracking_plan_mode.h"
#include "connectors/outbound/webhook_endpoint.h"
#include "runtime/durability/checkpointer.h"
#include "runtime/durability/write_ahead_log.h"
#include "runtime/settings.h"
#include "runtime/status.h"
#include "topologies/ecommerce/ecommerce.h"

namespace eddy {

// The settings of the `eddy` binary. Each one has a key in the config file (TOML, e.g.
// `http.max_body_bytes`), a flag (`--http-max-body-bytes`) and an environment variable
// (`EDDY_HTTP_MAX_BODY_BYTES`); flags override the environment, which overrides the file, which
// overrides the defaults. `eddy --help` lists them all.
// A signed-webhook sender (docs/webhooks.md). Config file only: `[webhooks.sources.<name>]`.
struct WebhookSourceOptions {
  std::string name;
  std::vector<std::string> secrets;
  std::string mapping;       // a built-in mapping's name, or
  std::string mapping_file;  // the path of one of the user's own
};

struct WebhookOptions {
  int64_t tolerance_s = 300;
  int64_t max_id_bytes = 256;
  int64_t id_window_ms = 4 * kMillisPerDay;
  int64_t id_max_entries = 1'000'000;
  bool id_fsync = true;  // "always" (true) or "none"
  std::vector<WebhookSourceOptions> sources;
};

struct EddyOptions {
  std::string http_listen = "127.0.0.1:8080";
  std::string data_dir = "./data";
  std::string config;
  // "ecommerce", or "noop" (no operators: for measuring the edge and runtime alone).
  std::string topology = "ecommerce";
  RuntimeSettings runtime;
  EcommerceSettings ecommerce;
  HttpSettings http;
  // Ingest: how long a messageId is remembered, and how many at most.
  int64_t dedup_window_ms = 24 * kMillisPerHour;
  uint64_t dedup_max_entries = 10'000'000;
  // Ingest: the tracking plan file (empty: none) and what breaking it costs an event.
  std::string tracking_plan;
  TrackingPlanMode tracking_plan_mode = TrackingPlanMode::kReject;
  // Ingest: the country assumed for phone traits without a country code (empty: none).
  std::string default_phone_region;
  // Segments put at every start (README, "The ecommerce topology"); empty: none.
  std::string segments_file;
  WebhookOptions webhooks;
  // The write-ahead log (docs/durability.md); its directory is <data_dir>/wal.
  WalSettings wal;
  bool wal_skip_corrupt = false;
  // Checkpoints (docs/durability.md); their directory is <data_dir>/checkpoints.
  CheckpointSettings checkpoint;
  // Where triggers and segment changes are delivered (docs/outbound.md). Config file only:
  // `[[outbound.endpoints]]`. An endpoint without a dead-letter file gets
  // <data_dir>/out/dead_letters.ndjson.
  std::vector<WebhookEndpoint> outbound_endpoints;
  // How long, and how many, delivered webhook-ids are remembered in
  // <data_dir>/out/delivered-ids.log, so that events a replay emits again are not redelivered.
  int64_t outbound_delivered_ids_window_ms = 24 * kMillisPerHour;
  int64_t outbound_delivered_ids_max_entries = 1'000'000;
  // Bulk imports of customer records (POST /v1/import, docs/import.md).
  ImportSettings imports;
  // The most identifiers a search of the identity stage finds for a customer with more links than
  // its profile lists (DELETE /v1/customers/{id}, GET /v1/customers/{id}/identities).
  int64_t identity_search_max = 100'000;
  bool help = false;
};

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
// The process environment.
std::optional<std::string> process_env(const std::string& name);

// Parses `--name value` and `--name=value` flags, the config file a `--config` flag (or
// EDDY_CONFIG) names, and the environment. Unknown flags or keys and bad values are errors that
// say which setting, where it came from, and why.
Result<EddyOptions> parse_eddy_options(const std::vector<std::string>& args,
                                       const EnvLookup& env = process_env);
std::string eddy_usage();

// Empty when the options are safe to serve with; else why not. Serving beyond loopback without
// write keys and tokens would let anyone write events and read profiles.
std::string check_exposure(const EddyOptions& options);

}  // namespace eddy
