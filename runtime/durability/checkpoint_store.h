#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/durability/checkpoint_format.h"
#include "runtime/durability/wal_storage.h"
#include "runtime/engine.h"
#include "runtime/status.h"
#include "runtime/whole_file.h"

namespace eddy {

// One checkpoint being written. Parts go to disk as they come; commit() syncs them all and then
// writes the manifest, which is what makes the checkpoint exist. Not thread-safe: one thread
// writes a checkpoint.
class CheckpointWriter {
 public:
  CheckpointWriter(WalStorage& storage, std::string dir, uint64_t id);
  ~CheckpointWriter();
  CheckpointWriter(const CheckpointWriter&) = delete;
  CheckpointWriter& operator=(const CheckpointWriter&) = delete;

  Status add_part(std::string_view name, int32_t key_group, std::string_view state);
  // Syncs every part, writes the manifest under a temporary name, syncs it, renames it into place
  // and syncs the directory. Fills in the manifest's id and parts.
  Status commit(CheckpointManifestData manifest);
  // Removes what was written, after a failure.
  void abandon();

  uint64_t id() const { return id_; }
  uint64_t bytes() const { return bytes_; }

 private:
  WalStorage& storage_;
  const std::string dir_;
  const uint64_t id_;
  std::vector<std::unique_ptr<WalFile>> unsynced_;
  flatbuffers::FlatBufferBuilder fbb_;  // kept across parts, so its buffer is allocated once
  std::vector<CheckpointFileEntry> parts_;
  uint64_t bytes_ = 0;
  bool committed_ = false;
};

// A checkpoint read back from disk with every file checked.
struct LoadedCheckpoint {
  CheckpointManifestData manifest;
  std::vector<Engine::KeyGroupState> groups;
  std::map<std::string, std::string, std::less<>> parts;  // the parts that are not key groups
};

// The checkpoints in a directory: `ckpt-<id>/` each, complete once it holds a MANIFEST.
//
// Threading contract: one writer at a time (the checkpointer's thread); reads from recovery,
// before the checkpointer starts.
class CheckpointStore {
 public:
  // Creates `dir` when missing. `storage` defaults to POSIX files.
  static Result<std::unique_ptr<CheckpointStore>> open(std::string dir,
                                                       std::unique_ptr<WalStorage> storage = {});

  // The complete checkpoints, oldest first.
  std::vector<uint64_t> committed() const;
  // Above every checkpoint directory present, complete or not, so that no id is used twice.
  uint64_t next_id() const;

  Result<std::unique_ptr<CheckpointWriter>> begin(uint64_t id);
  // The manifest and every part, each checked against its checksum and against the manifest.
  Result<LoadedCheckpoint> load(uint64_t id) const;
  Result<CheckpointManifestData> read_manifest(uint64_t id) const;

  // Keeps the newest `keep` complete checkpoints and removes every other checkpoint directory
  // but `writing` (a checkpoint in progress; 0 for none), incomplete ones included.
  Status prune(uint32_t keep, uint64_t writing = 0);

  const std::string& dir() const { return dir_; }
  std::string path_of(uint64_t id) const;

 private:
  CheckpointStore(std::string dir, std::unique_ptr<WalStorage> storage);
  // Every checkpoint directory, complete or not, by id.
  std::map<uint64_t, bool> scan() const;

  const std::string dir_;
  std::unique_ptr<WalStorage> storage_;
};

}  // namespace eddy
