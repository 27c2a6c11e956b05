// eddy: serves the ecommerce topology over HTTP.

#include <pthread.h>
#include <unistd.h>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <future>
#include <optional>

#include <boost/json/serialize.hpp>

#include "connectors/api/api_context.h"
#include "connectors/api/health_routes.h"
#include "connectors/api/http_metrics.h"
#include "connectors/api/import_jobs.h"
#include "connectors/api/import_tracker.h"
#include "connectors/api/ingest_routes.h"
#include "connectors/api/routes.h"
#include "connectors/api/segment_change_hub.h"
#include "connectors/api/segment_definition.h"
#include "connectors/api/webhook_routes.h"
#include "connectors/http/server.h"
#include "connectors/ingest/ingest_service.h"
#include "connectors/metrics/engine_collector.h"
#include "connectors/metrics/latency.h"
#include "connectors/metrics/metrics_registry.h"
#include "connectors/ndjson_file_sink.h"
#include "connectors/normalize/phone.h"
#include "connectors/outbound/outbound_sink.h"
#include "connectors/webhooks/builtin_mappings.h"
#include "connectors/webhooks/webhook_receiver.h"
#include "operators/builtin.h"
#include "operators/segments.h"
#include "runtime/durability/checkpointer.h"
#include "runtime/durability/journal.h"
#include "runtime/engine.h"
#include "runtime/identity_fields.h"
#include "runtime/intake.h"
#include "runtime/log.h"
#include "topologies/ecommerce/data_dir_format.h"
#include "topologies/ecommerce/data_dir_lock.h"
#include "topologies/ecommerce/ecommerce.h"
#include "topologies/ecommerce/file_segments.h"
#include "topologies/ecommerce/options.h"
#include "topologies/ecommerce/recovery.h"

