#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "connectors/metrics/metrics_registry.h"
#include "connectors/metrics/metrics_writer.h"
#include "runtime/engine.h"

namespace eddy::metrics {

// Writes an engine's counters as Prometheus families:
//   eddy_source_events_accepted_total, eddy_source_busy_batches_total,
//   eddy_source_events_rejected_total{reason}, eddy_source_watermark_seconds,
//   eddy_worker_events_processed_total{worker}, eddy_worker_events_to_sinks_total{worker},
//   eddy_worker_timers_fired_total{worker}, eddy_worker_side_output_events_total{worker,output},
//   eddy_worker_events_rejected_total{worker,reason}, eddy_worker_watermark_seconds{worker,stage},
//   eddy_worker_inbox_events{worker,stage}, eddy_worker_keys{worker},
//   eddy_worker_timers_pending{worker}, eddy_worker_cpu_seconds_total{worker},
//   eddy_worker_idle_seconds_total{worker}, eddy_worker_exchange_wait_seconds_total{worker}.
// `stage_names` label stages by name; a stage without one is labelled by its index. A watermark
// that has not started yet (kMinEventTime) is left out rather than written as a date in 292 million
// BC.
void write_engine_metrics(const EngineMetrics& metrics, const std::vector<std::string>& stage_names,
                          MetricsWriter& writer);

// Adds a collector that asks `engine` for its metrics at every scrape (through the workers'
// inboxes, waiting up to `timeout`) and writes them, plus `eddy_engine_metrics_available`: 1 when
// the workers answered, 0 when they did not (busy, stopped). A scrape therefore blocks the thread
// calling render() until every worker has taken the request from its inbox: on an HTTP I/O thread
// that stalls the thread's other connections for as long (milliseconds normally, `timeout` at
// worst). Remove the collector before the engine is destroyed.
CollectorId add_engine_collector(MetricsRegistry& registry, Engine& engine,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(2));

}  // namespace eddy::metrics
