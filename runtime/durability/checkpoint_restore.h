#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "runtime/durability/checkpoint_store.h"
#include "runtime/engine.h"

namespace eddy {

struct RestoredCheckpoint {
  uint64_t id = 0;          // 0: none was restored
  uint64_t wal_offset = 0;  // replay the log from here
  uint64_t skipped = 0;     // newer checkpoints that failed their checks
};

// Whether a checkpoint's state fits the engine's topology; the error says what changed.
Status check_compatible(const CheckpointManifestData& manifest, const Engine& engine);

// Restores the newest checkpoint that passes its checks into the started engine, before any
// input: every key group, the watermark, and each other part through `restore_part` (which says
// whether it could). A checkpoint that fails its checksums is skipped for the one before it, with
// a log line naming it and why. One made by an incompatible topology stops the restore: its
// state cannot be read, and replaying the log from the start instead could not rebuild it either
// once the log before it is gone. With none restored the log must be replayed from offset 0,
// which the caller must check is still there.
Result<RestoredCheckpoint> restore_newest_checkpoint(
    const CheckpointStore& store, Engine& engine,
    const std::function<Status(std::string_view name, std::string_view state)>& restore_part);

}  // namespace eddy
