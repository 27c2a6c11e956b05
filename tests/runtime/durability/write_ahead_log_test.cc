#include "runtime/durability/write_ahead_log.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

#include "tests/runtime/durability/faulty_storage.h"
#include "tests/runtime/durability/temp_dir.h"

namespace eddy {
namespace {

using testing::FaultyStorage;
using testing::TempDir;

std::string payload(int i) {
  return "record-" + std::to_string(i) + std::string(i % 17, '.');
}

struct Read {
  std::vector<std::pair<uint64_t, std::string>> records;
  WalReadSummary summary;
};

Result<Read> read_all(const std::string& dir, uint64_t from = 0, WalReadOptions options = {}) {
  Read out;
  auto sum = read_wal(dir, from, options, [&](const WalRecord& r) {
    out.records.emplace_back(r.offset, std::string(r.payload.begin(), r.payload.end()));
    return Status{};
  });
  if (!sum) return sum.status();
  out.summary = std::move(sum).value();
  return out;
}

// Collects what the writer reports, and lets a test wait for a given number of reports.
class Reports {
 public:
  WriteAheadLog::Done done() {
    return [this](const Status& s, uint64_t offset) {
      std::lock_guard lock(mu_);
      seen_.emplace_back(s, offset);
      if (seen_.size() == want_) promise_.set_value();
    };
  }
  std::future<void> expect(size_t n) {
    std::lock_guard lock(mu_);
    want_ = n;
    promise_ = std::promise<void>();
    auto f = promise_.get_future();
    if (seen_.size() >= n) promise_.set_value();
    return f;
  }
  std::vector<std::pair<Status, uint64_t>> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  std::mutex mu_;
  std::vector<std::pair<Status, uint64_t>> seen_;
  size_t want_ = 0;
  std::promise<void> promise_;
};

// Appends records first..end-1 and waits until the writer has reported `end` records in all.
void append_and_wait(WriteAheadLog& log, Reports& reports, int first, int end) {
  for (int i = first; i < end; ++i)
    ASSERT_TRUE(log.append(RecordKind::kEvents, bytes_of(payload(i)), reports.done()).is_ok());
  reports.expect(static_cast<size_t>(end)).wait();
}

std::unique_ptr<WriteAheadLog> open_log(const WalSettings& settings,
                                        std::unique_ptr<WalStorage> storage = nullptr,
                                        std::function<void(const Status&)> on_fatal = {}) {
  auto recovered = read_all(settings.dir);
  EXPECT_TRUE(recovered.is_ok()) << recovered.status().to_string();
  auto log =
      WriteAheadLog::open(settings, recovered->summary, std::move(storage), std::move(on_fatal));
  EXPECT_TRUE(log.is_ok()) << log.status().to_string();
  return std::move(log).value();
}

WalSettings settings_in(const TempDir& dir) {
  WalSettings s;
  s.dir = dir.path();
  s.fsync = WalFsync::kAlways;
  return s;
}

TEST(WriteAheadLog, RecordsReadBackInOrderAtTheOffsetsTheirCallbacksWereGiven) {
  TempDir dir;
  Reports reports;
  auto log = open_log(settings_in(dir));
  append_and_wait(*log, reports, 0, 100);
  log->stop();

  const auto seen = reports.seen();
  auto read = read_all(dir.path());
  ASSERT_TRUE(read.is_ok()) << read.status().to_string();
  ASSERT_EQ(read->records.size(), 100u);
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(seen[i].first.is_ok());
    EXPECT_EQ(seen[i].second, read->records[i].first) << i;
    EXPECT_EQ(read->records[i].second, payload(i));
  }
  EXPECT_EQ(read->summary.end_offset, log->metrics().end_offset);
  EXPECT_EQ(read->summary.torn_bytes, 0u);
  EXPECT_GE(log->metrics().syncs, 1u);
  EXPECT_LE(log->metrics().groups, 100u);
}

TEST(WriteAheadLog, SegmentsRotateBySizeAndAReadStartsAtAnyRecordOffset) {
  TempDir dir;
  WalSettings s = settings_in(dir);
  s.segment_bytes = 1024;
  s.fsync = WalFsync::kNone;
  Reports reports;
  auto log = open_log(s);
  append_and_wait(*log, reports, 0, 200);
  log->stop();

  auto segments = list_wal_segments(dir.path());
  ASSERT_TRUE(segments.is_ok());
  EXPECT_GT(segments->size(), 3u);
  for (const auto& seg : *segments)
    EXPECT_LE(std::filesystem::file_size(seg.path), 1024u + 64u);

  const uint64_t from = reports.seen()[120].second;
  auto read = read_all(dir.path(), from);
  ASSERT_TRUE(read.is_ok()) << read.status().to_string();
  ASSERT_EQ(read->records.size(), 80u);
  EXPECT_EQ(read->records.front().second, payload(120));
  EXPECT_EQ(read->records.back().second, payload(199));
}

TEST(WriteAheadLog, AReopenedLogContinuesWhereItEnded) {
  TempDir dir;
  Reports reports;
  {
    auto log = open_log(settings_in(dir));
    append_and_wait(*log, reports, 0, 10);
  }
  {
    auto log = open_log(settings_in(dir));
    append_and_wait(*log, reports, 10, 15);
  }
  auto read = read_all(dir.path());
  ASSERT_TRUE(read.is_ok());
  ASSERT_EQ(read->records.size(), 15u);
  for (int i = 0; i < 15; ++i)
    EXPECT_EQ(read->records[i].second, payload(i));
}

std::string last_segment(const std::string& dir) {
  auto segments = list_wal_segments(dir);
  return segments->back().path;
}

void append_raw(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << bytes;
}

TEST(WriteAheadLog, ATornTailIsCutOffAndTheLogGoesOnAfterIt) {
  TempDir dir;
  Reports reports;
  {
    auto log = open_log(settings_in(dir));
    append_and_wait(*log, reports, 0, 10);
  }
  // A crash in the middle of writing the eleventh record.
  std::string frame;
  append_frame(frame, RecordKind::kEvents, bytes_of(payload(10)));
  append_raw(last_segment(dir.path()), frame.substr(0, 12));

  auto torn = read_all(dir.path());
  ASSERT_TRUE(torn.is_ok()) << torn.status().to_string();
  EXPECT_EQ(torn->records.size(), 10u);
  EXPECT_EQ(torn->summary.torn_bytes, 12u);
  {
    auto log = open_log(settings_in(dir));
    ASSERT_TRUE(log->append(RecordKind::kEvents, bytes_of(payload(11)), reports.done()).is_ok());
    reports.expect(11).wait();
  }
  auto read = read_all(dir.path());
  ASSERT_TRUE(read.is_ok()) << read.status().to_string();
  ASSERT_EQ(read->records.size(), 11u);
  EXPECT_EQ(read->records.back().second, payload(11));
  EXPECT_EQ(read->summary.torn_bytes, 0u);
}

TEST(WriteAheadLog, CorruptionInTheMiddleStopsTheReadUnlessSkippingIsAllowed) {
  TempDir dir;
  Reports reports;
  {
    auto log = open_log(settings_in(dir));
    append_and_wait(*log, reports, 0, 10);
  }
  const uint64_t bad_offset = reports.seen()[3].second;
  {
    std::fstream f(last_segment(dir.path()), std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(kSegmentHeaderBytes + bad_offset + kFrameHeaderBytes + 2));
    f.put('#');
  }
  auto strict = read_all(dir.path());
  ASSERT_FALSE(strict.is_ok());
  EXPECT_EQ(strict.status().code(), Errc::kCorrupt);
  EXPECT_NE(strict.status().message().find(segment_file_name(0)), std::string::npos);
  EXPECT_NE(strict.status().message().find("offset " + std::to_string(bad_offset)),
            std::string::npos);

  WalReadOptions skip;
  skip.skip_corrupt = true;
  auto lenient = read_all(dir.path(), 0, skip);
  ASSERT_TRUE(lenient.is_ok()) << lenient.status().to_string();
  EXPECT_EQ(lenient->records.size(), 9u);
  EXPECT_EQ(lenient->summary.skipped_records, 1u);
  EXPECT_EQ(lenient->records[3].second, payload(4));
}

TEST(WriteAheadLog, AFailedWriteFailsItsGroupWithoutATraceAndTheLogRecovers) {
  TempDir dir;
  WalSettings s = settings_in(dir);
  s.retry_after_failure_ms = 60'000;
  auto faults = std::make_shared<FaultyStorage::Faults>();
  Reports reports;
  auto log = open_log(s, std::make_unique<FaultyStorage>(faults));
  ASSERT_TRUE(log->append(RecordKind::kEvents, bytes_of(payload(0)), reports.done()).is_ok());
  reports.expect(1).wait();

  faults->failing_writes = 1;
  ASSERT_TRUE(log->append(RecordKind::kEvents, bytes_of(payload(1)), reports.done()).is_ok());
  reports.expect(2).wait();
  EXPECT_EQ(reports.seen()[1].first.code(), Errc::kIo);
  // Refused while the disk is failing...
  const Status refused = log->append(RecordKind::kEvents, bytes_of(payload(2)), reports.done());
  EXPECT_EQ(refused.code(), Errc::kIo);
  EXPECT_NE(refused.message().find("No space left"), std::string::npos) << refused.message();
  log->stop();

  // ...and taken again once the retry time has passed (here: a log opened without one).
  s.retry_after_failure_ms = 0;
  log = open_log(s, std::make_unique<FaultyStorage>(faults));
  ASSERT_TRUE(log->append(RecordKind::kEvents, bytes_of(payload(3)), reports.done()).is_ok());
  reports.expect(3).wait();
  EXPECT_TRUE(reports.seen()[2].first.is_ok());
  log->stop();

  auto read = read_all(dir.path());
  ASSERT_TRUE(read.is_ok()) << read.status().to_string();
  ASSERT_EQ(read->records.size(), 2u);
  EXPECT_EQ(read->records[0].second, payload(0));
  EXPECT_EQ(read->records[1].second, payload(3));
}

TEST(WriteAheadLog, AppendsResumeByThemselvesOnceTheRetryTimeHasPassed) {
  TempDir dir;
  WalSettings s = settings_in(dir);
  s.retry_after_failure_ms = 0;
  auto faults = std::make_shared<FaultyStorage::Faults>();
  Reports reports;
  auto log = open_log(s, std::make_unique<FaultyStorage>(faults));
  faults->failing_writes = 1;
  ASSERT_TRUE(log->append(RecordKind::kEvents, bytes_of(payload(0)), reports.done()).is_ok());
  reports.expect(1).wait();
  EXPECT_FALSE(reports.seen()[0].first.is_ok());
  ASSERT_TRUE(log->append(RecordKind::kEvents, bytes_of(payload(1)), reports.done()).is_ok());
  reports.expect(2).wait();
  EXPECT_TRUE(reports.seen()[1].first.is_ok());
  EXPECT_EQ(log->metrics().write_failures, 1u);
  log->stop();
  auto read = read_all(dir.path());
  ASSERT_TRUE(read.is_ok());
  ASSERT_EQ(read->records.size(), 1u);
  EXPECT_EQ(read->records[0].second, payload(1));
}

TEST(WriteAheadLog, AFailedFsyncIsNeverRetriedAndNeverAcknowledged) {
  TempDir dir;
  auto faults = std::make_shared<FaultyStorage::Faults>();
  std::promise<Status> fatal;
  Reports reports;
  auto log = open_log(settings_in(dir), std::make_unique<FaultyStorage>(faults),
                      [&fatal](const Status& s) { fatal.set_value(s); });
  faults->failing_syncs = 1;
  ASSERT_TRUE(log->append(RecordKind::kEvents, bytes_of(payload(0)), reports.done()).is_ok());
  reports.expect(1).wait();
  EXPECT_EQ(reports.seen()[0].first.code(), Errc::kIo);
  EXPECT_EQ(fatal.get_future().get().code(), Errc::kIo);
  EXPECT_TRUE(log->metrics().failed);
  // The fault is gone, but the log stays closed: only a restart's recovery may trust the file.
  const Status after = log->append(RecordKind::kEvents, bytes_of(payload(1)), reports.done());
  EXPECT_EQ(after.code(), Errc::kIo);
  EXPECT_NE(after.message().find("restart"), std::string::npos);
}

TEST(WriteAheadLog, AFullBufferSaysBusy) {
  TempDir dir;
  WalSettings s = settings_in(dir);
  s.max_pending_bytes = 1;
  std::promise<void> gate;
  std::shared_future<void> opened = gate.get_future().share();
  Reports reports;
  auto log = open_log(s);
  // The first record's callback holds the writer, so the second waits in the buffer.
  ASSERT_TRUE(log->append(RecordKind::kEvents, bytes_of(payload(0)),
                          [opened](const Status&, uint64_t) { opened.wait(); })
                  .is_ok());
  Status busy;
  for (int i = 0; i < 1000 && busy.is_ok(); ++i)
    busy = log->append(RecordKind::kEvents, bytes_of(payload(1)), reports.done());
  EXPECT_EQ(busy.code(), Errc::kBusy);
  gate.set_value();
}

TEST(WriteAheadLog, ReleasingDeletesOnlySegmentsWhollyBeforeTheOffset) {
  TempDir dir;
  WalSettings s = settings_in(dir);
  s.segment_bytes = 512;
  s.fsync = WalFsync::kNone;
  Reports reports;
  auto log = open_log(s);
  append_and_wait(*log, reports, 0, 100);
  const uint64_t keep_from = reports.seen()[60].second;
  ASSERT_TRUE(log->release_before(keep_from).is_ok());
  log->stop();
  auto read = read_all(dir.path(), keep_from);
  ASSERT_TRUE(read.is_ok()) << read.status().to_string();
  EXPECT_EQ(read->records.size(), 40u);
  auto segments = list_wal_segments(dir.path());
  EXPECT_LE(segments->front().first_offset, keep_from);
  EXPECT_GT(segments->front().first_offset, 0u);
}

}  // namespace
}  // namespace eddy

