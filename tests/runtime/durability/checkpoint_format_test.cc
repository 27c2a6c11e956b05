#include "runtime/durability/checkpoint_format.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/durability/wal_format.h"
#include "runtime/topology_builder.h"
#include "tests/harness/test_operators.h"

namespace eddy {
namespace {

// State with a NUL and bytes above 0x7f in it, so that nothing treats it as a C string.
const std::string kBinaryState("st\0te\xff\x80", 7);

// ---- Parts ----------------------------------------------------------------------------------

TEST(CheckpointFormat, APartReadsBackAsWritten) {
  CheckpointFileEntry entry;
  const std::string file = encode_checkpoint_part(7, "kg-00042", 42, kBinaryState, entry);
  EXPECT_EQ(entry.name, "kg-00042");
  EXPECT_EQ(entry.key_group, 42);
  EXPECT_EQ(entry.bytes, file.size());
  EXPECT_GT(file.size(), kCheckpointHeaderBytes);
  auto part = decode_checkpoint_part(bytes_of(file), 7, entry);
  ASSERT_TRUE(part.is_ok()) << part.status().to_string();
  EXPECT_EQ(part->name, "kg-00042");
  EXPECT_EQ(part->key_group, 42);
  EXPECT_EQ(part->state, kBinaryState);
}

TEST(CheckpointFormat, APartThatIsNotAKeyGroupAndAnEmptyStateReadBack) {
  CheckpointFileEntry entry;
  const std::string file = encode_checkpoint_part(1, "message-ids", kNotAKeyGroup, "", entry);
  auto part = decode_checkpoint_part(bytes_of(file), 1, entry);
  ASSERT_TRUE(part.is_ok()) << part.status().to_string();
  EXPECT_EQ(part->name, "message-ids");
  EXPECT_EQ(part->key_group, kNotAKeyGroup);
  EXPECT_EQ(part->state, "");
}

TEST(CheckpointFormat, AFlippedBitInAPartsBodyFailsTheChecksum) {
  CheckpointFileEntry entry;
  const std::string file = encode_checkpoint_part(7, "kg-00042", 42, kBinaryState, entry);
  for (size_t i = kCheckpointHeaderBytes; i < file.size(); ++i) {
    std::string bad = file;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    auto part = decode_checkpoint_part(bytes_of(bad), 7, entry);
    ASSERT_FALSE(part.is_ok()) << "byte " << i;
    EXPECT_EQ(part.status().code(), Errc::kCorrupt);
    EXPECT_NE(part.status().message().find("checksum"), std::string::npos)
        << "byte " << i << ": " << part.status().message();
  }
}

TEST(CheckpointFormat, ATruncatedPartIsRefused) {
  CheckpointFileEntry entry;
  const std::string file = encode_checkpoint_part(7, "kg-00042", 42, kBinaryState, entry);
  for (size_t size : {size_t{0}, size_t{5}, kCheckpointHeaderBytes - 1, kCheckpointHeaderBytes,
                      file.size() - 1}) {
    auto part = decode_checkpoint_part(bytes_of(file.substr(0, size)), 7, entry);
    ASSERT_FALSE(part.is_ok()) << "cut to " << size;
    EXPECT_EQ(part.status().code(), Errc::kCorrupt) << "cut to " << size;
  }
  // Bytes after the end are as wrong as bytes missing.
  auto longer = decode_checkpoint_part(bytes_of(file + "x"), 7, entry);
  EXPECT_FALSE(longer.is_ok());
}

TEST(CheckpointFormat, APartOfAnotherCheckpointIsRefused) {
  CheckpointFileEntry entry;
  const std::string file = encode_checkpoint_part(7, "kg-00042", 42, kBinaryState, entry);
  auto part = decode_checkpoint_part(bytes_of(file), 8, entry);
  ASSERT_FALSE(part.is_ok());
  EXPECT_EQ(part.status().code(), Errc::kCorrupt);
  EXPECT_NE(part.status().message().find("another checkpoint"), std::string::npos)
      << part.status().message();
}

TEST(CheckpointFormat, APartIsRefusedWhenTheManifestEntryDisagrees) {
  CheckpointFileEntry entry;
  const std::string file = encode_checkpoint_part(7, "kg-00042", 42, kBinaryState, entry);

  CheckpointFileEntry wrong_size = entry;
  wrong_size.bytes += 1;
  auto a = decode_checkpoint_part(bytes_of(file), 7, wrong_size);
  ASSERT_FALSE(a.is_ok());
  EXPECT_EQ(a.status().code(), Errc::kCorrupt);
  EXPECT_NE(a.status().message().find("manifest"), std::string::npos) << a.status().message();

  CheckpointFileEntry wrong_crc = entry;
  wrong_crc.crc32c ^= 1;
  auto b = decode_checkpoint_part(bytes_of(file), 7, wrong_crc);
  ASSERT_FALSE(b.is_ok());
  EXPECT_EQ(b.status().code(), Errc::kCorrupt);
  EXPECT_NE(b.status().message().find("manifest"), std::string::npos) << b.status().message();

  CheckpointFileEntry wrong_group = entry;
  wrong_group.key_group = 41;
  EXPECT_FALSE(decode_checkpoint_part(bytes_of(file), 7, wrong_group).is_ok());

  CheckpointFileEntry wrong_name = entry;
  wrong_name.name = "kg-00041";
  EXPECT_FALSE(decode_checkpoint_part(bytes_of(file), 7, wrong_name).is_ok());
}

TEST(CheckpointFormat, AnotherFormatVersionIsRefusedNamingTheFormat) {
  CheckpointFileEntry entry;
  std::string file = encode_checkpoint_part(7, "kg-00042", 42, kBinaryState, entry);
  file[7] = static_cast<char>(kCheckpointFormat + 1);
  auto part = decode_checkpoint_part(bytes_of(file), 7, entry);
  ASSERT_FALSE(part.is_ok());
  EXPECT_EQ(part.status().code(), Errc::kCorrupt);
  EXPECT_NE(part.status().message().find("format"), std::string::npos) << part.status().message();
  EXPECT_NE(part.status().message().find(std::to_string(kCheckpointFormat + 1)), std::string::npos)
      << part.status().message();
}

TEST(CheckpointFormat, AFileWithAnotherMagicIsRefused) {
  CheckpointFileEntry entry;
  std::string file = encode_checkpoint_part(7, "kg-00042", 42, kBinaryState, entry);
  std::string bad = file;
  bad[0] = 'X';
  auto part = decode_checkpoint_part(bytes_of(bad), 7, entry);
  ASSERT_FALSE(part.is_ok());
  EXPECT_EQ(part.status().code(), Errc::kCorrupt);

  // A manifest is not a part, nor a part a manifest.
  const std::string manifest = encode_checkpoint_manifest(CheckpointManifestData{});
  EXPECT_FALSE(decode_checkpoint_part(bytes_of(manifest), 0, entry).is_ok());
  EXPECT_FALSE(decode_checkpoint_manifest(bytes_of(file)).is_ok());
}

// ---- Manifests ------------------------------------------------------------------------------

TEST(CheckpointFormat, AManifestReadsBackWithEveryField) {
  CheckpointManifestData m;
  m.id = 123456789012345ull;
  m.created_ms = 1'700'000'000'123;
  m.wal_offset = std::numeric_limits<uint64_t>::max() - 3;
  m.topology = "ecommerce";
  m.topology_version = 9;
  m.topology_layout = 0xdeadbeefcafef00dull;
  m.key_groups = 4096;
  m.watermark = std::numeric_limits<int64_t>::min();
  m.parts = {{"kg-00000", 0, 100, 0xffffffffu},
             {"kg-04095", 4095, 1ull << 40, 12345},
             {"message-ids", kNotAKeyGroup, 16, 0}};
  m.segment_definitions = {R"({"name":"vip"})", "", R"({"name":"churn"})"};

  const std::string file = encode_checkpoint_manifest(m);
  auto back = decode_checkpoint_manifest(bytes_of(file));
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(back->id, m.id);
  EXPECT_EQ(back->created_ms, m.created_ms);
  EXPECT_EQ(back->wal_offset, m.wal_offset);
  EXPECT_EQ(back->topology, m.topology);
  EXPECT_EQ(back->topology_version, m.topology_version);
  EXPECT_EQ(back->topology_layout, m.topology_layout);
  EXPECT_EQ(back->key_groups, m.key_groups);
  EXPECT_EQ(back->watermark, m.watermark);
  ASSERT_EQ(back->parts.size(), m.parts.size());
  for (size_t i = 0; i < m.parts.size(); ++i) {
    EXPECT_EQ(back->parts[i].name, m.parts[i].name) << i;
    EXPECT_EQ(back->parts[i].key_group, m.parts[i].key_group) << i;
    EXPECT_EQ(back->parts[i].bytes, m.parts[i].bytes) << i;
    EXPECT_EQ(back->parts[i].crc32c, m.parts[i].crc32c) << i;
  }
  EXPECT_EQ(back->segment_definitions, m.segment_definitions);
}

TEST(CheckpointFormat, ADamagedManifestIsRefused) {
  CheckpointManifestData m;
  m.id = 3;
  m.topology = "t";
  m.parts = {{"kg-00001", 1, 10, 20}};
  const std::string file = encode_checkpoint_manifest(m);
  for (size_t i = kCheckpointHeaderBytes; i < file.size(); ++i) {
    std::string bad = file;
    bad[i] = static_cast<char>(bad[i] ^ 0x40);
    EXPECT_FALSE(decode_checkpoint_manifest(bytes_of(bad)).is_ok()) << "byte " << i;
  }
  EXPECT_FALSE(decode_checkpoint_manifest(bytes_of(file.substr(0, file.size() - 1))).is_ok());
  EXPECT_FALSE(decode_checkpoint_manifest(bytes_of(std::string_view())).is_ok());
  std::string other_format = file;
  other_format[7] = static_cast<char>(kCheckpointFormat + 1);
  auto refused = decode_checkpoint_manifest(bytes_of(other_format));
  ASSERT_FALSE(refused.is_ok());
  EXPECT_NE(refused.status().message().find("format"), std::string::npos)
      << refused.status().message();
}

// ---- Names ----------------------------------------------------------------------------------

TEST(CheckpointFormat, ADirectoryNameParsesBackToItsId) {
  for (uint64_t id : {uint64_t{0}, uint64_t{1}, uint64_t{42}, uint64_t{1'000'000'007},
                      std::numeric_limits<uint64_t>::max()}) {
    const std::string name = checkpoint_dir_name(id);
    EXPECT_TRUE(name.starts_with("ckpt-")) << name;
    EXPECT_EQ(name.size(), 5u + 20u) << name;
    EXPECT_EQ(parse_checkpoint_dir_name(name), std::optional<uint64_t>(id)) << name;
  }
  EXPECT_EQ(checkpoint_dir_name(42), "ckpt-00000000000000000042");
  // Names sort as their ids do.
  EXPECT_LT(checkpoint_dir_name(9), checkpoint_dir_name(10));
}

TEST(CheckpointFormat, OtherNamesAreNotCheckpointDirectories) {
  for (std::string_view name : {
           "",
           "MANIFEST",
           "ckpt-",
           "ckpt-42",
           "ckpt-0000000000000000042",    // 19 digits
           "ckpt-000000000000000000042",  // 21 digits
           "ckpt-0000000000000000004x",
           "ckpt--0000000000000000042",
           "ckpt-+0000000000000000042",
           "ckpt- 0000000000000000042",
           "ckpt-99999999999999999999",  // above the largest id
           "xkpt-00000000000000000042",
           "CKPT-00000000000000000042",
           "ckpt-00000000000000000042.tmp",
           "kg-00042.part",
       }) {
    EXPECT_EQ(parse_checkpoint_dir_name(name), std::nullopt) << "'" << name << "'";
  }
}

TEST(CheckpointFormat, AKeyGroupsPartIsNamedWithFiveDigits) {
  EXPECT_EQ(key_group_part_name(42), "kg-00042");
  EXPECT_EQ(key_group_part_name(0), "kg-00000");
  EXPECT_EQ(key_group_part_name(65535), "kg-65535");
  EXPECT_EQ(key_group_part_name(123456), "kg-123456");
}

// ---- Topology layout ------------------------------------------------------------------------

struct Op {
  std::string name;
  std::string kind;
  boost::json::object config;
};

TopologySpec topology(const std::string& stage, const std::vector<Op>& ops,
                      const std::string& name = "counting") {
  TopologyBuilder b(name, testing::test_registry());
  b.accept_types({"Product Viewed"}).stage(stage);
  for (const Op& op : ops)
    b.op(op.name, op.kind, op.config);
  auto spec = b.sink("all").build();
  EXPECT_TRUE(spec.is_ok()) << spec.status().to_string();
  return std::move(spec).value();
}

const Op kCount{"count", "keyed_counter", {{"label", "events"}}};

TEST(CheckpointFormat, TheLayoutHashIsTheSameForTheSameStagesAndOperators) {
  const uint64_t a = topology_layout(topology("profiles", {kCount}));
  const uint64_t b = topology_layout(topology("profiles", {kCount}));
  EXPECT_EQ(a, b);
  // Options and the topology's name change behaviour, not layout.
  EXPECT_EQ(a,
            topology_layout(topology("profiles", {{"count", "keyed_counter", {{"label", "x"}}}})));
  EXPECT_EQ(a, topology_layout(topology("profiles", {kCount}, "renamed")));
}

TEST(CheckpointFormat, TheLayoutHashChangesWhenAnOperatorIsAddedRenamedOrReplaced) {
  const uint64_t base = topology_layout(topology("profiles", {kCount}));
  const uint64_t added =
      topology_layout(topology("profiles", {kCount, {"checks", "reject_negative", {}}}));
  const uint64_t renamed =
      topology_layout(topology("profiles", {{"tally", "keyed_counter", {{"label", "events"}}}}));
  const uint64_t other_kind =
      topology_layout(topology("profiles", {{"count", "reject_negative", {}}}));
  const uint64_t other_stage = topology_layout(topology("customers", {kCount}));
  const uint64_t reordered =
      topology_layout(topology("profiles", {{"checks", "reject_negative", {}}, kCount}));
  EXPECT_NE(base, added);
  EXPECT_NE(base, renamed);
  EXPECT_NE(base, other_kind);
  EXPECT_NE(base, other_stage);
  EXPECT_NE(added, reordered);
}

}  // namespace
}  // namespace eddy