namespace {

using namespace eddy;

int fail(const Status& s) {
  log_line(LogLevel::kError, s.message(), {{"code", errc_name(s.code())}});
  return 2;
}

// How long connections get to finish what they owe once a stop is asked for.
constexpr std::chrono::seconds kHttpGrace{10};
// How long outbound deliveries get to finish at shutdown before they are dead-lettered.
constexpr std::chrono::seconds kOutboundGrace{10};

// Every output of the topology is appended to an NDJSON file in the data directory, one per sink,
// and every side output (late, rejected, ...) to another; segment changes also feed live
// subscribers. The master customer index's answers (kCustomerMatchesSink) go to the import
// tracker alone: they are its progress reports, not an output anyone subscribes to. `erasable`
// gets each sink that keeps what it is given (the files, the outbound sink's dead letters) once,
// for erasures.
Status add_sinks(const TopologySpec& topology, const std::string& out_dir,
                 std::shared_ptr<SegmentChangeHub> hub, std::shared_ptr<Sink> outbound,
                 std::shared_ptr<ImportTracker> imports, EngineOptions& engine_options,
                 std::vector<std::shared_ptr<Sink>>& erasable) {
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return {Errc::kIo, out_dir + ": " + ec.message()};
  auto types = std::make_shared<EventTypeRegistry>(topology.types());
  for (const StageSpec& stage : topology.stages()) {
    for (const SinkSpec& sink : stage.sinks) {
      if (sink.name == kCustomerMatchesSink) {
        engine_options.sinks[sink.name] = imports;
        continue;
      }
      auto file = NdjsonFileSink::open(out_dir + "/" + sink.name + ".ndjson", types);
      if (!file) return file.status();
      // Filled by push_back: GCC 12 warns falsely (array-bounds) on the initializer-list form.
      std::vector<std::shared_ptr<Sink>> targets;
      targets.reserve(3);
      targets.push_back(std::move(file).value());
      erasable.push_back(targets.back());
      if (sink.name == "segment_changes") targets.push_back(hub);
      // Each endpoint's event-type filter picks what it receives from every output.
      if (outbound) targets.push_back(outbound);
      engine_options.sinks[sink.name] = std::make_shared<FanoutSink>(std::move(targets));
    }
  }
  // Events the dataflow could not use (late, rejected, unroutable) are kept in a file. Other side
  // outputs are notes that an event counted everywhere except one bounded place (a customer's
  // 33rd distinct product in a per-item counter): they are counted in
  // eddy_worker_side_output_events_total, and writing each one from a worker thread made a busy
  // customer's events cost a file write apiece.
  auto side = NdjsonFileSink::open(out_dir + "/side_outputs.ndjson", types);
  if (!side) return side.status();
  std::shared_ptr<Sink> kept = std::move(side).value();
  erasable.push_back(kept);
  if (outbound) erasable.push_back(outbound);
  for (std::string_view name : {kLateOutput, kRejectedOutput, kUnroutableOutput})
    engine_options.side_sinks[std::string(name)] = kept;
  return {};
}

void add_ingest_metrics(metrics::MetricsRegistry& registry, const IngestService& ingest) {
  registry.add_collector([&ingest](metrics::MetricsWriter& w) {
    ingest.tracking_plan_counters().visit(
        [&w](std::string_view event, std::string_view field, uint64_t n) {
          w.counter("eddy_tracking_plan_violations_total",
                    "Violations of the tracking plan, by event name and field; past the cap of "
                    "distinct pairs, under event and field \"other\"",
                    {{"event", std::string(event)}, {"field", std::string(field)}},
                    static_cast<double>(n));
        });
    ingest.visit_counters([&w](const IngestCounterSample& s) {
      w.counter("eddy_ingest_events_total",
                "Events offered to ingest, by endpoint, outcome (accepted, rejected, duplicate) "
                "and rejection reason",
                {{"endpoint", std::string(s.endpoint)},
                 {"outcome", std::string(s.outcome)},
                 {"reason", std::string(s.reason)}},
                static_cast<double>(s.value));
    });
  });
}

// The plan is read once, before anything is served: a plan that cannot be read stops the start
// rather than letting events in unchecked.
Result<IngestOptions> make_ingest_options(const EddyOptions& o) {
  IngestOptions out;
  out.tracking_plan_mode = o.tracking_plan_mode;
  out.default_phone_region = o.default_phone_region;
  // An unknown region would fail every phone quietly: refused at start instead. The number is one
  // any region reads, international and valid.
  if (!o.default_phone_region.empty()) {
    if (auto checked = normalize_phone("+41446681800", o.default_phone_region); !checked) {
      return Status(Errc::kInvalidArgument,
                    "--default-phone-region: '" + o.default_phone_region +
                        "' is not an ISO 3166 country libphonenumber knows");
    }
  }
  if (o.tracking_plan.empty()) return out;
  auto plan = TrackingPlan::load(o.tracking_plan);
  if (!plan) {
    return Status(plan.status().code(),
                  "--tracking-plan: " + plan.status().message() + " (see docs/event-model.md)");
  }
  out.tracking_plan = std::make_shared<const TrackingPlan>(std::move(plan).value());
  return out;
}

Result<std::unique_ptr<WebhookReceiver>> make_webhook_receiver(const EddyOptions& o,
                                                               const Clock& clock) {
  std::vector<WebhookSourceConfig> sources;
  for (const WebhookSourceOptions& in : o.webhooks.sources) {
    WebhookSourceConfig source{in.name, in.secrets, std::nullopt};
    auto mapping = in.mapping_file.empty() ? builtin_mapping(in.mapping)
                                           : WebhookMapping::load_file(in.mapping_file);
    if (!mapping)
      return Status(mapping.status().code(),
                    "webhook source '" + in.name + "': " + mapping.status().message());
    source.mapping = std::move(mapping).value();
    sources.push_back(std::move(source));
  }
  WebhookIdStoreSettings store;
  store.directory = o.data_dir;
  store.window_ms = o.webhooks.id_window_ms;
  store.max_entries = static_cast<size_t>(o.webhooks.id_max_entries);
  store.fsync = o.webhooks.id_fsync ? FsyncPolicy::kAlways : FsyncPolicy::kNone;
  auto ids = WebhookIdStore::open(store, clock.now());
  if (!ids) return ids.status();
  WebhookReceiverSettings settings;
  settings.tolerance_s = o.webhooks.tolerance_s;
  settings.max_id_bytes = static_cast<size_t>(o.webhooks.max_id_bytes);
  settings.max_json_depth = o.http.max_json_depth;
  return WebhookReceiver::create(std::move(sources), std::move(ids).value(), settings);
}

void add_outbound_metrics(metrics::MetricsRegistry& registry, const OutboundSink& outbound) {
  registry.add_collector([&outbound](metrics::MetricsWriter& w) {
    outbound.visit([&w](const OutboundEndpointMetrics& m) {
      const metrics::Labels endpoint{{"endpoint", std::string(m.endpoint)}};
      w.counter("eddy_outbound_delivered_total", "Events delivered to outbound webhook endpoints",
                endpoint, static_cast<double>(m.delivered));
      w.counter("eddy_outbound_attempts_total", "Delivery attempts, retries included", endpoint,
                static_cast<double>(m.attempts));
      w.counter("eddy_outbound_retries_total", "Failed attempts scheduled again", endpoint,
                static_cast<double>(m.retried));
      for (size_t r = 0; r < kDeadLetterReasonCount; ++r) {
        w.counter("eddy_outbound_dead_letters_total",
                  "Events given up on and written to the dead-letter file, by reason",
                  {{"endpoint", std::string(m.endpoint)},
                   {"reason", dead_letter_reason_name(static_cast<DeadLetterReason>(r))}},
                  static_cast<double>(m.dead_lettered[r]));
      }
      w.counter("eddy_outbound_already_delivered_total",
                "Events emitted again (by a replay after a restart) and not sent, because the "
                "endpoint was delivered them before",
                endpoint, static_cast<double>(m.already_delivered));
      w.gauge("eddy_outbound_in_flight", "Delivery requests on the wire", endpoint,
              static_cast<double>(m.in_flight));
      w.gauge("eddy_outbound_queue_depth", "Events held for an endpoint and not on the wire",
              endpoint, static_cast<double>(m.queue_depth));
      w.gauge("eddy_outbound_endpoint_disabled", "1 once an endpoint answered 410 Gone", endpoint,
              m.disabled ? 1 : 0);
    });
  });
}

void add_webhook_metrics(metrics::MetricsRegistry& registry, const WebhookReceiver& receiver) {
  registry.add_collector([&receiver](metrics::MetricsWriter& w) {
    receiver.visit_counters([&w](std::string_view source, std::string_view code, uint64_t n) {
      w.counter("eddy_webhook_deliveries_total", "Signed webhook deliveries by source and outcome",
                {{"source", std::string(source)}, {"outcome", std::string(code)}},
                static_cast<double>(n));
    });
  });
}

// The live segment definitions, as JSON, for a checkpoint's manifest.
std::vector<std::string> segment_definitions(Engine& engine) {
  std::vector<std::string> out;
  for (const Segments::Definition& def : live_segment_definitions(engine))
    out.push_back(boost::json::serialize(def.to_json()));
  return out;
}

bool has_sink(const TopologySpec& topology, std::string_view name) {
  for (const StageSpec& stage : topology.stages()) {
    for (const SinkSpec& sink : stage.sinks)
      if (sink.name == name) return true;
  }
  return false;
}

// Hands an import's batch to the intake like an erasure's: `done` hears once it is durable.
Status submit_import_batch(Intake& intake, const Clock& clock, const EventBatch& batch,
                           std::function<void(Status)> done) {
  auto ack = std::make_shared<AckLatch>();
  const SubmitResult taken = intake.submit(batch, {}, clock.now(), ack);
  if (!taken.status) return taken.status;
  // The rest of the batch was taken, so `done` must still hear: with the refusal, which fails
  // the import. Records are built to pass the source's checks; this is a bug if it happens.
  Status refused;
  if (!taken.rejected.empty()) {
    refused =
        Status(Errc::kInternal, "the engine refused " + std::to_string(taken.rejected.size()) +
                                    " records of a batch: " + taken.rejected[0].message);
  }
  ack->arm([refused = std::move(refused), done = std::move(done)](const Status& s) {
    done(s ? refused : s);
  });
  return Status{};
}

boost::json::object checkpoint_json(const CheckpointInfo& info) {
  return {{"checkpoint", info.id},
          {"wal_offset", info.wal_offset},
          {"bytes", info.bytes},
          {"parts", info.parts},
          {"duration_ms", info.duration.count()},
          {"worst_worker_pause_ms", static_cast<double>(info.worst_pause.count()) / 1e3},
          {"erasures_purged", info.erasures_purged}};
}

}  // namespace

