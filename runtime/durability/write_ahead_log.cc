#include "runtime/durability/write_ahead_log.h"

#include <filesystem>

#include "runtime/log.h"

namespace eddy {

namespace {

std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

std::optional<WalFsync> parse_wal_fsync(std::string_view name) {
  if (name == "always") return WalFsync::kAlways;
  if (name == "interval") return WalFsync::kInterval;
  if (name == "none") return WalFsync::kNone;
  return std::nullopt;
}

const char* wal_fsync_name(WalFsync f) {
  switch (f) {
    case WalFsync::kAlways:
      return "always";
    case WalFsync::kInterval:
      return "interval";
    case WalFsync::kNone:
      return "none";
  }
  return "?";
}

WriteAheadLog::WriteAheadLog(WalSettings settings, std::unique_ptr<WalStorage> storage,
                             std::function<void(const Status&)> on_fatal)
    : settings_(std::move(settings)),
      storage_(std::move(storage)),
      on_fatal_(std::move(on_fatal)),
      last_sync_(std::chrono::steady_clock::now()) {}

Result<std::unique_ptr<WriteAheadLog>> WriteAheadLog::open(
    WalSettings settings, const WalReadSummary& recovered, std::unique_ptr<WalStorage> storage,
    std::function<void(const Status&)> on_fatal) {
  if (!storage) storage = posix_wal_storage();
  std::error_code ec;
  std::filesystem::create_directories(settings.dir, ec);
  if (ec) return Status{Errc::kIo, "cannot create " + settings.dir + ": " + ec.message()};
  auto segments = list_wal_segments(settings.dir);
  if (!segments) return segments.status();

  std::unique_ptr<WriteAheadLog> log(
      new WriteAheadLog(std::move(settings), std::move(storage), std::move(on_fatal)));
  log->segments_ = std::move(segments).value();
  log->next_offset_ = log->written_end_ = recovered.end_offset;
  log->durable_offset_ = recovered.end_offset;
  if (recovered.tail_path.empty() || recovered.tail_valid_bytes < kSegmentHeaderBytes) {
    if (!recovered.tail_path.empty()) {
      // A segment whose header never made it: start it again.
      if (Status s = log->storage_->remove(recovered.tail_path); !s) return s;
      log->segments_.pop_back();
    }
    if (Status s = log->start_segment(recovered.end_offset); !s) return s;
  } else {
    auto file = log->storage_->open(recovered.tail_path, recovered.tail_valid_bytes);
    if (!file) return file.status();
    log->file_ = std::move(file).value();
    log->file_bytes_ = recovered.tail_valid_bytes;
    if (recovered.torn_bytes > 0) {
      if (Status s = log->file_->sync(); !s) return s;
    }
  }
  log->writer_ = std::thread([raw = log.get()] { raw->run(); });
  return log;
}

WriteAheadLog::~WriteAheadLog() {
  stop();
}

Status WriteAheadLog::start_segment(uint64_t first_offset) {
  if (file_) {
    // Whatever the policy, a closed segment is on disk before the next begins, so that only the
    // last segment can ever have a torn tail.
    if (Status s = sync_now(); !s) return s;
  }
  const std::string path =
      (std::filesystem::path(settings_.dir) / segment_file_name(first_offset)).string();
  auto file = storage_->open(path, 0);
  if (!file) return file.status();
  const std::string header = segment_header();
  if (Status s = (*file)->write(as_bytes(header)); !s) return s;
  if (Status s = (*file)->sync(); !s) return s;
  if (Status s = storage_->sync_dir(settings_.dir); !s) return s;
  file_ = std::move(file).value();
  file_bytes_ = header.size();
  segments_created_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(mu_);
  segments_.push_back({first_offset, path});
  return {};
}

Status WriteAheadLog::append(RecordKind kind, std::span<const uint8_t> payload, Done done) {
  if (payload.size() > kMaxRecordBytes)
    return {Errc::kInvalidArgument, "a log record is limited to 256 MiB"};
  std::unique_lock lock(mu_);
  if (stopping_) return {Errc::kStopped, "the log is closed"};
  if (failed_) return last_error_;
  if (std::chrono::steady_clock::now() < refuse_until_) return last_error_;
  if (buffer_.bytes.size() >= settings_.max_pending_bytes)
    return {Errc::kBusy, "the log is behind; retry shortly"};
  const size_t before = buffer_.bytes.size();
  append_frame(buffer_.bytes, kind, payload);
  buffer_.records.push_back({std::move(done), next_offset_});
  next_offset_ += buffer_.bytes.size() - before;
  const bool was_empty = buffer_.records.size() == 1;
  lock.unlock();
  if (was_empty) wake_.notify_one();
  return {};
}

void WriteAheadLog::set_group_end(std::function<void()> fn) {
  std::lock_guard lock(mu_);
  group_end_ = std::move(fn);
}

void WriteAheadLog::run() {
  const auto interval = std::chrono::milliseconds(settings_.fsync_interval_ms);
  while (true) {
    Group group;
    std::function<void()> group_end;
    {
      std::unique_lock lock(mu_);
      if (settings_.fsync == WalFsync::kInterval && unsynced_) {
        wake_.wait_until(lock, last_sync_ + interval,
                         [&] { return stopping_ || !buffer_.records.empty(); });
      } else {
        wake_.wait(lock, [&] { return stopping_ || !buffer_.records.empty(); });
      }
      if (buffer_.records.empty() && stopping_) break;
      group = std::move(buffer_);
      buffer_ = Group{};
      group_end = group_end_;
    }
    size_t written = 0;
    const Status wrote = group.records.empty() ? Status{} : write_group(group, written);
    if (sync_failed_) {
      // Closing a full segment synced it, and that failed.
      on_sync_failure(group, wrote);
      break;
    }
    const bool sync_due = settings_.fsync == WalFsync::kAlways ||
                          (settings_.fsync == WalFsync::kInterval &&
                           std::chrono::steady_clock::now() - last_sync_ >= interval);
    if (sync_due && unsynced_) {
      if (Status s = sync_now(); !s) {
        on_sync_failure(group, s);
        break;
      }
    }
    durable_offset_.store(written_end_, std::memory_order_release);
    // What a failed write left out fails; what made it before the failure is as durable as the
    // policy makes anything, and is acknowledged.
    Group failed;
    if (!wrote) {
      failed.records.assign(std::make_move_iterator(group.records.begin() + written),
                            std::make_move_iterator(group.records.end()));
      group.records.resize(written);
    }
    for (Pending& p : group.records)
      p.done(Status{}, p.offset);
    if (group_end && !group.records.empty()) group_end();
    if (!wrote) on_write_failure(failed, wrote);
  }
  if (!failed_ && unsynced_) {
    Group none;
    if (Status s = sync_now(); !s) on_sync_failure(none, s);
  }
}

Status WriteAheadLog::write_group(const Group& group, size_t& written) {
  // Written in runs that fit the current segment, each starting a new segment when the current
  // one would overflow; a record larger than a segment gets one to itself.
  const uint64_t base = group.records.front().offset;
  size_t i = 0;
  while (i < group.records.size()) {
    const uint64_t run_start = group.records[i].offset - base;
    size_t j = i + 1;
    auto end_of = [&](size_t k) {
      return k < group.records.size() ? group.records[k].offset - base : group.bytes.size();
    };
    if (file_bytes_ > kSegmentHeaderBytes &&
        file_bytes_ + (end_of(i + 1) - run_start) > settings_.segment_bytes) {
      if (Status s = start_segment(written_end_); !s) return s;
    }
    while (j < group.records.size() &&
           file_bytes_ + (end_of(j + 1) - run_start) <= settings_.segment_bytes)
      ++j;
    const uint64_t run_end = end_of(j);
    const std::string_view run(group.bytes.data() + run_start, run_end - run_start);
    if (Status s = file_->write(as_bytes(run)); !s) return s;
    file_bytes_ += run.size();
    written_end_ += run.size();
    unsynced_ = true;
    records_.fetch_add(j - i, std::memory_order_relaxed);
    bytes_.fetch_add(run.size(), std::memory_order_relaxed);
    i = written = j;
  }
  groups_.fetch_add(1, std::memory_order_relaxed);
  return {};
}

Status WriteAheadLog::sync_now() {
  if (Status s = file_->sync(); !s) {
    sync_failed_ = true;
    return s;
  }
  syncs_.fetch_add(1, std::memory_order_relaxed);
  last_sync_ = std::chrono::steady_clock::now();
  unsynced_ = false;
  return {};
}

void WriteAheadLog::fail_group(Group& group, const Status& why) {
  for (Pending& p : group.records)
    p.done(why, p.offset);
  group.records.clear();
}

void WriteAheadLog::on_write_failure(Group& group, const Status& why) {
  write_failures_.fetch_add(1, std::memory_order_relaxed);
  // Part of the group may be in the file: cut it back so that the next group follows the last
  // good record. If even that fails, the file's tail is unknown and only recovery can tell.
  const Status cut = file_ ? file_->truncate(file_bytes_) : Status{};
  Group later;
  {
    std::lock_guard lock(mu_);
    // Everything buffered meanwhile was given offsets after the failed group; it fails too, and
    // the offsets are handed out again from the last good record.
    later = std::move(buffer_);
    buffer_ = Group{};
    next_offset_ = written_end_;
    last_error_ = Status{Errc::kIo, "the log cannot be written: " + why.message()};
    refuse_until_ = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(settings_.retry_after_failure_ms);
    if (!cut) failed_ = true;
  }
  log_line(LogLevel::kError, "log write failed; ingest is refused until a write succeeds",
           {{"error", why.message()}, {"retry_after_ms", settings_.retry_after_failure_ms}});
  const Status answer{Errc::kIo, "the log cannot be written: " + why.message()};
  fail_group(group, answer);
  fail_group(later, answer);
  if (!cut) {
    log_line(LogLevel::kError, "log could not be cut back after a failed write",
             {{"error", cut.message()}});
    if (on_fatal_) on_fatal_(cut);
  }
}

void WriteAheadLog::on_sync_failure(Group& group, const Status& why) {
  Group later;
  {
    std::lock_guard lock(mu_);
    failed_ = true;
    last_error_ = Status{
        Errc::kIo, "the log failed to sync (" + why.message() + "); eddy must restart and recover"};
    later = std::move(buffer_);
    buffer_ = Group{};
  }
  log_line(LogLevel::kError, "log fsync failed; the log takes nothing more",
           {{"error", why.message()}});
  fail_group(group, last_error_);
  fail_group(later, last_error_);
  if (on_fatal_) on_fatal_(why);
}

void WriteAheadLog::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !writer_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (writer_.joinable()) writer_.join();
}

Status WriteAheadLog::release_before(uint64_t offset) {
  std::vector<std::string> doomed;
  {
    std::lock_guard lock(mu_);
    // A segment may go once the next one starts at or before `offset`; the last never does.
    while (segments_.size() > 1 && segments_[1].first_offset <= offset) {
      doomed.push_back(segments_.front().path);
      segments_.erase(segments_.begin());
    }
  }
  for (const std::string& path : doomed) {
    if (Status s = storage_->remove(path); !s) return s;
  }
  if (!doomed.empty()) return storage_->sync_dir(settings_.dir);
  return {};
}

WalMetrics WriteAheadLog::metrics() const {
  WalMetrics m;
  m.records = records_.load(std::memory_order_relaxed);
  m.bytes = bytes_.load(std::memory_order_relaxed);
  m.groups = groups_.load(std::memory_order_relaxed);
  m.syncs = syncs_.load(std::memory_order_relaxed);
  m.write_failures = write_failures_.load(std::memory_order_relaxed);
  m.segments_created = segments_created_.load(std::memory_order_relaxed);
  m.durable_offset = durable_offset_.load(std::memory_order_acquire);
  std::lock_guard lock(mu_);
  m.end_offset = next_offset_;
  m.failed = failed_;
  return m;
}

}  // namespace eddy
