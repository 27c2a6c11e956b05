#include "runtime/durability/wal_storage.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace eddy {

namespace {

Status os_error(std::string_view what, const std::string& path, int err) {
  return {Errc::kIo, std::string(what) + " " + path + ": " + std::strerror(err)};
}

class PosixWalFile final : public WalFile {
 public:
  PosixWalFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixWalFile() override { ::close(fd_); }

  Status write(std::span<const uint8_t> bytes) override {
    while (!bytes.empty()) {
      const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return os_error("write", path_, errno);
      }
      bytes = bytes.subspan(static_cast<size_t>(n));
    }
    return {};
  }

  Status sync() override {
    if (::fdatasync(fd_) != 0) return os_error("fdatasync", path_, errno);
    return {};
  }

  Status truncate(uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return os_error("ftruncate", path_, errno);
    if (::lseek(fd_, static_cast<off_t>(size), SEEK_SET) < 0)
      return os_error("lseek", path_, errno);
    return {};
  }

 private:
  int fd_;
  std::string path_;
};

class PosixWalStorage final : public WalStorage {
 public:
  Result<std::unique_ptr<WalFile>> open(const std::string& path, uint64_t size) override {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return os_error("open", path, errno);
    auto file = std::make_unique<PosixWalFile>(fd, path);
    if (Status s = file->truncate(size); !s) return s;
    return std::unique_ptr<WalFile>(std::move(file));
  }

  Status sync_dir(const std::string& dir) override {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return os_error("open", dir, errno);
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0) return os_error("fsync", dir, err);
    return {};
  }

  Status rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return os_error("rename", from, errno);
    return {};
  }

  Status remove(const std::string& path) override {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return os_error("unlink", path, errno);
    return {};
  }
};

}  // namespace

std::unique_ptr<WalStorage> posix_wal_storage() {
  return std::make_unique<PosixWalStorage>();
}

}  // namespace eddy
