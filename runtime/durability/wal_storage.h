#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "runtime/status.h"

namespace eddy {

// An open log segment. Separate from the log's logic so that tests can make a write or an fsync
// fail the way a full or broken disk does.
class WalFile {
 public:
  virtual ~WalFile() = default;
  // Writes all of `bytes` at the end, or fails; after a failure part of them may be in the file.
  virtual Status write(std::span<const uint8_t> bytes) = 0;
  // fdatasync.
  virtual Status sync() = 0;
  virtual Status truncate(uint64_t size) = 0;
};

class WalStorage {
 public:
  virtual ~WalStorage() = default;
  // Opens `path` for appending, creating it when missing; writes go after `size` bytes, which the
  // file is cut to.
  virtual Result<std::unique_ptr<WalFile>> open(const std::string& path, uint64_t size) = 0;
  // fsync of a directory, so that a file created or removed in it stays so after a power loss.
  virtual Status sync_dir(const std::string& dir) = 0;
  virtual Status remove(const std::string& path) = 0;
  // rename(2): atomic; durable once the directory is synced.
  virtual Status rename(const std::string& from, const std::string& to) = 0;
};

// The real thing: POSIX files.
std::unique_ptr<WalStorage> posix_wal_storage();

}  // namespace eddy
