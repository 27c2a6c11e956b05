#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace eddy {

// The on-disk shape of the write-ahead log.
//
// The log is a sequence of segment files, `wal-<first offset, 20 digits>.log`. A segment starts
// with a 24-byte header (magic "EDDYWAL", a version, the segment's first offset and a CRC-32C of
// it) and then holds frames:
//
//   u32 payload length | u32 CRC-32C of kind and payload | u8 kind | 7 zero bytes | payload |
//   zero bytes up to a multiple of 8
//
// (little-endian). Frames and the header are multiples of 8 bytes, so that every payload starts
// 8-aligned in a buffer that is: FlatBuffers reads its scalars in place and needs that. A record's
// offset is its position in the log as a whole: the segment's first offset plus the frame's
// position after the header. Offsets only grow, so a checkpoint names a point of the log by one
// number.
//
// The next segment is made ahead of time, under the name `wal-next.log`, so that starting it
// costs the writer no file creation and no directory fsync. The writer gives it its header and
// renames it once it starts writing there; a crash before the rename is durable leaves a
// `wal-next.log` whose header says where it belongs, which the reader takes as the last segment.

enum class RecordKind : uint8_t {
  kEvents = 1,   // a batch of accepted events (schemas/log_record.fbs, EventsRecord)
  kCommand = 2,  // a run-time command to an operator, such as a segment definition
  // Where a checkpoint cut the log: its state holds every record before this one. No payload.
  kCheckpointMark = 3,
};
bool is_record_kind(uint8_t k);

inline constexpr size_t kSegmentHeaderBytes = 24;
inline constexpr std::string_view kPreparedSegmentName = "wal-next.log";
inline constexpr size_t kFrameHeaderBytes = 16;
inline constexpr size_t kFrameAlignment = 8;
// No record is larger; a length above it can only be a corrupt one.
inline constexpr uint32_t kMaxRecordBytes = 256u << 20;

std::string segment_header(uint64_t first_offset);
// The first offset a valid header names; nullopt for a missing, torn or foreign header.
std::optional<uint64_t> read_segment_header(std::span<const uint8_t> bytes);

std::string segment_file_name(uint64_t first_offset);
// The first offset of a segment from its file name; nullopt for any other file.
std::optional<uint64_t> parse_segment_file_name(std::string_view name);

inline std::span<const uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

void append_frame(std::string& out, RecordKind kind, std::span<const uint8_t> payload);

enum class FrameCheck : uint8_t {
  kOk,
  kIncomplete,   // the bytes end before the frame does
  kBadLength,    // longer than any record can be
  kBadChecksum,  // the checksum does not match, or the kind is unknown
};

struct Frame {
  FrameCheck check = FrameCheck::kIncomplete;
  RecordKind kind = RecordKind::kEvents;
  std::span<const uint8_t> payload;
  size_t size = 0;  // header, payload and padding, when check is kOk
};

// Reads the frame at the start of `bytes`.
Frame read_frame(std::span<const uint8_t> bytes);

}  // namespace eddy
