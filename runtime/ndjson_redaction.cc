#include "runtime/ndjson_redaction.h"

#include <fcntl.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

namespace eddy {

namespace {

bool holds_id(const boost::json::value& v, const std::unordered_set<std::string>& ids) {
  switch (v.kind()) {
    case boost::json::kind::string:
      return ids.contains(std::string(v.get_string()));
    case boost::json::kind::array:
      for (const auto& item : v.get_array()) {
        if (holds_id(item, ids)) return true;
      }
      return false;
    case boost::json::kind::object:
      for (const auto& [name, item] : v.get_object()) {
        if (holds_id(item, ids)) return true;
      }
      return false;
    default:
      return false;
  }
}

Status io_error(const std::string& path, const char* what) {
  return {Errc::kIo, path + ": " + what + ": " + std::strerror(errno)};
}

Status sync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return io_error(path, "open for fsync");
  const int synced = ::fsync(fd);
  ::close(fd);
  if (synced != 0) return io_error(path, "fsync");
  return {};
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

}  // namespace

bool mentions_any(std::string_view line, const std::unordered_set<std::string>& ids) {
  bool substring = false;
  for (const std::string& id : ids) {
    if (!id.empty() && line.find(id) != std::string_view::npos) {
      substring = true;
      break;
    }
  }
  if (!substring) return false;
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(line, ec);
  return ec || holds_id(v, ids);
}

Result<uint64_t> remove_lines_mentioning(const std::string& path,
                                         const std::unordered_set<std::string>& ids) {
  File in(std::fopen(path.c_str(), "re"));
  if (!in) {
    if (errno == ENOENT) return uint64_t{0};
    return io_error(path, "open");
  }
  const std::string temp = path + ".erasing";
  File out(std::fopen(temp.c_str(), "we"));
  if (!out) return io_error(temp, "create");
  uint64_t removed = 0;
  char* buffer = nullptr;
  size_t capacity = 0;
  ssize_t n;
  bool ok = true;
  while ((n = ::getline(&buffer, &capacity, in.get())) > 0) {
    std::string_view line(buffer, static_cast<size_t>(n));
    const std::string_view text = line.back() == '\n' ? line.substr(0, line.size() - 1) : line;
    if (mentions_any(text, ids)) {
      ++removed;
      continue;
    }
    if (std::fwrite(line.data(), 1, line.size(), out.get()) != line.size()) {
      ok = false;
      break;
    }
  }
  std::free(buffer);
  if (ok && std::ferror(in.get())) return io_error(path, "read");
  if (!ok || std::fflush(out.get()) != 0 || ::fsync(::fileno(out.get())) != 0) {
    const Status failed = io_error(temp, "write");
    std::remove(temp.c_str());
    return failed;
  }
  out.reset();
  if (removed == 0) {
    std::remove(temp.c_str());
    return uint64_t{0};
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const Status failed = io_error(path, "rename");
    std::remove(temp.c_str());
    return failed;
  }
  const std::string dir = std::filesystem::path(path).parent_path().string();
  if (Status s = sync_path(dir.empty() ? "." : dir, O_RDONLY | O_DIRECTORY); !s) return s;
  return removed;
}

Result<uint64_t> remove_lines_mentioning(std::FILE*& file, const std::string& path,
                                         const std::unordered_set<std::string>& ids) {
  if (file != nullptr) std::fflush(file);
  auto removed = remove_lines_mentioning(path, ids);
  if (removed && *removed == 0) return removed;
  // The path names the rewritten file now (or, after a failure, still the old one).
  if (file != nullptr) std::fclose(file);
  file = std::fopen(path.c_str(), "ae");
  if (file == nullptr) return io_error(path, "reopen");
  return removed;
}

}  // namespace eddy
