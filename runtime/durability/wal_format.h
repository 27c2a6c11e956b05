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
// with a 16-byte header (magic "EDDYWAL", a version) and then holds frames:
//
//   u32 payload length | u32 CRC-32C of kind and payload | u8 kind | payload
//
// (little-endian). A record's offset is its position in the log as a whole: the segment's first
// offset plus the frame's position after the header. Offsets only grow, so a checkpoint names a
// point of the log by one number.

enum class RecordKind : uint8_t {
  kEvents = 1,   // a batch of accepted events (schemas/log_record.fbs, EventsRecord)
  kCommand = 2,  // a run-time command to an operator, such as a segment definition
};
bool is_record_kind(uint8_t k);

inline constexpr size_t kSegmentHeaderBytes = 16;
inline constexpr size_t kFrameHeaderBytes = 9;
// No record is larger; a length above it can only be a corrupt one.
inline constexpr uint32_t kMaxRecordBytes = 256u << 20;

std::string segment_header();
bool is_segment_header(std::span<const uint8_t> bytes);

std::string segment_file_name(uint64_t first_offset);
// The first offset of a segment from its file name; nullopt for any other file.
std::optional<uint64_t> parse_segment_file_name(std::string_view name);

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
  size_t size = 0;  // header and payload, when check is kOk
};

// Reads the frame at the start of `bytes`.
Frame read_frame(std::span<const uint8_t> bytes);

}  // namespace eddy
