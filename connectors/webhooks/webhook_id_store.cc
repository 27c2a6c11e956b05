#include "connectors/webhooks/webhook_id_store.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>
#include <vector>

#include "runtime/log.h"

namespace eddy {

namespace {

constexpr std::string_view kMagic = "EDWHIDS1";
constexpr size_t kFrameBytes = 8;  // u32 length + u32 CRC32
constexpr size_t kTimeBytes = 8;
// A length beyond this is not one of our records: the file is damaged from there on.
constexpr uint32_t kMaxPayloadBytes = kTimeBytes + 64 * 1024;
// The file is rewritten while running once it holds this many records more than twice the live
// ones, so that a small store is not rewritten every few commits.
constexpr uint64_t kCompactionSlackRecords = 4096;

void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void put_i64(std::string& out, int64_t v) {
  const auto u = static_cast<uint64_t>(v);
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<char>((u >> (8 * i)) & 0xff));
}

uint64_t get_le(std::string_view bytes, size_t at, int width) {
  uint64_t v = 0;
  for (int i = 0; i < width; ++i)
    v |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[at + i])) << (8 * i);
  return v;
}

uint32_t crc_of(std::string_view bytes) {
  return static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
}

void append_record(std::string& out, std::string_view id, int64_t time_ms) {
  std::string payload;
  payload.reserve(kTimeBytes + id.size());
  put_i64(payload, time_ms);
  payload.append(id);
  put_u32(out, static_cast<uint32_t>(payload.size()));
  put_u32(out, crc_of(payload));
  out.append(payload);
}

Status io_error(const std::string& what, const std::string& path) {
  return {Errc::kIo, what + " " + path + ": " + std::strerror(errno)};
}

Status write_all(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return io_error("write", path);
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::ok();
}

Status sync_directory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error("open", dir);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return io_error("fsync", dir);
  return Status::ok();
}

Result<std::string> read_file(const std::string& path, bool& exists) {
  exists = false;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::string();
    return io_error("open", path);
  }
  exists = true;
  std::string bytes;
  char buf[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status s = io_error("read", path);
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    bytes.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return bytes;
}

}  // namespace

std::string WebhookIdStoreSettings::check() const {
  if (window_ms <= 0) return "webhook id window must be positive";
  if (max_entries == 0) return "webhook id max_entries must be positive";
  if (file_name.empty() || file_name.find('/') != std::string::npos)
    return "webhook id file name must be a plain file name";
  return {};
}

const char* id_reservation_name(IdReservation r) {
  switch (r) {
    case IdReservation::kFresh:
      return "fresh";
    case IdReservation::kDuplicate:
      return "duplicate";
    case IdReservation::kInFlight:
      return "in_flight";
  }
  return "unknown";
}

// The records of the file as read, before expiry and de-duplication.
struct WebhookIdStore::Loaded {
  std::vector<std::pair<int64_t, std::string>> records;
  uint64_t dropped_bytes = 0;
  bool exists = false;
  bool needs_rewrite = false;
};

Result<std::unique_ptr<WebhookIdStore>> WebhookIdStore::open(WebhookIdStoreSettings settings,
                                                             WallTime now) {
  if (std::string why = settings.check(); !why.empty()) return {Errc::kInvalidArgument, why};
  std::unique_ptr<WebhookIdStore> store(new WebhookIdStore(std::move(settings)));
  if (store->settings_.directory.empty()) return store;
  std::error_code ec;
  std::filesystem::create_directories(store->settings_.directory, ec);
  if (ec) return {Errc::kIo, store->settings_.directory + ": " + ec.message()};
  if (Status s = store->load(now); !s) return s;
  return store;
}

WebhookIdStore::~WebhookIdStore() {
  if (fd_ >= 0) ::close(fd_);
}

std::string WebhookIdStore::path() const {
  return (std::filesystem::path(settings_.directory) / settings_.file_name).string();
}

