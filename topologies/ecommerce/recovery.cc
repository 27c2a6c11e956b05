#include "topologies/ecommerce/recovery.h"

#include <chrono>
#include <filesystem>

#include "runtime/durability/checkpoint_restore.h"
#include "runtime/log.h"

namespace eddy {

namespace {

Status restore_part(MessageDedup& dedup, std::string_view name, std::string_view state) {
  if (name != kMessageIdsPart) {
    log_line(LogLevel::kWarn, "ignoring a checkpoint part this eddy does not know",
             {{"part", name}});
    return {};
  }
  if (!dedup.restore_logged(state)) return {Errc::kCorrupt, "the messageId memory is malformed"};
  return {};
}

// The log must reach back to where the restored state ends; segments before that are released
// only once a checkpoint covers them, so a gap means that checkpoint was lost or failed its checks.
Status check_log_reaches(const std::string& dir, const RestoredCheckpoint& restored) {
  auto segments = list_wal_segments(dir);
  if (!segments) return segments.status();
  if (segments->empty() || segments->front().first_offset <= restored.wal_offset) return {};
  const std::string from = restored.id == 0
                               ? std::string("the start (no checkpoint could be restored)")
                               : "offset " + std::to_string(restored.wal_offset) + " (checkpoint " +
                                     std::to_string(restored.id) + ")";
  return {Errc::kCorrupt, "the write-ahead log starts at offset " +
                              std::to_string(segments->front().first_offset) +
                              ", and recovery needs it from " + from +
                              ": the checkpoint that covered the removed segments is gone or "
                              "failed its checks"};
}

// About how many messageIds the log holds after `from`: its bytes over the smallest a logged event
// takes with an id (bench/RESULTS.md: 137 bytes an event in the load generator's traffic).
size_t ids_to_replay(const std::string& dir, uint64_t from) {
  constexpr uint64_t kMinBytesPerEvent = 128;
  auto segments = list_wal_segments(dir);
  if (!segments) return 0;
  uint64_t bytes = 0;
  std::error_code ec;
  for (const WalSegmentFile& seg : *segments) {
    const uint64_t size = std::filesystem::file_size(seg.path, ec);
    if (ec || seg.first_offset + size <= from) continue;
    bytes += size - (from > seg.first_offset ? from - seg.first_offset : 0);
  }
  return static_cast<size_t>(bytes / kMinBytesPerEvent);
}

}  // namespace

Result<Recovered> recover(const EddyOptions& options, Engine& engine, MessageDedup& dedup,
                          std::function<void(const Status&)> on_fatal) {
  const auto started = std::chrono::steady_clock::now();
  Recovered out;
  auto store = CheckpointStore::open(options.data_dir + "/checkpoints");
  if (!store) return store.status();
  out.checkpoints = std::move(store).value();
  auto restored = restore_newest_checkpoint(
      *out.checkpoints, engine, [&dedup](std::string_view name, std::string_view state) {
        return restore_part(dedup, name, state);
      });
  if (!restored) {
    return Status(restored.status().code(), "recovery failed: " + restored.status().message());
  }
  const auto restore_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  // Checkpoints a crash left half-written, and any beyond checkpoint.keep.
  if (Status s = out.checkpoints->prune(options.checkpoint.keep); !s)
    log_line(LogLevel::kWarn, "could not remove old checkpoints", {{"error", s.message()}});

  WalSettings settings = options.wal;
  settings.dir = options.data_dir + "/wal";
  if (Status s = check_log_reaches(settings.dir, *restored); !s)
    return Status(s.code(), "recovery failed: " + s.message());
  dedup.reserve(ids_to_replay(settings.dir, restored->wal_offset));
  ReplayOptions replay;
  replay.from = restored->wal_offset;
  replay.read.skip_corrupt = options.wal_skip_corrupt;
  replay.on_idempotency_keys = [&dedup](std::span<const uint64_t> keys, WallTime received) {
    for (uint64_t k : keys) {
      if (k != 0) dedup.remember_logged(MessageIdHash(k), received);
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
  log_line(LogLevel::kInfo, "recovered",
           {{"checkpoint", restored->id},
            {"skipped_checkpoints", restored->skipped},
            {"restore_ms", restore_ms.count()},
            {"replay_from", restored->wal_offset},
            {"records", log.records},
            {"events", replayed->events},
            {"commands", replayed->commands},
            {"refused_commands", replayed->refused_commands},
            {"erased_ids", replayed->erased_ids.size()},
            {"torn_bytes", log.torn_bytes},
            {"skipped_records", log.skipped_records},
            {"end_offset", log.end_offset},
            {"ms", elapsed.count()}});
  auto wal = WriteAheadLog::open(settings, log, nullptr, std::move(on_fatal));
  if (!wal) return wal.status();
  out.wal = std::move(wal).value();
  out.erased_ids = std::move(replayed->erased_ids);
  return out;
}

void add_checkpoint_metrics(metrics::MetricsRegistry& registry, const Checkpointer& checkpointer) {
  registry.add_collector([&checkpointer](metrics::MetricsWriter& w) {
    const CheckpointMetrics m = checkpointer.metrics();
    w.counter("eddy_checkpoints_total", "Checkpoints completed", {},
              static_cast<double>(m.completed));
    w.counter("eddy_checkpoint_failures_total",
              "Checkpoints that failed (the previous ones stay intact)", {},
              static_cast<double>(m.failed));
    w.gauge("eddy_checkpoint_last_id", "Id of the last complete checkpoint", {},
            static_cast<double>(m.last.id));
    w.gauge("eddy_checkpoint_last_bytes", "Size of the last complete checkpoint", {},
            static_cast<double>(m.last.bytes));
    w.gauge("eddy_checkpoint_last_duration_seconds", "How long the last checkpoint took", {},
            static_cast<double>(m.last.duration.count()) / 1e3);
    w.gauge("eddy_checkpoint_last_worst_pause_seconds",
            "The longest a worker stopped handling events for the last checkpoint", {},
            static_cast<double>(m.last.worst_pause.count()) / 1e6);
    w.gauge("eddy_erasures_pending",
            "Customer erasures acknowledged whose data the next checkpoint removes from disk", {},
            static_cast<double>(checkpointer.erasures_pending()));
    w.gauge("eddy_checkpoint_last_completed_timestamp_seconds",
            "Wall-clock time the last checkpoint completed", {},
            static_cast<double>(m.last_completed_ms) / 1e3);
  });
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
