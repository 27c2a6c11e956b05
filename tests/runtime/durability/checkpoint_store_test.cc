#include "runtime/durability/checkpoint_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/durability/checkpoint_format.h"
#include "runtime/durability/wal_format.h"
#include "runtime/topology_builder.h"
#include "tests/harness/test_operators.h"
#include "tests/runtime/durability/faulty_storage.h"
#include "tests/runtime/durability/temp_dir.h"

namespace eddy {
namespace {

using testing::FaultyStorage;
using testing::TempDir;

namespace fs = std::filesystem;

// State with a NUL and bytes above 0x7f in it, so that nothing treats it as a C string.
const std::string kBinaryState("st\0te\xff\x80", 7);

std::string slurp(const std::string& path) {
  auto bytes = read_whole_file(path);
  EXPECT_TRUE(bytes.is_ok()) << bytes.status().to_string();
  return bytes.is_ok() ? std::move(bytes).value() : std::string();
}

void overwrite(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

void flip_bit(const std::string& path, size_t at) {
  std::string bytes = slurp(path);
  ASSERT_LT(at, bytes.size()) << path;
  bytes[at] = static_cast<char>(bytes[at] ^ 0x04);
  overwrite(path, bytes);
}

// ---- The store ------------------------------------------------------------------------------

std::unique_ptr<CheckpointStore> open_store(const std::string& dir,
                                            std::unique_ptr<WalStorage> storage = nullptr) {
  auto store = CheckpointStore::open(dir, std::move(storage));
  EXPECT_TRUE(store.is_ok()) << store.status().to_string();
  return store.is_ok() ? std::move(store).value() : nullptr;
}

CheckpointManifestData manifest_for(const std::string& topology_name = "counting") {
  CheckpointManifestData m;
  m.created_ms = 1'700'000'000'000;
  m.wal_offset = 4096;
  m.topology = topology_name;
  m.topology_version = 2;
  m.topology_layout = 77;
  m.key_groups = 16;
  m.watermark = 1'699'999'999'000;
  m.segment_definitions = {R"({"name":"vip"})"};
  return m;
}

// A complete checkpoint with key groups 1 and 3 and a "message-ids" part.
void write_checkpoint(CheckpointStore& store, uint64_t id) {
  auto writer = store.begin(id);
  ASSERT_TRUE(writer.is_ok()) << writer.status().to_string();
  ASSERT_TRUE((*writer)->add_part(key_group_part_name(1), 1, "one-" + std::to_string(id)).is_ok());
  ASSERT_TRUE((*writer)->add_part(key_group_part_name(3), 3, kBinaryState).is_ok());
  ASSERT_TRUE((*writer)->add_part("message-ids", kNotAKeyGroup, "ids").is_ok());
  const Status s = (*writer)->commit(manifest_for());
  ASSERT_TRUE(s.is_ok()) << s.to_string();
}

std::string part_path(const CheckpointStore& store, uint64_t id, const std::string& name) {
  return store.path_of(id) + "/" + name + ".part";
}

// An incomplete checkpoint directory, as a crash in the middle of one leaves it.
void leave_incomplete(const CheckpointStore& store, uint64_t id) {
  ASSERT_TRUE(fs::create_directory(store.path_of(id)));
  CheckpointFileEntry entry;
  overwrite(part_path(store, id, "kg-00001"),
            encode_checkpoint_part(id, "kg-00001", 1, "half", entry));
}

TEST(CheckpointStore, ACommittedCheckpointLoadsBackWithItsKeyGroupsAndParts) {
  TempDir dir;
  auto store = open_store(dir.path() + "/checkpoints");  // made when missing
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->committed().empty());
  EXPECT_EQ(store->next_id(), 1u);
  write_checkpoint(*store, 1);

  EXPECT_EQ(store->committed(), std::vector<uint64_t>{1});
  EXPECT_EQ(store->next_id(), 2u);
  auto loaded = store->load(1);
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().to_string();
  EXPECT_EQ(loaded->manifest.id, 1u);
  EXPECT_EQ(loaded->manifest.created_ms, 1'700'000'000'000);
  EXPECT_EQ(loaded->manifest.wal_offset, 4096u);
  EXPECT_EQ(loaded->manifest.topology, "counting");
  EXPECT_EQ(loaded->manifest.topology_version, 2u);
  EXPECT_EQ(loaded->manifest.topology_layout, 77u);
  EXPECT_EQ(loaded->manifest.key_groups, 16u);
  EXPECT_EQ(loaded->manifest.watermark, 1'699'999'999'000);
  EXPECT_EQ(loaded->manifest.segment_definitions, std::vector<std::string>{R"({"name":"vip"})"});

  std::map<uint32_t, std::string> groups;
  for (const Engine::KeyGroupState& g : loaded->groups)
    groups[g.group.value()] = g.bytes;
  EXPECT_EQ(loaded->groups.size(), 2u);
  EXPECT_EQ(groups, (std::map<uint32_t, std::string>{{1, "one-1"}, {3, kBinaryState}}));
  ASSERT_EQ(loaded->parts.size(), 1u);
  EXPECT_EQ(loaded->parts.at("message-ids"), "ids");
}

TEST(CheckpointStore, AManifestIsWrittenLastAndNamesEveryPart) {
  TempDir dir;
  auto store = open_store(dir.path());
  auto writer = store->begin(5);
  ASSERT_TRUE(writer.is_ok()) << writer.status().to_string();
  ASSERT_TRUE((*writer)->add_part(key_group_part_name(0), 0, "zero").is_ok());
  ASSERT_TRUE((*writer)->add_part(key_group_part_name(7), 7, std::string(10'000, 'x')).is_ok());
  ASSERT_TRUE((*writer)->add_part("message-ids", kNotAKeyGroup, "").is_ok());

  // The parts are on disk; the checkpoint does not exist yet.
  EXPECT_TRUE(fs::exists(part_path(*store, 5, "kg-00000")));
  EXPECT_TRUE(fs::exists(part_path(*store, 5, "kg-00007")));
  EXPECT_TRUE(fs::exists(part_path(*store, 5, "message-ids")));
  EXPECT_FALSE(fs::exists(store->path_of(5) + "/MANIFEST"));
  EXPECT_TRUE(store->committed().empty());
  EXPECT_FALSE(store->read_manifest(5).is_ok());

  CheckpointManifestData m = manifest_for();
  m.id = 999;  // the writer's id wins
  m.parts = {{"bogus", 1, 2, 3}};
  ASSERT_TRUE((*writer)->commit(m).is_ok());

  EXPECT_TRUE(fs::exists(store->path_of(5) + "/MANIFEST"));
  EXPECT_FALSE(fs::exists(store->path_of(5) + "/MANIFEST.tmp"));
  EXPECT_EQ(store->committed(), std::vector<uint64_t>{5});
  auto manifest = store->read_manifest(5);
  ASSERT_TRUE(manifest.is_ok()) << manifest.status().to_string();
  EXPECT_EQ(manifest->id, 5u);
  ASSERT_EQ(manifest->parts.size(), 3u);
  uint64_t part_bytes = 0;
  const std::vector<std::pair<std::string, int32_t>> expected = {
      {"kg-00000", 0}, {"kg-00007", 7}, {"message-ids", kNotAKeyGroup}};
  for (size_t i = 0; i < expected.size(); ++i) {
    const CheckpointFileEntry& p = manifest->parts[i];
    EXPECT_EQ(p.name, expected[i].first);
    EXPECT_EQ(p.key_group, expected[i].second);
    const std::string path = part_path(*store, 5, p.name);
    EXPECT_EQ(p.bytes, fs::file_size(path)) << p.name;
    part_bytes += p.bytes;
  }
  const uint64_t manifest_bytes = fs::file_size(store->path_of(5) + "/MANIFEST");
  EXPECT_EQ((*writer)->bytes(), part_bytes + manifest_bytes);

  // Destroying a committed writer leaves the checkpoint.
  writer->reset();
  EXPECT_EQ(store->committed(), std::vector<uint64_t>{5});
  EXPECT_TRUE(store->load(5).is_ok());
}

TEST(CheckpointStore, AWriterDestroyedWithoutCommitLeavesNoDirectory) {
  TempDir dir;
  auto store = open_store(dir.path());
  {
    auto writer = store->begin(3);
    ASSERT_TRUE(writer.is_ok()) << writer.status().to_string();
    ASSERT_TRUE((*writer)->add_part(key_group_part_name(1), 1, "state").is_ok());
    EXPECT_TRUE(fs::exists(store->path_of(3)));
  }
  EXPECT_FALSE(fs::exists(store->path_of(3)));
  EXPECT_TRUE(store->committed().empty());
  EXPECT_EQ(store->next_id(), 1u);

  // The same for abandon().
  auto writer = store->begin(4);
  ASSERT_TRUE(writer.is_ok());
  ASSERT_TRUE((*writer)->add_part(key_group_part_name(1), 1, "state").is_ok());
  (*writer)->abandon();
  EXPECT_FALSE(fs::exists(store->path_of(4)));
}

TEST(CheckpointStore, AnIdIsNeverUsedTwice) {
  TempDir dir;
  auto store = open_store(dir.path());
  write_checkpoint(*store, 2);
  leave_incomplete(*store, 6);
  // Something else in the directory is no checkpoint.
  ASSERT_TRUE(fs::create_directory(dir.path() + "/ckpt-99"));
  overwrite(dir.path() + "/notes.txt", "hello");

  EXPECT_EQ(store->committed(), std::vector<uint64_t>{2});
  EXPECT_EQ(store->next_id(), 7u);  // above the incomplete one too
  EXPECT_FALSE(store->begin(2).is_ok());
  EXPECT_FALSE(store->begin(6).is_ok());
  EXPECT_TRUE(store->load(2).is_ok());  // the refused begin() did not harm it
  // A store opened again over the directory sees the same.
  auto again = open_store(dir.path());
  EXPECT_EQ(again->committed(), std::vector<uint64_t>{2});
  EXPECT_EQ(again->next_id(), 7u);
}

TEST(CheckpointStore, PruneKeepsTheNewestCompleteOnesAndTheOneBeingWritten) {
  TempDir dir;
  auto store = open_store(dir.path());
  write_checkpoint(*store, 1);
  write_checkpoint(*store, 2);
  leave_incomplete(*store, 3);
  write_checkpoint(*store, 4);
  write_checkpoint(*store, 5);
  auto writing = store->begin(6);
  ASSERT_TRUE(writing.is_ok());
  ASSERT_TRUE((*writing)->add_part(key_group_part_name(1), 1, "in progress").is_ok());
  ASSERT_EQ(store->committed(), (std::vector<uint64_t>{1, 2, 4, 5}));

  const Status s = store->prune(2, 6);
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  EXPECT_EQ(store->committed(), (std::vector<uint64_t>{4, 5}));
  for (uint64_t gone : {1, 2, 3})
    EXPECT_FALSE(fs::exists(store->path_of(gone))) << gone;
  for (uint64_t kept : {4, 5, 6})
    EXPECT_TRUE(fs::exists(store->path_of(kept))) << kept;
  EXPECT_TRUE(fs::exists(part_path(*store, 6, "kg-00001")));
  EXPECT_TRUE(store->load(4).is_ok());
  EXPECT_TRUE(store->load(5).is_ok());

  // The one being written can still be committed, and is then the newest.
  ASSERT_TRUE((*writing)->commit(manifest_for()).is_ok());
  EXPECT_EQ(store->committed(), (std::vector<uint64_t>{4, 5, 6}));
  ASSERT_TRUE(store->prune(2).is_ok());
  EXPECT_EQ(store->committed(), (std::vector<uint64_t>{5, 6}));
}

TEST(CheckpointStore, PruneRemovesIncompleteCheckpointsWhenNoneIsBeingWritten) {
  TempDir dir;
  auto store = open_store(dir.path());
  write_checkpoint(*store, 1);
  leave_incomplete(*store, 2);
  ASSERT_TRUE(store->prune(2).is_ok());
  EXPECT_EQ(store->committed(), std::vector<uint64_t>{1});
  EXPECT_FALSE(fs::exists(store->path_of(2)));
  EXPECT_TRUE(store->load(1).is_ok());
}

TEST(CheckpointStore, AFlippedBitInAPartOnDiskFailsTheLoadNamingTheFile) {
  TempDir dir;
  auto store = open_store(dir.path());
  write_checkpoint(*store, 1);
  const std::string path = part_path(*store, 1, "kg-00003");
  flip_bit(path, fs::file_size(path) - 2);
  auto loaded = store->load(1);
  ASSERT_FALSE(loaded.is_ok());
  EXPECT_EQ(loaded.status().code(), Errc::kCorrupt);
  EXPECT_NE(loaded.status().message().find(path), std::string::npos) << loaded.status().message();
  // The manifest alone still reads.
  EXPECT_TRUE(store->read_manifest(1).is_ok());
}

TEST(CheckpointStore, ATruncatedPartFailsTheLoadNamingTheFile) {
  TempDir dir;
  auto store = open_store(dir.path());
  write_checkpoint(*store, 1);
  const std::string path = part_path(*store, 1, "kg-00001");
  fs::resize_file(path, fs::file_size(path) - 1);
  auto loaded = store->load(1);
  ASSERT_FALSE(loaded.is_ok());
  EXPECT_EQ(loaded.status().code(), Errc::kCorrupt);
  EXPECT_NE(loaded.status().message().find(path), std::string::npos) << loaded.status().message();
}

TEST(CheckpointStore, AMissingPartFailsTheLoadNamingTheFile) {
  TempDir dir;
  auto store = open_store(dir.path());
  write_checkpoint(*store, 1);
  const std::string path = part_path(*store, 1, "message-ids");
  ASSERT_TRUE(fs::remove(path));
  auto loaded = store->load(1);
  ASSERT_FALSE(loaded.is_ok());
  EXPECT_NE(loaded.status().message().find(path), std::string::npos) << loaded.status().message();
}

TEST(CheckpointStore, APartCopiedFromAnotherCheckpointFailsTheLoad) {
  TempDir dir;
  auto store = open_store(dir.path());
  write_checkpoint(*store, 1);
  write_checkpoint(*store, 2);
  const std::string path = part_path(*store, 2, "kg-00003");
  // Same state in both, so only the checkpoint id inside tells them apart.
  overwrite(path, slurp(part_path(*store, 1, "kg-00003")));
  auto loaded = store->load(2);
  ASSERT_FALSE(loaded.is_ok());
  EXPECT_EQ(loaded.status().code(), Errc::kCorrupt);
  EXPECT_NE(loaded.status().message().find(path), std::string::npos) << loaded.status().message();
}

TEST(CheckpointStore, ACorruptedManifestFailsToRead) {
  TempDir dir;
  auto store = open_store(dir.path());
  write_checkpoint(*store, 1);
  const std::string path = store->path_of(1) + "/MANIFEST";
  flip_bit(path, kCheckpointHeaderBytes + 3);
  auto manifest = store->read_manifest(1);
  ASSERT_FALSE(manifest.is_ok());
  EXPECT_EQ(manifest.status().code(), Errc::kCorrupt);
  EXPECT_NE(manifest.status().message().find(path), std::string::npos)
      << manifest.status().message();
  EXPECT_FALSE(store->load(1).is_ok());

  fs::resize_file(path, 0);
  EXPECT_FALSE(store->read_manifest(1).is_ok());
}

TEST(CheckpointStore, AManifestInTheWrongDirectoryIsRefused) {
  TempDir dir;
  auto store = open_store(dir.path());
  write_checkpoint(*store, 1);
  write_checkpoint(*store, 2);
  overwrite(store->path_of(2) + "/MANIFEST", slurp(store->path_of(1) + "/MANIFEST"));
  auto manifest = store->read_manifest(2);
  ASSERT_FALSE(manifest.is_ok());
  EXPECT_EQ(manifest.status().code(), Errc::kCorrupt);
}

TEST(CheckpointStore, AFailingFsyncOfAPartFailsTheCommitAndWritesNoManifest) {
  TempDir dir;
  auto faults = std::make_shared<FaultyStorage::Faults>();
  auto store = open_store(dir.path(), std::make_unique<FaultyStorage>(faults));
  auto writer = store->begin(1);
  ASSERT_TRUE(writer.is_ok()) << writer.status().to_string();
  ASSERT_TRUE((*writer)->add_part(key_group_part_name(1), 1, "state").is_ok());
  ASSERT_TRUE((*writer)->add_part(key_group_part_name(2), 2, "state").is_ok());
  faults->failing_syncs = 1;
  const Status s = (*writer)->commit(manifest_for());
  EXPECT_FALSE(s.is_ok());
  EXPECT_EQ(faults->failing_syncs.load(), 0);
  EXPECT_FALSE(fs::exists(store->path_of(1) + "/MANIFEST"));
  EXPECT_TRUE(store->committed().empty());
  EXPECT_FALSE(store->load(1).is_ok());
  writer->reset();
  EXPECT_FALSE(fs::exists(store->path_of(1)));

  // The disk is well again: the next checkpoint commits.
  write_checkpoint(*store, store->next_id());
  EXPECT_EQ(store->committed().size(), 1u);
}

TEST(CheckpointStore, AFailingFsyncOfTheManifestFailsTheCommitAndLeavesItIncomplete) {
  TempDir dir;
  auto faults = std::make_shared<FaultyStorage::Faults>();
  auto store = open_store(dir.path(), std::make_unique<FaultyStorage>(faults));
  auto writer = store->begin(1);
  ASSERT_TRUE(writer.is_ok()) << writer.status().to_string();
  faults->failing_syncs = 1;  // no parts: the manifest's is the first fsync
  EXPECT_FALSE((*writer)->commit(manifest_for()).is_ok());
  EXPECT_EQ(faults->failing_syncs.load(), 0);
  EXPECT_FALSE(fs::exists(store->path_of(1) + "/MANIFEST"));
  EXPECT_TRUE(store->committed().empty());
  EXPECT_FALSE(store->read_manifest(1).is_ok());
}

TEST(CheckpointStore, AFailingWriteFailsAddPart) {
  TempDir dir;
  auto faults = std::make_shared<FaultyStorage::Faults>();
  auto store = open_store(dir.path(), std::make_unique<FaultyStorage>(faults));
  auto writer = store->begin(1);
  ASSERT_TRUE(writer.is_ok()) << writer.status().to_string();
  faults->failing_writes = 1;
  EXPECT_FALSE((*writer)->add_part(key_group_part_name(1), 1, std::string(1000, 's')).is_ok());
  EXPECT_TRUE(store->committed().empty());
}

}  // namespace
}  // namespace eddy
