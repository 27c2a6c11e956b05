#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <flatbuffers/flatbuffers.h>

#include "runtime/status.h"
#include "runtime/topology.h"

namespace eddy {

// The on-disk shape of a checkpoint (schemas/checkpoint.fbs).
//
// Every file, parts and manifest alike, is a 16-byte header and a FlatBuffers body:
//
//   8-byte magic ("EDDYCKP" or "EDDYMAN", then the format version) | u32 CRC-32C of the body |
//   u32 body length
//
// A checkpoint lives in its own directory, `ckpt-<id, 20 digits>`, one part file per key group
// (`kg-<group>.part`) and per other piece of state, and is complete once its MANIFEST is there:
// the manifest is written last, under a temporary name, synced and renamed.

inline constexpr uint8_t kCheckpointFormat = 1;
inline constexpr size_t kCheckpointHeaderBytes = 16;
inline constexpr std::string_view kManifestName = "MANIFEST";
inline constexpr int32_t kNotAKeyGroup = -1;

// A part's state, as it was read back and checked.
struct CheckpointPartData {
  std::string name;
  int32_t key_group = kNotAKeyGroup;
  std::string state;
};

// A part file as the manifest names it.
struct CheckpointFileEntry {
  std::string name;
  int32_t key_group = kNotAKeyGroup;
  uint64_t bytes = 0;
  uint32_t crc32c = 0;
};

struct CheckpointManifestData {
  uint64_t id = 0;
  int64_t created_ms = 0;
  uint64_t wal_offset = 0;
  std::string topology;
  uint32_t topology_version = 0;
  uint64_t topology_layout = 0;
  uint32_t key_groups = 0;
  int64_t watermark = 0;
  std::vector<CheckpointFileEntry> parts;
  std::vector<std::string> segment_definitions;
};

// A hash of the stages and their operators (names and kinds, in order): what a snapshot's bytes
// are laid out by. Operator options are not part of it; they change behaviour, not layout.
uint64_t topology_layout(const TopologySpec& spec);

std::string checkpoint_dir_name(uint64_t id);
// The id of a checkpoint directory's name; nullopt for anything else.
std::optional<uint64_t> parse_checkpoint_dir_name(std::string_view name);
std::string key_group_part_name(uint32_t group);

// Builds a part's body in `fbb` (cleared first: a builder kept across parts keeps its buffer) and
// returns the header to write before it; `entry` gets what the manifest must say of the file.
// Header and body stay apart so that writing them copies the state no further.
std::string encode_checkpoint_part(flatbuffers::FlatBufferBuilder& fbb, uint64_t checkpoint_id,
                                   std::string_view name, int32_t key_group, std::string_view state,
                                   CheckpointFileEntry& entry);
// The same as one string: the whole file.
std::string encode_checkpoint_part(uint64_t checkpoint_id, std::string_view name, int32_t key_group,
                                   std::string_view state, CheckpointFileEntry& entry);
// Checks the header, the checksum and the FlatBuffers body, and that the part is the one
// `expected` names with the size and checksum it gives.
Result<CheckpointPartData> decode_checkpoint_part(std::span<const uint8_t> file,
                                                  uint64_t checkpoint_id,
                                                  const CheckpointFileEntry& expected);

std::string encode_checkpoint_manifest(const CheckpointManifestData& manifest);
Result<CheckpointManifestData> decode_checkpoint_manifest(std::span<const uint8_t> file);

}  // namespace eddy
