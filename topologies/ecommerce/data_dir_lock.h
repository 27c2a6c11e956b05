#pragma once

#include <string>

#include "runtime/status.h"

namespace eddy {

// Holds <data_dir>/LOCK for the life of the process, so that a second eddy on the same data
// directory refuses to start instead of writing the same log: flock(2), released by the kernel
// however the holder ends (kill -9 included), so a stale file never blocks a restart.
class DataDirLock {
 public:
  // Fails with a message naming the holder's process id when another process holds the lock.
  static Result<DataDirLock> acquire(const std::string& data_dir);
  DataDirLock(DataDirLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  DataDirLock& operator=(DataDirLock&&) = delete;
  DataDirLock(const DataDirLock&) = delete;
  ~DataDirLock();

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace eddy
