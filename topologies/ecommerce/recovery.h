#pragma once

#include <functional>
#include <memory>

#include "connectors/ingest/message_dedup.h"
#include "connectors/metrics/metrics_registry.h"
#include "runtime/durability/checkpoint_store.h"
#include "runtime/durability/checkpointer.h"
#include "runtime/durability/journal.h"
#include "runtime/durability/write_ahead_log.h"
#include "runtime/engine.h"
#include "topologies/ecommerce/options.h"

namespace eddy {

// The exit code when the write-ahead log failed (an fsync error): a supervisor's restart runs
// recovery, which is the only safe way on.
inline constexpr int kExitLogFailed = 75;

// The name of the checkpoint part that holds ingest's messageId memory.
inline constexpr const char* kMessageIdsPart = "message-ids";

struct Recovered {
  std::unique_ptr<CheckpointStore> checkpoints;
  std::unique_ptr<WriteAheadLog> wal;
  // The ids of customer erasures found in the log after the restored checkpoint.
  std::vector<std::string> erased_ids;
};

// Start-up recovery: restores the newest valid checkpoint in <data_dir>/checkpoints (key groups,
// watermark, and the messageIds it had logged), replays <data_dir>/wal from the checkpoint's
// offset into the started engine (events, and segment definitions in their place among them),
// reminds `dedup` of every messageId replayed, waits until the engine has processed it all, and
// opens the log for appending after its last valid record (cutting off a torn tail). A corrupt
// record in the middle of the log stops start-up with an error naming the file and offset, unless
// wal.skip_corrupt is set; so does a log that no longer reaches back to where the restored state
// needs it. `on_fatal` is the log's (see WriteAheadLog::open).
Result<Recovered> recover(const EddyOptions& options, Engine& engine, MessageDedup& dedup,
                          std::function<void(const Status&)> on_fatal);

// eddy_checkpoint_* series.
void add_checkpoint_metrics(metrics::MetricsRegistry& registry, const Checkpointer& checkpointer);

// eddy_wal_* series: records, bytes, groups and fsyncs written, failures, offsets.
void add_wal_metrics(metrics::MetricsRegistry& registry, const WriteAheadLog& wal,
                     const Journal& journal);

}  // namespace eddy
