#include "runtime/durability/wal_format.h"

#include <gtest/gtest.h>

namespace eddy {
namespace {

TEST(WalFormat, AFrameReadsBackAsWritten) {
  std::string out;
  append_frame(out, RecordKind::kCommand, bytes_of("hello"));
  ASSERT_EQ(out.size(), kFrameHeaderBytes + 8);  // 5 bytes, padded to 8
  const Frame f = read_frame(bytes_of(out));
  ASSERT_EQ(f.check, FrameCheck::kOk);
  EXPECT_EQ(f.kind, RecordKind::kCommand);
  EXPECT_EQ(std::string(f.payload.begin(), f.payload.end()), "hello");
  EXPECT_EQ(f.size, out.size());
}

TEST(WalFormat, AFlippedBitFailsTheChecksum) {
  std::string out;
  append_frame(out, RecordKind::kEvents, bytes_of("payload"));
  for (size_t i = 4; i < out.size(); ++i) {
    std::string bad = out;
    bad[i] = static_cast<char>(bad[i] ^ 0x10);
    EXPECT_NE(read_frame(bytes_of(bad)).check, FrameCheck::kOk) << "byte " << i;
  }
}

TEST(WalFormat, ACutFrameIsIncompleteAndAHugeLengthIsImpossible) {
  std::string out;
  append_frame(out, RecordKind::kEvents, bytes_of("payload"));
  EXPECT_EQ(read_frame(bytes_of(out.substr(0, out.size() - 1))).check, FrameCheck::kIncomplete);
  EXPECT_EQ(read_frame(bytes_of(out.substr(0, 3))).check, FrameCheck::kIncomplete);
  std::string huge = out;
  huge[3] = static_cast<char>(0x7F);
  EXPECT_EQ(read_frame(bytes_of(huge)).check, FrameCheck::kBadLength);
}

TEST(WalFormat, SegmentNamesCarryTheirFirstOffset) {
  EXPECT_EQ(segment_file_name(42), "wal-00000000000000000042.log");
  EXPECT_EQ(parse_segment_file_name(segment_file_name(1234567890123ull)), 1234567890123ull);
  EXPECT_FALSE(parse_segment_file_name("wal-42.log"));
  EXPECT_FALSE(parse_segment_file_name("wal-0000000000000000004x.log"));
  EXPECT_FALSE(parse_segment_file_name("checkpoint.json"));
  EXPECT_EQ(read_segment_header(bytes_of(segment_header(1234))), 1234u);
  EXPECT_FALSE(read_segment_header(bytes_of(std::string(24, 'x'))));
  EXPECT_FALSE(read_segment_header(bytes_of(segment_header(1234).substr(0, 20))));
  std::string flipped = segment_header(1234);
  flipped[17] = static_cast<char>(flipped[17] ^ 1);
  EXPECT_FALSE(read_segment_header(bytes_of(flipped)));
}

}  // namespace
}  // namespace eddy
