#include "topologies/ecommerce/recovery.h"

#include <chrono>

#include "runtime/log.h"

namespace eddy {

Result<std::unique_ptr<WriteAheadLog>> recover(const EddyOptions& options, Engine& engine,
                                               MessageDedup& dedup,
                                               std::function<void(const Status&)> on_fatal) {
  const auto started = std::chrono::steady_clock::now();
  WalSettings settings = options.wal;
  settings.dir = options.data_dir + "/wal";
  ReplayOptions replay;
  replay.read.skip_corrupt = options.wal_skip_corrupt;
  replay.on_idempotency_keys = [&dedup](std::span<const uint64_t> keys, WallTime received) {
    for (uint64_t k : keys) {
      if (k != 0) (void)dedup.claim(MessageIdHash(k), received);
    }
  };
  auto replayed = replay_wal(engine, settings.dir, replay);
  if (!replayed) {
    return Status(replayed.status().code(), "recovery failed: " + replayed.status().message());
  }
  // Ready means the state is back, not merely that the log has been read.
  if (Status s = engine.sync(std::chrono::minutes(30)); !s) return s;
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  const WalReadSummary& log = replayed->log;
  log_line(LogLevel::kInfo, "recovered from the write-ahead log",
           {{"records", log.records},
            {"events", replayed->events},
            {"commands", replayed->commands},
            {"refused_commands", replayed->refused_commands},
            {"torn_bytes", log.torn_bytes},
            {"skipped_records", log.skipped_records},
            {"end_offset", log.end_offset},
            {"ms", elapsed.count()}});
  return WriteAheadLog::open(settings, log, nullptr, std::move(on_fatal));
}

void add_wal_metrics(metrics::MetricsRegistry& registry, const WriteAheadLog& wal,
                     const Journal& journal) {
  registry.add_collector([&wal, &journal](metrics::MetricsWriter& w) {
    const WalMetrics m = wal.metrics();
    w.counter("eddy_wal_records_total", "Records written to the write-ahead log", {},
              static_cast<double>(m.records));
    w.counter("eddy_wal_bytes_total", "Bytes written to the write-ahead log", {},
              static_cast<double>(m.bytes));
    w.counter("eddy_wal_groups_total", "Group commits (one write, at most one fsync, each)", {},
              static_cast<double>(m.groups));
    w.counter("eddy_wal_fsyncs_total", "fdatasync calls on log segments", {},
              static_cast<double>(m.syncs));
    w.counter("eddy_wal_write_failures_total",
              "Log writes that failed (a full or failing disk); ingest answered 503 meanwhile", {},
              static_cast<double>(m.write_failures));
    w.counter("eddy_wal_segments_created_total", "Log segments started", {},
              static_cast<double>(m.segments_created));
    w.gauge("eddy_wal_failed", "1 once an fsync of the log failed: eddy must restart", {},
            m.failed ? 1.0 : 0.0);
    w.gauge("eddy_wal_end_offset_bytes", "Where the next log record goes", {},
            static_cast<double>(m.end_offset));
    w.gauge("eddy_wal_durable_offset_bytes",
            "Everything before this log offset is durable under wal.fsync", {},
            static_cast<double>(m.durable_offset));
    w.counter("eddy_wal_engine_waits_total",
              "Times the log's writer found the engine's inboxes full and waited", {},
              static_cast<double>(journal.engine_waits()));
  });
}

}  // namespace eddy