Status WebhookIdStore::load(WallTime now) {
  const std::string file = path();
  Loaded loaded;
  auto bytes = read_file(file, loaded.exists);
  if (!bytes) return bytes.status();
  std::string_view rest = *bytes;
  if (rest.size() >= kMagic.size() && rest.substr(0, kMagic.size()) != kMagic)
    return {Errc::kCorrupt, file + " is not a webhook id log (its first bytes are not EDWHIDS1)"};
  if (rest.size() < kMagic.size()) {
    // Created by a run that crashed before its first sync completed.
    loaded.dropped_bytes = rest.size();
    rest = {};
  } else {
    rest.remove_prefix(kMagic.size());
  }
  while (!rest.empty()) {
    if (rest.size() < kFrameBytes) break;
    const auto length = static_cast<uint32_t>(get_le(rest, 0, 4));
    const auto crc = static_cast<uint32_t>(get_le(rest, 4, 4));
    if (length < kTimeBytes || length > kMaxPayloadBytes || rest.size() - kFrameBytes < length)
      break;
    const std::string_view payload = rest.substr(kFrameBytes, length);
    if (crc_of(payload) != crc) break;
    loaded.records.emplace_back(static_cast<int64_t>(get_le(payload, 0, 8)),
                                std::string(payload.substr(kTimeBytes)));
    rest.remove_prefix(kFrameBytes + length);
  }
  loaded.dropped_bytes += rest.size();
  if (loaded.dropped_bytes > 0) {
    log_line(LogLevel::kWarn, "webhook id log: dropped a torn or damaged tail",
             {{"path", file}, {"bytes", loaded.dropped_bytes}});
  }
  adopt(loaded, now);
  std::lock_guard file_lock(file_mu_);
  if (loaded.needs_rewrite) return rewrite_locked(now);
  fd_ = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd_ < 0) return io_error("open", file);
  file_bytes_ = bytes->size();
  file_records_ = loaded.records.size();
  return Status::ok();
}

void WebhookIdStore::adopt(Loaded& loaded, WallTime now) {
  std::lock_guard lock(mu_);
  counters_.dropped_bytes_at_open = loaded.dropped_bytes;
  const int64_t cutoff = now.value() - settings_.window_ms;
  // The newest record of each id counts; older ones and expired ones are dropped.
  std::unordered_map<std::string, int64_t> newest;
  for (auto& [time_ms, id] : loaded.records) {
    auto [it, inserted] = newest.try_emplace(std::move(id), time_ms);
    if (!inserted) it->second = std::max(it->second, time_ms);
  }
  std::vector<std::pair<int64_t, std::string>> live;
  live.reserve(newest.size());
  for (auto& [id, time_ms] : newest) {
    if (time_ms < cutoff) {
      ++counters_.expired;
    } else {
      live.emplace_back(time_ms, id);
    }
  }
  std::sort(live.begin(), live.end());
  size_t first = 0;
  if (live.size() > settings_.max_entries) {
    first = live.size() - settings_.max_entries;
    counters_.evicted += first;
  }
  for (size_t i = first; i < live.size(); ++i) {
    const uint64_t seq = next_seq_++;
    entries_[live[i].second] = Entry{live[i].first, seq, false};
    queue_.push_back(Queued{live[i].first, seq, std::move(live[i].second)});
  }
  committed_ = live.size() - first;
  loaded.needs_rewrite =
      !loaded.exists || loaded.dropped_bytes > 0 || committed_ != loaded.records.size();
}

IdReservation WebhookIdStore::reserve(std::string_view id, WallTime now) {
  std::lock_guard lock(mu_);
  forget_expired_locked(now.value());
  auto it = entries_.find(id);
  if (it == entries_.end()) {
    entries_.emplace(std::string(id), Entry{0, 0, true});
    ++in_flight_;
    return IdReservation::kFresh;
  }
  Entry& e = it->second;
  if (e.in_flight) return IdReservation::kInFlight;
  if (e.time_ms >= now.value() - settings_.window_ms) {
    ++counters_.duplicates;
    return IdReservation::kDuplicate;
  }
  // Expired, but behind a younger record in the queue (the clock stepped back): forget it now.
  // Its queue element goes stale and is skipped when it reaches the front.
  ++counters_.expired;
  --committed_;
  ++in_flight_;
  e = Entry{0, 0, true};
  return IdReservation::kFresh;
}

Status WebhookIdStore::commit(std::string_view id, WallTime now) {
  {
    std::lock_guard lock(mu_);
    // An id committed without a reservation is taken too, as an import of known ids would do.
    auto [it, inserted] = entries_.try_emplace(std::string(id));
    Entry& e = it->second;
    const bool was_committed = !inserted && !e.in_flight;
    if (e.in_flight) --in_flight_;
    if (!was_committed) ++committed_;
    e = Entry{now.value(), next_seq_++, false};
    queue_.push_back(Queued{now.value(), e.seq, std::string(id)});
    evict_over_bound_locked();
  }
  if (settings_.directory.empty()) return Status::ok();
  std::lock_guard file_lock(file_mu_);
  Status appended = append_locked(id, now.value());
  if (file_wants_compaction_locked()) {
    if (Status s = rewrite_locked(now); !s) {
      log_line(LogLevel::kWarn, "webhook id log: compaction failed", {{"error", s.message()}});
    }
  }
  return appended;
}

void WebhookIdStore::release(std::string_view id) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end() || !it->second.in_flight) return;
  entries_.erase(it);
  --in_flight_;
}