int main(int argc, char** argv) {
  auto options = parse_eddy_options(std::vector<std::string>(argv + 1, argv + argc));
  if (!options) {
    std::fprintf(stderr, "eddy: %s\n", options.status().message().c_str());
    return 2;
  }
  if (options->help) {
    std::fputs(eddy_usage().c_str(), stdout);
    return 0;
  }
  if (std::string why = check_exposure(*options); !why.empty())
    return fail({Errc::kInvalidArgument, why});
  // Before anything is started, so that a bad plan leaves nothing to stop.
  auto ingest_options = make_ingest_options(*options);
  if (!ingest_options) return fail(ingest_options.status());
  std::vector<boost::json::object> file_segments;
  if (!options->segments_file.empty()) {
    auto loaded = load_segments_file(options->segments_file, options->http.max_json_depth);
    if (!loaded) return fail(loaded.status());
    file_segments = std::move(loaded).value();
  }

  // Blocked before any thread starts, so every thread inherits the mask and only sigwait below
  // receives SIGINT and SIGTERM.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // Before anything is created in it: a directory that is not eddy's is left as it was.
  if (Status s = check_data_dir(options->data_dir); !s) return fail(s);
  std::error_code ec;
  std::filesystem::create_directories(options->data_dir, ec);
  if (ec) return fail({Errc::kIo, "--data-dir " + options->data_dir + ": " + ec.message()});
  auto lock = DataDirLock::acquire(options->data_dir);
  if (!lock) return fail(lock.status());
  if (Status s = mark_data_dir(options->data_dir); !s) return fail(s);

  auto registry = std::make_shared<OperatorRegistry>();
  if (Status s = register_builtin_operators(*registry); !s) return fail(s);
  auto topology = options->topology == "noop"
                      ? make_noop_topology(registry)
                      : make_ecommerce_topology(registry, options->ecommerce);
  if (!topology) return fail(topology.status());

  SystemClock clock;
  metrics::MetricsRegistry metrics;
  metrics::Histogram& change_delay = metrics::latency_histogram(
      metrics, "eddy_segment_change_delay_seconds",
      "Wall-clock time from the event time of a segment change to its delivery to subscribers");
  auto hub = std::make_shared<SegmentChangeHub>(
      std::make_shared<EventTypeRegistry>(topology->types()),
      [&change_delay](double s) { change_delay.observe(s); }, &clock);
  EngineOptions engine_options;
  engine_options.clock = &clock;
  engine_options.settings = options->runtime;
  std::shared_ptr<OutboundSink> outbound;
  if (!options->outbound_endpoints.empty()) {
    std::filesystem::create_directories(options->data_dir + "/out", ec);
    auto types = std::make_shared<EventTypeRegistry>(topology->types());
    WebhookIdStoreSettings memory;
    memory.directory = options->data_dir + "/out";
    memory.file_name = "delivered-ids.log";
    memory.window_ms = options->outbound_delivered_ids_window_ms;
    memory.max_entries = static_cast<size_t>(options->outbound_delivered_ids_max_entries);
    // Not synced per delivery: a machine crash may forget the last deliveries, and a replay then
    // delivers those again (receivers de-duplicate on webhook-id); a process crash forgets none.
    memory.fsync = FsyncPolicy::kNone;
    auto delivered = WebhookIdStore::open(memory, clock.now());
    if (!delivered) return fail(delivered.status());
    OutboundSettings outbound_settings;
    outbound_settings.delivered_ids = std::move(delivered).value();
    auto created = OutboundSink::create(
        options->outbound_endpoints, *types,
        [types](const EventRef& e) { return event_to_json(e, *types); }, outbound_settings);
    if (!created) return fail(created.status());
    outbound = std::move(created).value();
  }
  // Imports are taken when the topology matches customer records and reports how.
  std::shared_ptr<ImportTracker> import_tracker;
  if (topology->types().find(kCustomerRecordType) != EventTypeRegistry::kUnknown &&
      has_sink(*topology, kCustomerMatchesSink)) {
    import_tracker = std::make_shared<ImportTracker>(topology->types().find(kCustomerMatchedType));
  }
  std::vector<std::shared_ptr<Sink>> output_sinks;
  if (Status s = add_sinks(*topology, options->data_dir + "/out", hub, outbound, import_tracker,
                           engine_options, output_sinks);
      !s)
    return fail(s);
  auto created = Engine::create(std::move(topology).value(), std::move(engine_options));
  if (!created) return fail(created.status());
  Engine& engine = **created;
  if (Status s = engine.start(); !s) return fail(s);

  MessageDedup dedup(
      {.window_ms = options->dedup_window_ms, .max_entries = options->dedup_max_entries});
  // Ingest waits for recovery (below) behind this; the server answers meanwhile, not ready.
  RecoveringIntake intake;
  std::atomic<Journal*> journal_ptr{nullptr};
  IngestService ingest(intake, engine.topology().types(), options->http, clock, dedup,
                       std::move(ingest_options).value());
  auto webhooks = make_webhook_receiver(*options, clock);
  if (!webhooks) {
    (void)engine.stop();
    return fail(webhooks.status());
  }
  ApiContext api;
  api.engine = &engine;
  api.profile_stage = kProfilesStage;
  if (engine.topology().find_stage(kIdentityStage)) api.identity_stage = kIdentityStage;
  api.segments_operator = kSegmentsOperator;
  api.changes = hub.get();
  api.http = options->http;
  api.command = [&journal_ptr](std::string_view target, const boost::json::object& command,
                               std::function<void(Status)> done) {
    Journal* journal = journal_ptr.load(std::memory_order_acquire);
    if (journal == nullptr)
      return Status(Errc::kBusy, "eddy is recovering its state; retry shortly");
    return journal->command(target, command, std::move(done));
  };

  // Set before the server starts, as io threads read it; the checkpointer exists after recovery.
  std::atomic<Checkpointer*> checkpointer_ptr{nullptr};
  api.checkpoint = [&checkpointer_ptr](std::function<void(Result<boost::json::object>)> done) {
    Checkpointer* checkpointer = checkpointer_ptr.load(std::memory_order_acquire);
    if (checkpointer == nullptr)
      return Status(Errc::kBusy, "eddy is recovering its state; retry shortly");
    return checkpointer->request([done = std::move(done)](const Result<CheckpointInfo>& r) {
      if (!r) return done(r.status());
      done(checkpoint_json(*r));
    });
  };

  api.clock = &clock;
  api.identity_search_max = static_cast<size_t>(options->identity_search_max);
  api.erase = [&intake, &clock, &checkpointer_ptr](const EventBatch& batch,
                                                   std::function<void(Status)> done) {
    auto ack = std::make_shared<AckLatch>();
    const SubmitResult taken = intake.submit(batch, {}, clock.now(), ack);
    if (!taken.status) return taken.status;
    if (!taken.rejected.empty()) return Status(Errc::kInvalidArgument, taken.rejected[0].message);
    std::vector<std::string> ids;
    for (const Event& e : batch.events) {
      // The customer index's own erasure names no identifier of the customer.
      if (batch.payload->str(e.key) != kCustomerIndexKey)
        ids.emplace_back(batch.payload->str(e.key));
    }
    // Acknowledged erasures are what the next checkpoint completes; the checkpointer exists
    // whenever the intake takes anything.
    ack->arm([&checkpointer_ptr, ids = std::move(ids), done = std::move(done)](const Status& s) {
      if (s) checkpointer_ptr.load(std::memory_order_acquire)->note_erasure(ids);
      done(s);
    });
    return Status{};
  };

  // Declared after the intake its jobs submit to, so that it is destroyed (its jobs stopped) first.
  std::optional<ImportJobs> imports;
  if (import_tracker) {
    imports.emplace(options->imports, *import_tracker, clock);
    api.imports = &*imports;
    api.default_phone_region = options->default_phone_region;
    api.submit_records = [&intake, &clock](const EventBatch& batch,
                                           std::function<void(Status)> done) {
      return submit_import_batch(intake, clock, batch, std::move(done));
    };
  }

  auto router = std::make_shared<Router>(options->http.tokens);
  add_all_routes(*router, {.api = &api,
                           .ingest = &ingest,
                           .webhooks = webhooks->get(),
                           .clock = &clock,
                           .health = {.ready = [&intake] { return intake.is_open(); },
                                      .metrics = [&metrics] { return metrics.render(); }}});
  metrics::add_engine_collector(metrics, engine);
  metrics.gauge_callback("eddy_source_watermark_lag_seconds",
                         "How far the input's watermark trails the wall clock", {},
                         [&clock, &engine] {
                           const int64_t wm = engine.source().watermark().value();
                           if (wm == kMinEventTime.value()) return 0.0;
                           return static_cast<double>(clock.now().value() - wm) / 1000;
                         });
  add_ingest_metrics(metrics, ingest);
  add_webhook_metrics(metrics, **webhooks);
  if (outbound) add_outbound_metrics(metrics, *outbound);

  HttpServer server(options->http, router, make_http_observer(metrics, *router));
  if (Status s = server.start(); !s) {
    (void)engine.stop();
    return fail(s);
  }
  log_line(LogLevel::kInfo, "eddy started",
           {{"topology", engine.topology().name()},
            {"workers", engine.workers()},
            {"key_groups", engine.settings().key_groups},
            {"data_dir", options->data_dir},
            {"http", options->http.address + ":" + std::to_string(server.port())},
            {"http_port", server.port()}});

  std::atomic<bool> log_failed{false};
  auto recovered = recover(*options, engine, dedup, [&log_failed](const Status&) {
    // Nothing more can be acknowledged; a restart's recovery is the only way on.
    log_failed = true;
    ::kill(::getpid(), SIGTERM);
  });
  if (!recovered) {
    server.stop(kHttpGrace);
    (void)engine.stop();
    return fail(recovered.status());
  }
  WriteAheadLog& wal = *recovered->wal;
  Journal journal(engine, wal);
  journal.set_on_logged([&dedup](std::span<const uint64_t> keys) {
    for (uint64_t k : keys) {
      if (k != 0) dedup.mark_logged(MessageIdHash(k));
    }
  });
  Checkpointer checkpointer(
      engine, journal, wal, *recovered->checkpoints, options->checkpoint,
      {{kMessageIdsPart, [&dedup, &clock] { return dedup.snapshot_logged(clock.now()); }}}, clock);
  checkpointer.set_segment_definitions([&engine] { return segment_definitions(engine); });
  // Erasures replayed were acknowledged before the restart; the first checkpoint completes them.
  if (!recovered->erased_ids.empty()) checkpointer.note_erasure(recovered->erased_ids);
  checkpointer.set_output_eraser([&output_sinks](const std::unordered_set<std::string>& ids) {
    for (const auto& sink : output_sinks) {
      auto erased = sink->erase_customers(ids);
      if (!erased) return erased.status();
    }
    return Status{};
  });
  checkpointer.start();
  checkpointer_ptr = &checkpointer;
  journal_ptr = &journal;
  // Before traffic, so that the first events already meet the file's segments.
  if (Status s = put_file_segments(engine, journal, options->segments_file, file_segments); !s) {
    checkpointer.stop();
    server.stop(kHttpGrace);
    (void)engine.stop();
    return fail(s);
  }
  // Before ready: a client that sees /readyz answer finds every family in /metrics.
  add_wal_metrics(metrics, wal, journal);
  add_checkpoint_metrics(metrics, checkpointer);
  intake.open(journal);
  log_line(LogLevel::kInfo, "eddy ready", {{"http_port", server.port()}});

  int received = 0;
  sigwait(&signals, &received);
  log_line(LogLevel::kInfo, "stopping: answering requests in flight, then draining accepted events",
           {{"signal", received}});
  server.stop(kHttpGrace);
  // Imports stop submitting while the log still takes their last batches; what they submitted is
  // in the log, and a re-import completes them.
  if (imports) imports->stop();
  // A restart then restores this and replays nothing. A failed log takes no mark; the last
  // checkpoint and the log still recover everything acknowledged.
  if (!log_failed) (void)checkpointer.checkpoint_now();
  checkpointer.stop();
  // Writes what is buffered; its callbacks hand the last batches to the engine.
  wal.stop();
  if (Status s = engine.stop(); !s) return fail(s);
  // After the engine: every output has reached the sink. What cannot be delivered in time goes to
  // the dead-letter file.
  if (outbound) outbound->stop(std::chrono::steady_clock::now() + kOutboundGrace);
  if (log_failed) {
    log_line(LogLevel::kError,
             "eddy stopped because the write-ahead log failed; restart to recover");
    return kExitLogFailed;
  }
  log_line(LogLevel::kInfo, "eddy stopped");
  return 0;
}
