#include "connectors/ingest/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <limits>

namespace eddy {
namespace {

// Owns a z_stream set up for inflation, so every return path ends it.
class Inflater {
 public:
  Inflater() {
    // 32 + MAX_WBITS: detect a gzip or zlib header on its own.
    ok_ = inflateInit2(&stream_, 32 + MAX_WBITS) == Z_OK;
  }
  ~Inflater() {
    if (ok_) inflateEnd(&stream_);
  }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  bool ok() const { return ok_; }
  z_stream& stream() { return stream_; }

 private:
  z_stream stream_{};
  bool ok_ = false;
};

Status corrupt(const z_stream& s, std::string_view what) {
  std::string message = "the gzip body is corrupt: " + std::string(what);
  if (s.msg != nullptr) message += std::string(" (") + s.msg + ")";
  return {Errc::kCorrupt, std::move(message)};
}

Status too_large(uint64_t limit) {
  return {Errc::kInvalidArgument,
          "the body is too large once decompressed (limit " + std::to_string(limit) + " bytes)"};
}

}  // namespace

Result<std::string> gunzip(std::string_view body, uint64_t max_output_bytes) {
  Inflater inflater;
  if (!inflater.ok()) return Status(Errc::kInternal, "zlib could not start inflating");
  z_stream& s = inflater.stream();
  // zlib counts in 32-bit lengths; large bodies are fed in slices.
  constexpr size_t kSlice = std::numeric_limits<uInt>::max();
  size_t fed = 0;
  std::string out;
  out.resize(std::min<uint64_t>(std::max<size_t>(body.size() * 4, 4096), max_output_bytes + 1));
  size_t produced = 0;
  s.next_in = nullptr;
  s.avail_in = 0;
  while (true) {
    if (s.avail_in == 0 && fed < body.size()) {
      const size_t n = std::min(kSlice, body.size() - fed);
      s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data() + fed));
      s.avail_in = static_cast<uInt>(n);
      fed += n;
    }
    if (produced == out.size()) {
      // One byte of room past the limit is how an over-long body is noticed.
      if (out.size() > max_output_bytes) return too_large(max_output_bytes);
      out.resize(std::min<uint64_t>(out.size() * 2, max_output_bytes + 1));
    }
    const size_t room = std::min(kSlice, out.size() - produced);
    s.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    s.avail_out = static_cast<uInt>(room);
    const int rc = inflate(&s, Z_NO_FLUSH);
    produced += room - s.avail_out;
    if (produced > max_output_bytes) return too_large(max_output_bytes);
    if (rc == Z_STREAM_END) {
      // Another member may follow; whatever else follows is not gzip.
      if (s.avail_in == 0 && fed == body.size()) break;
      if (inflateReset(&s) != Z_OK) return corrupt(s, "cannot read the next member");
      continue;
    }
    if (rc == Z_BUF_ERROR) {
      // No progress possible: either the input ran out mid-stream or the output is full.
      if (s.avail_in == 0 && fed == body.size()) return corrupt(s, "it ends early");
      continue;
    }
    if (rc != Z_OK) return corrupt(s, rc == Z_DATA_ERROR ? "bad deflate data" : "inflate failed");
  }
  out.resize(produced);
  return out;
}

}  // namespace eddy