Status WebhookIdStore::compact(WallTime now) {
  if (settings_.directory.empty()) {
    std::lock_guard lock(mu_);
    forget_expired_locked(now.value());
    return Status::ok();
  }
  std::lock_guard file_lock(file_mu_);
  return rewrite_locked(now);
}

WebhookIdStoreStats WebhookIdStore::stats() const {
  std::lock_guard lock(mu_);
  WebhookIdStoreStats s = counters_;
  s.entries = committed_;
  s.in_flight = in_flight_;
  return s;
}

bool WebhookIdStore::pop_front_locked() {
  Queued q = std::move(queue_.front());
  queue_.pop_front();
  auto it = entries_.find(q.id);
  if (it == entries_.end() || it->second.in_flight || it->second.seq != q.seq) return false;
  entries_.erase(it);
  --committed_;
  return true;
}

void WebhookIdStore::forget_expired_locked(int64_t now_ms) {
  const int64_t cutoff = now_ms - settings_.window_ms;
  while (!queue_.empty() && queue_.front().time_ms < cutoff) {
    if (pop_front_locked()) ++counters_.expired;
  }
}

void WebhookIdStore::evict_over_bound_locked() {
  while (committed_ > settings_.max_entries && !queue_.empty()) {
    if (pop_front_locked()) ++counters_.evicted;
  }
}

Status WebhookIdStore::append_locked(std::string_view id, int64_t time_ms) {
  if (fd_ < 0) return {Errc::kIo, path() + " is not open"};
  std::string record;
  append_record(record, id, time_ms);
  Status s = write_all(fd_, record, path());
  if (s && settings_.fsync == FsyncPolicy::kAlways && ::fdatasync(fd_) != 0)
    s = io_error("fdatasync", path());
  if (!s) {
    // A partial record in the middle of the file would hide every record after it at the next
    // open, so the file goes back to its last good length.
    if (::ftruncate(fd_, static_cast<off_t>(file_bytes_)) != 0) {
      log_line(LogLevel::kError, "webhook id log: cannot cut a failed write",
               {{"path", path()}, {"error", std::strerror(errno)}});
    }
    std::lock_guard lock(mu_);
    ++counters_.write_errors;
    return s;
  }
  file_bytes_ += record.size();
  ++file_records_;
  return Status::ok();
}

bool WebhookIdStore::file_wants_compaction_locked() const {
  size_t live = 0;
  {
    std::lock_guard lock(mu_);
    live = committed_;
  }
  return file_records_ > 2 * static_cast<uint64_t>(live) + kCompactionSlackRecords;
}

Status WebhookIdStore::rewrite_locked(WallTime now) {
  std::string bytes(kMagic);
  uint64_t records = 0;
  {
    std::lock_guard lock(mu_);
    forget_expired_locked(now.value());
    for (const Queued& q : queue_) {
      auto it = entries_.find(q.id);
      if (it == entries_.end() || it->second.in_flight || it->second.seq != q.seq) continue;
      append_record(bytes, q.id, q.time_ms);
      ++records;
    }
  }
  const std::string file = path();
  const std::string temp = file + ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("open", temp);
  Status s = write_all(fd, bytes, temp);
  // Synced whatever the policy: the rename must never put an unwritten file in place of a good one.
  if (s && ::fsync(fd) != 0) s = io_error("fsync", temp);
  ::close(fd);
  if (s && ::rename(temp.c_str(), file.c_str()) != 0) s = io_error("rename", temp);
  if (s) s = sync_directory(settings_.directory);
  if (!s) {
    ::unlink(temp.c_str());
    return s;
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd_ < 0) return io_error("open", file);
  file_bytes_ = bytes.size();
  file_records_ = records;
  std::lock_guard lock(mu_);
  ++counters_.compactions;
  return Status::ok();
}

WebhookIdClaim::WebhookIdClaim(WebhookIdClaim&& other) noexcept
    : store_(std::exchange(other.store_, nullptr)), id_(std::move(other.id_)) {}

WebhookIdClaim& WebhookIdClaim::operator=(WebhookIdClaim&& other) noexcept {
  if (this != &other) {
    release();
    store_ = std::exchange(other.store_, nullptr);
    id_ = std::move(other.id_);
  }
  return *this;
}

Status WebhookIdClaim::commit(WallTime now) {
  if (store_ == nullptr) return {Errc::kInternal, "the webhook id claim is no longer held"};
  WebhookIdStore* store = std::exchange(store_, nullptr);
  return store->commit(id_, now);
}

void WebhookIdClaim::release() {
  if (store_ == nullptr) return;
  std::exchange(store_, nullptr)->release(id_);
}

}  // namespace eddy
