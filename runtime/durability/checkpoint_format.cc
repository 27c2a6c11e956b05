#include "runtime/durability/checkpoint_format.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <charconv>
#include <cstring>

#include "runtime/durability/crc32c.h"
#include "schemas/checkpoint_generated.h"

namespace eddy {

namespace {

constexpr char kPartMagic[8] = {'E', 'D', 'D', 'Y', 'C', 'K', 'P', kCheckpointFormat};
constexpr char kManifestMagic[8] = {'E', 'D', 'D', 'Y', 'M', 'A', 'N', kCheckpointFormat};
constexpr std::string_view kDirPrefix = "ckpt-";
constexpr size_t kIdDigits = 20;

std::string header_of(const char (&magic)[8], std::span<const uint8_t> body) {
  std::string out(kCheckpointHeaderBytes, '\0');
  std::memcpy(out.data(), magic, 8);
  const uint32_t crc = crc32c(body);
  const auto size = static_cast<uint32_t>(body.size());
  std::memcpy(out.data() + 8, &crc, 4);
  std::memcpy(out.data() + 12, &size, 4);
  return out;
}

std::string with_header(const char (&magic)[8], std::span<const uint8_t> body) {
  std::string out = header_of(magic, body);
  out.append(reinterpret_cast<const char*>(body.data()), body.size());
  return out;
}

// The body behind a header with `magic`, once its length and checksum hold.
Result<std::span<const uint8_t>> checked_body(std::span<const uint8_t> file,
                                              const char (&magic)[8]) {
  if (file.size() < kCheckpointHeaderBytes)
    return Status(Errc::kCorrupt, "shorter than its header");
  if (std::memcmp(file.data(), magic, 7) != 0)
    return Status(Errc::kCorrupt, "not an eddy checkpoint file");
  if (file[7] != static_cast<uint8_t>(magic[7])) {
    return Status(Errc::kCorrupt, "checkpoint format " + std::to_string(file[7]) +
                                      ", this eddy reads format " +
                                      std::to_string(kCheckpointFormat));
  }
  uint32_t crc = 0, size = 0;
  std::memcpy(&crc, file.data() + 8, 4);
  std::memcpy(&size, file.data() + 12, 4);
  const std::span<const uint8_t> body = file.subspan(kCheckpointHeaderBytes);
  if (body.size() != size) {
    return Status(Errc::kCorrupt, "holds " + std::to_string(body.size()) +
                                      " bytes after its header, which says " +
                                      std::to_string(size));
  }
  if (crc32c(body) != crc) return Status(Errc::kCorrupt, "checksum mismatch");
  return body;
}

std::string id_digits(uint64_t id) {
  std::string digits = std::to_string(id);
  return std::string(kIdDigits - digits.size(), '0') + digits;
}

}  // namespace

uint64_t topology_layout(const TopologySpec& spec) {
  std::string shape;
  for (const StageSpec& stage : spec.stages()) {
    shape += "stage:" + stage.name + "\n";
    for (const OperatorSpec& op : stage.operators)
      shape += "op:" + op.name + ":" + op.kind + "\n";
  }
  return XXH3_64bits(shape.data(), shape.size());
}

std::string checkpoint_dir_name(uint64_t id) {
  return std::string(kDirPrefix) + id_digits(id);
}

std::optional<uint64_t> parse_checkpoint_dir_name(std::string_view name) {
  if (name.size() != kDirPrefix.size() + kIdDigits || !name.starts_with(kDirPrefix))
    return std::nullopt;
  const std::string_view digits = name.substr(kDirPrefix.size());
  uint64_t id = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return id;
}

std::string key_group_part_name(uint32_t group) {
  std::string digits = std::to_string(group);
  return "kg-" + std::string(digits.size() < 5 ? 5 - digits.size() : 0, '0') + digits;
}

std::string encode_checkpoint_part(flatbuffers::FlatBufferBuilder& fbb, uint64_t checkpoint_id,
                                   std::string_view name, int32_t key_group, std::string_view state,
                                   CheckpointFileEntry& entry) {
  fbb.Clear();
  const auto state_vec =
      fbb.CreateVector(reinterpret_cast<const uint8_t*>(state.data()), state.size());
  const auto name_str = fbb.CreateString(name.data(), name.size());
  fbb.Finish(fb::CreateCheckpointPart(fbb, checkpoint_id, name_str, key_group, state_vec));
  const std::span<const uint8_t> body{fbb.GetBufferPointer(), fbb.GetSize()};
  std::string header = header_of(kPartMagic, body);
  uint32_t crc = 0;
  std::memcpy(&crc, header.data() + 8, 4);
  entry = {std::string(name), key_group, header.size() + body.size(), crc};
  return header;
}

std::string encode_checkpoint_part(uint64_t checkpoint_id, std::string_view name, int32_t key_group,
                                   std::string_view state, CheckpointFileEntry& entry) {
  flatbuffers::FlatBufferBuilder fbb(state.size() + 256);
  std::string file = encode_checkpoint_part(fbb, checkpoint_id, name, key_group, state, entry);
  file.append(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
  return file;
}

Result<CheckpointPartData> decode_checkpoint_part(std::span<const uint8_t> file,
                                                  uint64_t checkpoint_id,
                                                  const CheckpointFileEntry& expected) {
  auto body = checked_body(file, kPartMagic);
  if (!body) return body.status();
  uint32_t crc = 0;
  std::memcpy(&crc, file.data() + 8, 4);
  if (file.size() != expected.bytes || crc != expected.crc32c)
    return Status(Errc::kCorrupt, "is not the file the manifest names (size or checksum differ)");
  flatbuffers::Verifier verifier(body->data(), body->size());
  if (!verifier.VerifyBuffer<fb::CheckpointPart>(nullptr))
    return Status(Errc::kCorrupt, "the part does not verify");
  const auto* part = flatbuffers::GetRoot<fb::CheckpointPart>(body->data());
  if (part->checkpoint_id() != checkpoint_id || part->name() == nullptr ||
      part->name()->string_view() != expected.name || part->key_group() != expected.key_group)
    return Status(Errc::kCorrupt, "the part belongs to another checkpoint or key group");
  CheckpointPartData out;
  out.name = part->name()->str();
  out.key_group = part->key_group();
  if (part->state() != nullptr)
    out.state.assign(reinterpret_cast<const char*>(part->state()->data()), part->state()->size());
  return out;
}

std::string encode_checkpoint_manifest(const CheckpointManifestData& m) {
  flatbuffers::FlatBufferBuilder fbb(1024 + m.parts.size() * 64);
  std::vector<flatbuffers::Offset<fb::CheckpointFile>> parts;
  parts.reserve(m.parts.size());
  for (const CheckpointFileEntry& p : m.parts) {
    parts.push_back(
        fb::CreateCheckpointFile(fbb, fbb.CreateString(p.name), p.key_group, p.bytes, p.crc32c));
  }
  const auto parts_vec = fbb.CreateVector(parts);
  const auto defs = fbb.CreateVectorOfStrings(m.segment_definitions);
  const auto topology = fbb.CreateString(m.topology);
  fbb.Finish(fb::CreateCheckpointManifest(fbb, m.id, m.created_ms, m.wal_offset, topology,
                                          m.topology_version, m.topology_layout, m.key_groups,
                                          m.watermark, parts_vec, defs));
  return with_header(kManifestMagic, {fbb.GetBufferPointer(), fbb.GetSize()});
}

Result<CheckpointManifestData> decode_checkpoint_manifest(std::span<const uint8_t> file) {
  auto body = checked_body(file, kManifestMagic);
  if (!body) return body.status();
  flatbuffers::Verifier verifier(body->data(), body->size());
  if (!verifier.VerifyBuffer<fb::CheckpointManifest>(nullptr))
    return Status(Errc::kCorrupt, "the manifest does not verify");
  const auto* m = flatbuffers::GetRoot<fb::CheckpointManifest>(body->data());
  CheckpointManifestData out;
  out.id = m->id();
  out.created_ms = m->created_ms();
  out.wal_offset = m->wal_offset();
  out.topology = m->topology() ? m->topology()->str() : "";
  out.topology_version = m->topology_version();
  out.topology_layout = m->topology_layout();
  out.key_groups = m->key_groups();
  out.watermark = m->watermark();
  if (m->parts() != nullptr) {
    for (const fb::CheckpointFile* p : *m->parts()) {
      if (p->name() == nullptr) return Status(Errc::kCorrupt, "a part has no name");
      out.parts.push_back({p->name()->str(), p->key_group(), p->bytes(), p->crc32c()});
    }
  }
  if (m->segment_definitions() != nullptr) {
    for (const flatbuffers::String* d : *m->segment_definitions())
      out.segment_definitions.push_back(d->str());
  }
  return out;
}

}  // namespace eddy