namespace eddy {
namespace {

TEST(WriteAheadLog, ASegmentStillNamedWalNextIsReadAndRenamedOnReopen) {
  TempDir dir;
  WalSettings s = settings_in(dir);
  s.segment_bytes = 512;
  Reports reports;
  {
    auto log = open_log(s);
    append_and_wait(*log, reports, 0, 60);
  }
  // A crash before the last rename reached the disk leaves the last segment under the name it
  // was prepared with.
  const std::string last = last_segment(dir.path());
  std::filesystem::rename(last, dir.file(std::string(kPreparedSegmentName)));
  auto read = read_all(dir.path());
  ASSERT_TRUE(read.is_ok()) << read.status().to_string();
  ASSERT_EQ(read->records.size(), 60u);
  EXPECT_TRUE(read->summary.tail_prepared);

  {
    auto log = open_log(s);
    ASSERT_TRUE(log->append(RecordKind::kEvents, bytes_of(payload(60)), reports.done()).is_ok());
    reports.expect(61).wait();
  }
  EXPECT_TRUE(std::filesystem::exists(last));
  auto again = read_all(dir.path());
  ASSERT_TRUE(again.is_ok()) << again.status().to_string();
  ASSERT_EQ(again->records.size(), 61u);
  for (int i = 0; i < 61; ++i)
    EXPECT_EQ(again->records[i].second, payload(i));
}

TEST(WriteAheadLog, AnEmptyOrTornWalNextHoldsNoSegment) {
  TempDir dir;
  Reports reports;
  {
    auto log = open_log(settings_in(dir));
    ASSERT_TRUE(log->append(RecordKind::kEvents, bytes_of(payload(0)), reports.done()).is_ok());
    reports.expect(1).wait();
  }
  append_raw(dir.file(std::string(kPreparedSegmentName)), segment_header(999).substr(0, 10));
  auto read = read_all(dir.path());
  ASSERT_TRUE(read.is_ok()) << read.status().to_string();
  EXPECT_EQ(read->records.size(), 1u);
  EXPECT_FALSE(read->summary.tail_prepared);
  auto log = open_log(settings_in(dir));
  ASSERT_TRUE(log->append(RecordKind::kEvents, bytes_of(payload(1)), reports.done()).is_ok());
  reports.expect(2).wait();
  log->stop();
  auto after = read_all(dir.path());
  ASSERT_TRUE(after.is_ok());
  EXPECT_EQ(after->records.size(), 2u);
}

}  // namespace
}  // namespace eddy

