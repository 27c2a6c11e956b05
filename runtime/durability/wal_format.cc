#include "runtime/durability/wal_format.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "runtime/durability/crc32c.h"

namespace eddy {

namespace {

constexpr char kMagic[8] = {'E', 'D', 'D', 'Y', 'W', 'A', 'L', '\0'};
constexpr uint32_t kVersion = 2;
constexpr std::string_view kPrefix = "wal-";
constexpr std::string_view kSuffix = ".log";
constexpr size_t kOffsetDigits = 20;

void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

uint32_t get_u32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

size_t padding_of(size_t payload_bytes) {
  return (kFrameAlignment - payload_bytes % kFrameAlignment) % kFrameAlignment;
}

uint32_t frame_crc(uint8_t kind, std::span<const uint8_t> payload) {
  return crc32c(payload, crc32c(std::span<const uint8_t>(&kind, 1)));
}

}  // namespace

bool is_record_kind(uint8_t k) {
  return k == static_cast<uint8_t>(RecordKind::kEvents) ||
         k == static_cast<uint8_t>(RecordKind::kCommand) ||
         k == static_cast<uint8_t>(RecordKind::kCheckpointMark);
}

std::string segment_header(uint64_t first_offset) {
  std::string offset;
  put_u64(offset, first_offset);
  std::string h(kMagic, sizeof(kMagic));
  put_u32(h, kVersion);
  put_u32(h, crc32c(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(offset.data()), 8)));
  h += offset;
  return h;
}

std::optional<uint64_t> read_segment_header(std::span<const uint8_t> bytes) {
  if (bytes.size() < kSegmentHeaderBytes ||
      std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0 ||
      get_u32(bytes.data() + 8) != kVersion)
    return std::nullopt;
  const std::span<const uint8_t> offset = bytes.subspan(16, 8);
  if (crc32c(offset) != get_u32(bytes.data() + 12)) return std::nullopt;
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = (v << 8) | offset[static_cast<size_t>(i)];
  return v;
}

std::string segment_file_name(uint64_t first_offset) {
  char digits[kOffsetDigits + 1];
  std::snprintf(digits, sizeof(digits), "%020llu", static_cast<unsigned long long>(first_offset));
  return std::string(kPrefix) + digits + std::string(kSuffix);
}

std::optional<uint64_t> parse_segment_file_name(std::string_view name) {
  if (name.size() != kPrefix.size() + kOffsetDigits + kSuffix.size() ||
      !name.starts_with(kPrefix) || !name.ends_with(kSuffix))
    return std::nullopt;
  const std::string_view digits = name.substr(kPrefix.size(), kOffsetDigits);
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return v;
}

void append_frame(std::string& out, RecordKind kind, std::span<const uint8_t> payload) {
  const auto k = static_cast<uint8_t>(kind);
  put_u32(out, static_cast<uint32_t>(payload.size()));
  put_u32(out, frame_crc(k, payload));
  out.push_back(static_cast<char>(k));
  out.append(kFrameHeaderBytes - 9, '\0');
  out.append(reinterpret_cast<const char*>(payload.data()), payload.size());
  out.append(padding_of(payload.size()), '\0');
}

Frame read_frame(std::span<const uint8_t> bytes) {
  Frame f;
  if (bytes.size() < kFrameHeaderBytes) return f;
  const uint32_t length = get_u32(bytes.data());
  if (length > kMaxRecordBytes) {
    f.check = FrameCheck::kBadLength;
    return f;
  }
  if (bytes.size() - kFrameHeaderBytes < length + padding_of(length)) return f;
  const uint8_t kind = bytes[8];
  const std::span<const uint8_t> payload = bytes.subspan(kFrameHeaderBytes, length);
  // The padding is not covered by the checksum, so it must be zero to count as intact.
  const auto zero = [](std::span<const uint8_t> b) {
    return std::all_of(b.begin(), b.end(), [](uint8_t x) { return x == 0; });
  };
  const bool padding_intact = zero(bytes.subspan(9, kFrameHeaderBytes - 9)) &&
                              zero(bytes.subspan(kFrameHeaderBytes + length, padding_of(length)));
  if (!is_record_kind(kind) || !padding_intact ||
      frame_crc(kind, payload) != get_u32(bytes.data() + 4)) {
    f.check = FrameCheck::kBadChecksum;
    return f;
  }
  f.check = FrameCheck::kOk;
  f.kind = static_cast<RecordKind>(kind);
  f.payload = payload;
  f.size = kFrameHeaderBytes + length + padding_of(length);
  return f;
}

}  // namespace eddy
