#include "runtime/durability/write_ahead_log.h"

#include <filesystem>

#include "runtime/log.h"
#include "runtime/this_thread.h"

namespace eddy {

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

  std::unique_ptr<WriteAheadLog> log(
      new WriteAheadLog(std::move(settings), std::move(storage), std::move(on_fatal)));
  if (Status s = log->continue_log(recovered); !s) return s;
  log->writer_ = std::thread([raw = log.get()] {
    name_this_thread("eddy-wal");
    raw->run();
  });
  log->preparer_ = std::thread([raw = log.get()] {
    name_this_thread("eddy-wal-prepare");
    raw->prepare_segments();
  });
  return log;
}

Status WriteAheadLog::continue_log(const WalReadSummary& recovered) {
  next_offset_ = written_end_ = recovered.end_offset;
  durable_offset_ = recovered.end_offset;
  std::string tail = recovered.tail_path;
  if (!tail.empty() && recovered.tail_valid_bytes >= kSegmentHeaderBytes &&
      recovered.tail_prepared) {
    // The crash came before the rename was durable: give it its name now.
    const std::string named = path_of(segment_file_name(recovered.tail_first_offset));
    if (Status s = storage_->rename(tail, named); !s) return s;
    if (Status s = storage_->sync_dir(settings_.dir); !s) return s;
    tail = named;
  }
  // A wal-next.log that holds no segment yet (made ahead, or its header torn) is made again.
  if (Status s = storage_->remove(path_of(std::string(kPreparedSegmentName))); !s) return s;
  auto segments = list_wal_segments(settings_.dir);
  if (!segments) return segments.status();
  segments_ = std::move(segments).value();

  if (tail.empty() || recovered.tail_valid_bytes < kSegmentHeaderBytes) {
    if (!tail.empty() && !recovered.tail_prepared) {
      // A segment whose header never made it: start it again.
      if (Status s = storage_->remove(tail); !s) return s;
      std::erase_if(segments_, [&](const WalSegmentFile& f) { return f.path == tail; });
    }
    return start_segment(recovered.end_offset);
  }
  auto file = storage_->open(tail, recovered.tail_valid_bytes);
  if (!file) return file.status();
  file_ = std::move(file).value();
  file_bytes_ = recovered.tail_valid_bytes;
  if (recovered.torn_bytes > 0) return file_->sync();
  return {};
}

WriteAheadLog::~WriteAheadLog() {
  stop();
}

std::string WriteAheadLog::path_of(const std::string& name) const {
  return (std::filesystem::path(settings_.dir) / name).string();
}

void WriteAheadLog::prepare_segments() {
  std::unique_lock lock(prep_mu_);
  while (true) {
    prep_wake_.wait(lock, [&] { return prep_stopping_ || (!prepared_ && !prep_failed_); });
    if (prep_stopping_) return;
    prep_busy_ = true;
    lock.unlock();
    // Made and its directory entry synced here, off the writer's path; the writer then only
    // writes a header and renames it.
    auto file = storage_->open(path_of(std::string(kPreparedSegmentName)), 0);
    Status synced = file ? storage_->sync_dir(settings_.dir) : file.status();
    lock.lock();
    prep_busy_ = false;
    if (synced) {
      prepared_ = std::move(file).value();
    } else {
      // The writer makes the next segment itself, and reports what fails there.
      prep_failed_ = true;
    }
    prep_wake_.notify_all();
  }
}

Result<std::unique_ptr<WalFile>> WriteAheadLog::claim_segment(uint64_t first_offset) {
  // Under prep_mu_ from start to end: the preparer must not make a new wal-next.log until this
  // one has its new name.
  std::unique_lock lock(prep_mu_);
  prep_wake_.wait(lock, [&] { return !prep_busy_; });
  std::unique_ptr<WalFile> file = std::move(prepared_);
  prep_failed_ = false;
  const std::string prepared_path = path_of(std::string(kPreparedSegmentName));
  if (!file) {
    auto made = storage_->open(prepared_path, 0);
    if (!made) return made.status();
    if (Status s = storage_->sync_dir(settings_.dir); !s) return s;
    file = std::move(made).value();
  }
  // The header is written now and made durable with the segment's first group.
  const std::string header = segment_header(first_offset);
  if (Status s = file->write(bytes_of(header)); !s) return s;
  if (Status s = storage_->rename(prepared_path, path_of(segment_file_name(first_offset))); !s)
    return s;
  lock.unlock();
  prep_wake_.notify_all();
  return file;
}

Status WriteAheadLog::start_segment(uint64_t first_offset) {
  if (file_ && unsynced_ && settings_.fsync != WalFsync::kNone) {
    // A closed segment is on disk before the next begins, so that only the last segment can
    // have a torn tail. Under `always` and `interval` little is left to sync by now; under `none`
    // nothing is synced (docs/durability.md says what that risks).
    if (Status s = sync_now(); !s) return s;
  }
  auto next = claim_segment(first_offset);
  if (!next) return next.status();
  file_ = std::move(next).value();
  file_bytes_ = kSegmentHeaderBytes;
  unsynced_ = true;
  segments_created_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(mu_);
  segments_.push_back({first_offset, path_of(segment_file_name(first_offset)), false});
  return {};
}

Status WriteAheadLog::append(RecordKind kind, std::span<const uint8_t> payload, Done done,
                             bool new_segment) {
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
  buffer_.records.push_back({std::move(done), next_offset_, new_segment});
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
        (group.records[i].new_segment ||
         file_bytes_ + (end_of(i + 1) - run_start) > settings_.segment_bytes)) {
      if (Status s = start_segment(written_end_); !s) return s;
    }
    while (j < group.records.size() && !group.records[j].new_segment &&
           file_bytes_ + (end_of(j + 1) - run_start) <= settings_.segment_bytes)
      ++j;
    const uint64_t run_end = end_of(j);
    const std::string_view run(group.bytes.data() + run_start, run_end - run_start);
    if (Status s = file_->write(bytes_of(run)); !s) return s;
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
    if (stopping_ && !writer_.joinable() && !preparer_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (writer_.joinable()) writer_.join();
  {
    std::lock_guard lock(prep_mu_);
    prep_stopping_ = true;
  }
  prep_wake_.notify_all();
  if (preparer_.joinable()) preparer_.join();
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
