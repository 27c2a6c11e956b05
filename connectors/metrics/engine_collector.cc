#include "connectors/metrics/engine_collector.h"

namespace eddy::metrics {
namespace {

double seconds(EventTime t) {
  return static_cast<double>(t.value()) / kMillisPerSecond;
}

std::string stage_label(const std::vector<std::string>& names, size_t stage) {
  if (stage < names.size() && !names[stage].empty()) return names[stage];
  return std::to_string(stage);
}

void write_source(const SourceMetrics& m, MetricsWriter& w) {
  w.counter("eddy_source_events_accepted_total", "Events the engine's source accepted.", {},
            static_cast<double>(m.accepted));
  w.counter("eddy_source_busy_batches_total",
            "Batches refused whole because a worker's inbox was full (answered 429/503).", {},
            static_cast<double>(m.busy_batches));
  for (size_t r = 0; r < kRejectReasonCount; ++r) {
    w.counter("eddy_source_events_rejected_total", "Events the source refused, by reason.",
              {{"reason", reject_reason_code(static_cast<RejectReason>(r))}},
              static_cast<double>(m.rejected[r]));
  }
  if (m.watermark != kMinEventTime) {
    w.gauge("eddy_source_watermark_seconds", "The source's watermark, in seconds since the epoch.",
            {}, seconds(m.watermark));
  }
}

void write_worker(size_t index, const WorkerMetrics& m, const std::vector<std::string>& stage_names,
                  MetricsWriter& w) {
  const std::string worker = std::to_string(index);
  w.counter("eddy_worker_events_processed_total", "Events a worker ran through its operators.",
            {{"worker", worker}}, static_cast<double>(m.events_processed));
  w.counter("eddy_worker_events_to_sinks_total", "Events a worker handed to sinks.",
            {{"worker", worker}}, static_cast<double>(m.events_to_sinks));
  w.counter("eddy_worker_timers_fired_total", "Event-time timers a worker fired.",
            {{"worker", worker}}, static_cast<double>(m.timers_fired));
  w.counter("eddy_worker_cpu_seconds_total", "CPU time of a worker's thread.", {{"worker", worker}},
            static_cast<double>(m.cpu_micros) / 1e6);
  w.counter("eddy_worker_idle_seconds_total",
            "Time a worker slept for want of input, or of room for its output.",
            {{"worker", worker}}, static_cast<double>(m.idle_micros) / 1e6);
  w.counter("eddy_worker_exchange_wait_seconds_total",
            "Time a worker waited for its peers at a global aggregate's exchange (RFM's "
            "population), a sign that workers are unevenly loaded.",
            {{"worker", worker}}, static_cast<double>(m.exchange_wait_micros) / 1e6);
  for (const auto& [output, n] : m.side_outputs) {
    w.counter("eddy_worker_side_output_events_total",
              "Events a worker routed to a side output (late events, ...).",
              {{"worker", worker}, {"output", output}}, static_cast<double>(n));
  }
  for (const auto& [reason, n] : m.rejected) {
    w.counter("eddy_worker_events_rejected_total", "Events operators rejected, by reason.",
              {{"worker", worker}, {"reason", reason}}, static_cast<double>(n));
  }
  for (size_t s = 0; s < m.watermarks.size(); ++s) {
    if (m.watermarks[s] == kMinEventTime) continue;
    w.gauge("eddy_worker_watermark_seconds",
            "A worker's watermark in a stage, in seconds since the epoch.",
            {{"worker", worker}, {"stage", stage_label(stage_names, s)}}, seconds(m.watermarks[s]));
  }
  for (size_t s = 0; s < m.inbox_events.size(); ++s) {
    w.gauge("eddy_worker_inbox_events", "Events waiting in a worker's inbox for a stage.",
            {{"worker", worker}, {"stage", stage_label(stage_names, s)}},
            static_cast<double>(m.inbox_events[s]));
  }
  w.gauge("eddy_worker_keys", "Keys a worker holds state for.", {{"worker", worker}},
          static_cast<double>(m.keys));
  w.gauge("eddy_worker_timers_pending", "Event-time timers a worker has waiting.",
          {{"worker", worker}}, static_cast<double>(m.timers));
}

}  // namespace

void write_engine_metrics(const EngineMetrics& metrics, const std::vector<std::string>& stage_names,
                          MetricsWriter& writer) {
  write_source(metrics.source, writer);
  for (size_t i = 0; i < metrics.workers.size(); ++i) {
    write_worker(i, metrics.workers[i], stage_names, writer);
  }
}

CollectorId add_engine_collector(MetricsRegistry& registry, Engine& engine,
                                 std::chrono::milliseconds timeout) {
  std::vector<std::string> stage_names;
  for (const StageSpec& s : engine.topology().stages())
    stage_names.push_back(s.name);
  return registry.add_collector(
      [&engine, timeout, stage_names = std::move(stage_names)](MetricsWriter& w) {
        Result<EngineMetrics> m = engine.metrics(timeout);
        w.gauge("eddy_engine_metrics_available",
                "1 when the engine's workers answered this scrape's request for their metrics.", {},
                m.is_ok() ? 1.0 : 0.0);
        if (m) write_engine_metrics(*m, stage_names, w);
      });
}

}  // namespace eddy::metrics
