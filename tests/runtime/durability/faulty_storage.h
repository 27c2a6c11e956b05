#pragma once

#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>

#include "runtime/durability/wal_storage.h"

namespace eddy::testing {

// Real files, with the next write or fsync made to fail on demand, the way a full or broken disk
// fails them. A failing write first writes half of its bytes, as a short write would.
class FaultyStorage final : public WalStorage {
 public:
  struct Faults {
    std::atomic<int> failing_writes{0};
    std::atomic<int> failing_syncs{0};
  };

  explicit FaultyStorage(std::shared_ptr<Faults> faults)
      : real_(posix_wal_storage()), faults_(std::move(faults)) {}

  Result<std::unique_ptr<WalFile>> open(const std::string& path, uint64_t size) override {
    auto file = real_->open(path, size);
    if (!file) return file.status();
    return std::unique_ptr<WalFile>(new File(std::move(file).value(), faults_));
  }
  Status sync_dir(const std::string& dir) override { return real_->sync_dir(dir); }
  Status remove(const std::string& path) override { return real_->remove(path); }
  Status rename(const std::string& from, const std::string& to) override {
    return real_->rename(from, to);
  }

 private:
  class File final : public WalFile {
   public:
    File(std::unique_ptr<WalFile> real, std::shared_ptr<Faults> faults)
        : real_(std::move(real)), faults_(std::move(faults)) {}
    Status write(std::span<const uint8_t> bytes) override {
      if (faults_->failing_writes.load() > 0) {
        faults_->failing_writes.fetch_sub(1);
        (void)real_->write(bytes.first(bytes.size() / 2));
        return {Errc::kIo, std::string("write: ") + std::strerror(ENOSPC)};
      }
      return real_->write(bytes);
    }
    Status sync() override {
      if (faults_->failing_syncs.load() > 0) {
        faults_->failing_syncs.fetch_sub(1);
        return {Errc::kIo, std::string("fdatasync: ") + std::strerror(EIO)};
      }
      return real_->sync();
    }
    Status truncate(uint64_t size) override { return real_->truncate(size); }

   private:
    std::unique_ptr<WalFile> real_;
    std::shared_ptr<Faults> faults_;
  };

  std::unique_ptr<WalStorage> real_;
  std::shared_ptr<Faults> faults_;
};

}  // namespace eddy::testing
