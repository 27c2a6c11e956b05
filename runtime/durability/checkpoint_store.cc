#include "runtime/durability/checkpoint_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "runtime/durability/wal_format.h"

namespace eddy {

namespace {

constexpr std::string_view kManifestTemp = "MANIFEST.tmp";

Status write_file(WalStorage& storage, const std::string& path, std::string_view bytes,
                  std::unique_ptr<WalFile>* keep_open) {
  auto file = storage.open(path, 0);
  if (!file) return file.status();
  if (Status s = (*file)->write(bytes_of(bytes)); !s) return s;
  if (keep_open != nullptr) *keep_open = std::move(file).value();
  return {};
}

}  // namespace

CheckpointWriter::CheckpointWriter(WalStorage& storage, std::string dir, uint64_t id)
    : storage_(storage), dir_(std::move(dir)), id_(id) {}

CheckpointWriter::~CheckpointWriter() {
  if (!committed_) abandon();
}

Status CheckpointWriter::add_part(std::string_view name, int32_t key_group,
                                  std::string_view state) {
  CheckpointFileEntry entry;
  const std::string header = encode_checkpoint_part(fbb_, id_, name, key_group, state, entry);
  std::unique_ptr<WalFile> open;
  if (Status s = write_file(storage_, dir_ + "/" + entry.name + ".part", header, &open); !s)
    return s;
  if (Status s = open->write({fbb_.GetBufferPointer(), fbb_.GetSize()}); !s) return s;
  unsynced_.push_back(std::move(open));
  bytes_ += entry.bytes;
  parts_.push_back(std::move(entry));
  return {};
}

Status CheckpointWriter::commit(CheckpointManifestData manifest) {
  // Synced after all were written rather than one by one: the kernel writes them back meanwhile,
  // so most of these find little left to do.
  for (auto& file : unsynced_) {
    if (Status s = file->sync(); !s) return s;
  }
  unsynced_.clear();
  manifest.id = id_;
  manifest.parts = parts_;
  const std::string bytes = encode_checkpoint_manifest(manifest);
  const std::string temp = dir_ + "/" + std::string(kManifestTemp);
  std::unique_ptr<WalFile> file;
  if (Status s = write_file(storage_, temp, bytes, &file); !s) return s;
  if (Status s = file->sync(); !s) return s;
  file.reset();
  if (Status s = storage_.rename(temp, dir_ + "/" + std::string(kManifestName)); !s) return s;
  if (Status s = storage_.sync_dir(dir_); !s) return s;
  bytes_ += bytes.size();
  committed_ = true;
  return {};
}

void CheckpointWriter::abandon() {
  unsynced_.clear();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

CheckpointStore::CheckpointStore(std::string dir, std::unique_ptr<WalStorage> storage)
    : dir_(std::move(dir)), storage_(std::move(storage)) {}

Result<std::unique_ptr<CheckpointStore>> CheckpointStore::open(
    std::string dir, std::unique_ptr<WalStorage> storage) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status(Errc::kIo, dir + ": " + ec.message());
  if (!storage) storage = posix_wal_storage();
  return std::unique_ptr<CheckpointStore>(new CheckpointStore(std::move(dir), std::move(storage)));
}

std::string CheckpointStore::path_of(uint64_t id) const {
  return dir_ + "/" + checkpoint_dir_name(id);
}

std::map<uint64_t, bool> CheckpointStore::scan() const {
  std::map<uint64_t, bool> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    const auto id = parse_checkpoint_dir_name(entry.path().filename().string());
    if (!id) continue;
    out[*id] = std::filesystem::exists(entry.path() / std::string(kManifestName), ec);
  }
  return out;
}

std::vector<uint64_t> CheckpointStore::committed() const {
  std::vector<uint64_t> out;
  for (const auto& [id, complete] : scan()) {
    if (complete) out.push_back(id);
  }
  return out;
}

uint64_t CheckpointStore::next_id() const {
  const auto all = scan();
  return all.empty() ? 1 : all.rbegin()->first + 1;
}

Result<std::unique_ptr<CheckpointWriter>> CheckpointStore::begin(uint64_t id) {
  const std::string dir = path_of(id);
  std::error_code ec;
  if (!std::filesystem::create_directory(dir, ec)) {
    return Status(Errc::kIo, "cannot make checkpoint directory " + dir + ": " +
                                 (ec ? ec.message() : std::string("it exists")));
  }
  if (Status s = storage_->sync_dir(dir_); !s) return s;
  return std::make_unique<CheckpointWriter>(*storage_, dir, id);
}

Result<CheckpointManifestData> CheckpointStore::read_manifest(uint64_t id) const {
  const std::string path = path_of(id) + "/" + std::string(kManifestName);
  auto bytes = read_whole_file(path);
  if (!bytes) return bytes.status();
  auto manifest = decode_checkpoint_manifest(bytes_of(*bytes));
  if (!manifest) return Status(manifest.status().code(), path + ": " + manifest.status().message());
  if (manifest->id != id)
    return Status(Errc::kCorrupt, path + ": names checkpoint " + std::to_string(manifest->id));
  return manifest;
}

Result<LoadedCheckpoint> CheckpointStore::load(uint64_t id) const {
  LoadedCheckpoint out;
  auto manifest = read_manifest(id);
  if (!manifest) return manifest.status();
  out.manifest = std::move(manifest).value();
  for (const CheckpointFileEntry& entry : out.manifest.parts) {
    const std::string path = path_of(id) + "/" + entry.name + ".part";
    auto bytes = read_whole_file(path);
    if (!bytes) return bytes.status();
    auto part = decode_checkpoint_part(bytes_of(*bytes), id, entry);
    if (!part) return Status(part.status().code(), path + ": " + part.status().message());
    if (part->key_group == kNotAKeyGroup) {
      out.parts[part->name] = std::move(part->state);
    } else {
      out.groups.push_back(
          {KeyGroup(static_cast<uint32_t>(part->key_group)), std::move(part->state)});
    }
  }
  return out;
}

Status CheckpointStore::prune(uint32_t keep, uint64_t writing) {
  std::vector<uint64_t> complete = committed();
  const size_t drop = complete.size() > keep ? complete.size() - keep : 0;
  std::vector<uint64_t> kept(complete.begin() + static_cast<std::ptrdiff_t>(drop), complete.end());
  Status first;
  for (const auto& [id, is_complete] : scan()) {
    if (id == writing || std::find(kept.begin(), kept.end(), id) != kept.end()) continue;
    std::error_code ec;
    std::filesystem::remove_all(path_of(id), ec);
    if (ec && first.is_ok()) first = {Errc::kIo, path_of(id) + ": " + ec.message()};
  }
  if (Status s = storage_->sync_dir(dir_); !s && first.is_ok()) first = s;
  return first;
}

}  // namespace eddy