namespace eddy {
namespace {

TEST(WriteAheadLog, UnderIntervalRecordsAreAcknowledgedOnWriteAndSyncedSoonAfter) {
  TempDir dir;
  WalSettings s = settings_in(dir);
  s.fsync = WalFsync::kInterval;
  s.fsync_interval_ms = 5;
  Reports reports;
  auto log = open_log(s);
  const uint64_t syncs_at_open = log->metrics().syncs;
  append_and_wait(*log, reports, 0, 20);
  for (const auto& [status, offset] : reports.seen())
    EXPECT_TRUE(status.is_ok());
  // The writer syncs on its own once the interval has passed, with no further appends.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (log->metrics().syncs == syncs_at_open && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  EXPECT_GT(log->metrics().syncs, syncs_at_open);
  EXPECT_LT(log->metrics().syncs, 20u + syncs_at_open) << "one sync per record is not interval";
}

}  // namespace
}  // namespace eddy

namespace eddy {
namespace {

TEST(WriteAheadLog, ALogFromANewerEddyOrNotEddysIsRefusedWithAReason) {
  TempDir dir;
  std::string newer("EDDYWAL\0", 8);
  newer += std::string("\x03\x00\x00\x00", 4) + std::string(12, '\0');
  append_raw(dir.file(segment_file_name(0)), newer);
  append_raw(dir.file(segment_file_name(100)), segment_header(100));
  auto read = read_all(dir.path());
  ASSERT_FALSE(read.is_ok());
  EXPECT_NE(read.status().message().find("log format 3"), std::string::npos)
      << read.status().message();

  TempDir other;
  append_raw(other.file(segment_file_name(0)), std::string(64, 'z'));
  append_raw(other.file(segment_file_name(100)), segment_header(100));
  auto foreign = read_all(other.path());
  ASSERT_FALSE(foreign.is_ok());
  EXPECT_NE(foreign.status().message().find("not an eddy log segment"), std::string::npos);
}

}  // namespace
}  // namespace eddy
