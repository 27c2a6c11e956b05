#include "runtime/durability/wal_reader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <utility>

#include "runtime/log.h"

namespace eddy {

namespace fs = std::filesystem;

namespace {

// A segment mapped read-only: replay reads the page cache in place. Reading it into a buffer
// instead cost a zeroed allocation (page faults) and a copy per byte, a third of a replay's time.
class MappedSegment {
 public:
  static Result<MappedSegment> open(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Status{Errc::kIo, "cannot open " + path + ": " + std::strerror(errno)};
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      const int err = errno;
      ::close(fd);
      return Status{Errc::kIo, "cannot stat " + path + ": " + std::strerror(err)};
    }
    MappedSegment out;
    out.size_ = static_cast<size_t>(st.st_size);
    if (out.size_ > 0) {
      void* at = ::mmap(nullptr, out.size_, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
      if (at == MAP_FAILED) {
        const int err = errno;
        ::close(fd);
        return Status{Errc::kIo, "cannot map " + path + ": " + std::strerror(err)};
      }
      out.data_ = static_cast<const uint8_t*>(at);
      ::madvise(at, out.size_, MADV_SEQUENTIAL);
    }
    ::close(fd);
    return out;
  }
  MappedSegment(MappedSegment&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  MappedSegment& operator=(MappedSegment&&) = delete;
  ~MappedSegment() {
    if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
  }
  std::span<const uint8_t> bytes() const { return {data_, size_}; }

 private:
  MappedSegment() = default;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// The position of the next frame at or after `from` that passes its checks, or bytes.size().
size_t find_next_frame(std::span<const uint8_t> bytes, size_t from) {
  // Frames start at multiples of 8 from the header.
  from += (kFrameAlignment - (from - kSegmentHeaderBytes) % kFrameAlignment) % kFrameAlignment;
  for (size_t p = from; p + kFrameHeaderBytes <= bytes.size(); p += kFrameAlignment) {
    if (read_frame(bytes.subspan(p)).check == FrameCheck::kOk) return p;
  }
  return bytes.size();
}

const char* describe(FrameCheck c) {
  switch (c) {
    case FrameCheck::kIncomplete:
      return "the record runs past the end of the file";
    case FrameCheck::kBadLength:
      return "the record's length is impossible";
    case FrameCheck::kBadChecksum:
      return "the record fails its checksum";
    case FrameCheck::kOk:
      break;
  }
  return "the record is valid";
}

// Reads one segment from byte `pos` of the file.
Status read_segment(const WalSegmentFile& seg, bool last, size_t pos, const WalReadOptions& options,
                    const std::function<Status(const WalRecord&)>& visit, WalReadSummary& sum) {
  auto loaded = MappedSegment::open(seg.path);
  if (!loaded) return loaded.status();
  const std::span<const uint8_t> bytes = loaded->bytes();
  if (last) {
    sum.tail_path = seg.path;
    sum.tail_first_offset = seg.first_offset;
    sum.tail_prepared = seg.prepared;
  }
  const std::optional<uint64_t> header = read_segment_header(bytes);
  if (!header) {
    if (last) {
      // Renamed, but the crash came before its header reached the disk: nothing in it was ever
      // acknowledged.
      sum.tail_valid_bytes = 0;
      sum.torn_bytes = bytes.size();
      sum.end_offset = seg.first_offset;
      if (!bytes.empty()) {
        log_line(LogLevel::kWarn, "torn segment header at the end of the log; it will be cut off",
                 {{"file", seg.path}, {"bytes", bytes.size()}});
      }
      return {};
    }
    if (bytes.size() >= 12 &&
        std::string_view(reinterpret_cast<const char*>(bytes.data()), 7) == "EDDYWAL") {
      return {Errc::kCorrupt, seg.path + " was written in log format " +
                                  std::to_string(bytes[8] | bytes[9] << 8) +
                                  ", which this eddy does not read (it reads format 2), or its "
                                  "header is damaged"};
    }
    return {Errc::kCorrupt, seg.path + " is not an eddy log segment (bad header)"};
  }
  if (*header != seg.first_offset) {
    return {Errc::kCorrupt, seg.path + "'s header says it starts at offset " +
                                std::to_string(*header) + ", its name says " +
                                std::to_string(seg.first_offset)};
  }
  pos = std::max(pos, kSegmentHeaderBytes);
  if (pos > bytes.size()) {
    return {Errc::kCorrupt, "the log ends before offset " +
                                std::to_string(seg.first_offset + (pos - kSegmentHeaderBytes)) +
                                " in " + seg.path + ", which a checkpoint needs"};
  }
  while (pos < bytes.size()) {
    const Frame f = read_frame(bytes.subspan(pos));
    const uint64_t offset = seg.first_offset + (pos - kSegmentHeaderBytes);
    if (f.check == FrameCheck::kOk) {
      if (Status s = visit(WalRecord{offset, f.kind, f.payload}); !s) return s;
      ++sum.records;
      pos += f.size;
      continue;
    }
    const size_t next = find_next_frame(bytes, pos + 1);
    if (last && next == bytes.size()) {
      // Nothing valid follows: the write of this record was cut short by the crash.
      sum.torn_bytes = bytes.size() - pos;
      log_line(LogLevel::kWarn, "torn record at the end of the log; it will be cut off",
               {{"file", seg.path},
                {"offset", offset},
                {"bytes", sum.torn_bytes},
                {"reason", describe(f.check)}});
      break;
    }
    if (!options.skip_corrupt) {
      return {Errc::kCorrupt, "corrupt log record in " + seg.path + " at offset " +
                                  std::to_string(offset) + " (byte " + std::to_string(pos) +
                                  "): " + describe(f.check) +
                                  "; set wal.skip_corrupt to skip it and go on"};
    }
    ++sum.skipped_records;
    sum.skipped_bytes += next - pos;
    log_line(LogLevel::kError, "skipped a corrupt log record",
             {{"file", seg.path},
              {"offset", offset},
              {"bytes", next - pos},
              {"reason", describe(f.check)}});
    pos = next;
  }
  if (last) {
    sum.tail_path = seg.path;
    sum.tail_valid_bytes = pos;
    sum.end_offset = seg.first_offset + (pos - kSegmentHeaderBytes);
  }
  return {};
}

}  // namespace

Result<std::vector<WalSegmentFile>> list_wal_segments(const std::string& dir) {
  std::vector<WalSegmentFile> out;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return out;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (auto first = parse_segment_file_name(name)) {
      out.push_back({*first, entry.path().string(), false});
    } else if (name == kPreparedSegmentName) {
      std::ifstream in(entry.path(), std::ios::binary);
      uint8_t header[kSegmentHeaderBytes] = {};
      in.read(reinterpret_cast<char*>(header), sizeof(header));
      const auto got = static_cast<size_t>(in.gcount());
      if (auto first = read_segment_header(std::span<const uint8_t>(header, got)))
        out.push_back({*first, entry.path().string(), true});
    }
  }
  if (ec) return Status{Errc::kIo, "cannot list " + dir + ": " + ec.message()};
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.first_offset < b.first_offset; });
  return out;
}

Result<WalReadSummary> read_wal(const std::string& dir, uint64_t from,
                                const WalReadOptions& options,
                                const std::function<Status(const WalRecord&)>& visit) {
  auto segments = list_wal_segments(dir);
  if (!segments) return segments.status();
  WalReadSummary sum;
  sum.end_offset = from;
  for (size_t i = 0; i < segments->size(); ++i) {
    const WalSegmentFile& seg = (*segments)[i];
    const bool last = i + 1 == segments->size();
    // Segments wholly before `from` are skipped unread; the one holding it is read from there.
    if (!last && (*segments)[i + 1].first_offset <= from) continue;
    const size_t start = from > seg.first_offset
                             ? kSegmentHeaderBytes + static_cast<size_t>(from - seg.first_offset)
                             : kSegmentHeaderBytes;
    if (Status s = read_segment(seg, last, start, options, visit, sum); !s) return s;
  }
  return sum;
}

}  // namespace eddy
