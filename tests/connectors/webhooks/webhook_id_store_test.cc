#include "connectors/webhooks/webhook_id_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/connectors/webhooks/test_data.h"

namespace eddy {
namespace {

using webhooks_test::read_text;
using webhooks_test::TempDir;

constexpr int64_t kHour = kMillisPerHour;

WebhookIdStoreSettings settings_in(const TempDir& dir) {
  WebhookIdStoreSettings s;
  s.directory = dir.str();
  return s;
}

std::unique_ptr<WebhookIdStore> open_store(const WebhookIdStoreSettings& s, int64_t now_ms) {
  auto store = WebhookIdStore::open(s, WallTime(now_ms));
  EXPECT_TRUE(store.is_ok()) << store.status().to_string();
  return store.is_ok() ? std::move(store).value() : nullptr;
}

// Reserves and commits, as a delivery that ingest accepted does.
void deliver(WebhookIdStore& store, std::string_view id, int64_t now_ms) {
  ASSERT_EQ(store.reserve(id, WallTime(now_ms)), IdReservation::kFresh) << id;
  ASSERT_TRUE(store.commit(id, WallTime(now_ms)).is_ok());
}

std::filesystem::path log_path(const TempDir& dir) {
  return dir.path() / "webhook-ids.log";
}

void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

TEST(WebhookIdStore, ReservationLifecycle) {
  auto store = open_store(WebhookIdStoreSettings{}, 0);
  ASSERT_NE(store, nullptr);
  const WallTime t(1000);
  EXPECT_EQ(store->reserve("a", t), IdReservation::kFresh);
  EXPECT_EQ(store->reserve("a", t), IdReservation::kInFlight);
  store->release("a");
  EXPECT_EQ(store->reserve("a", t), IdReservation::kFresh);
  ASSERT_TRUE(store->commit("a", t).is_ok());
  EXPECT_EQ(store->reserve("a", t), IdReservation::kDuplicate);
  // Releasing a committed id does not forget it.
  store->release("a");
  EXPECT_EQ(store->reserve("a", t), IdReservation::kDuplicate);
  const WebhookIdStoreStats s = store->stats();
  EXPECT_EQ(s.entries, 1u);
  EXPECT_EQ(s.in_flight, 0u);
  EXPECT_EQ(s.duplicates, 2u);
}

TEST(WebhookIdStore, ClaimReleasesUnlessCommitted) {
  auto store = open_store(WebhookIdStoreSettings{}, 0);
  ASSERT_NE(store, nullptr);
  const WallTime t(0);
  ASSERT_EQ(store->reserve("dropped", t), IdReservation::kFresh);
  { WebhookIdClaim claim(*store, "dropped"); }
  EXPECT_EQ(store->reserve("dropped", t), IdReservation::kFresh);
  store->release("dropped");

  ASSERT_EQ(store->reserve("kept", t), IdReservation::kFresh);
  WebhookIdClaim claim(*store, "kept");
  WebhookIdClaim moved = std::move(claim);
  EXPECT_FALSE(claim.held());  // NOLINT(bugprone-use-after-move): the point of the test
  ASSERT_TRUE(moved.held());
  ASSERT_TRUE(moved.commit(t).is_ok());
  EXPECT_FALSE(moved.held());
  EXPECT_FALSE(moved.commit(t).is_ok());
  moved.release();  // no effect once committed
  EXPECT_EQ(store->reserve("kept", t), IdReservation::kDuplicate);
  EXPECT_EQ(store->stats().in_flight, 0u);
}

TEST(WebhookIdStore, RemembersAcrossARestart) {
  TempDir dir("webhook-ids");
  {
    auto store = open_store(settings_in(dir), 0);
    ASSERT_NE(store, nullptr);
    deliver(*store, "shop/msg_1", 0);
    deliver(*store, "shop/msg_2", 10);
    // In flight when the process stops: never committed, so processed again after the restart.
    EXPECT_EQ(store->reserve("shop/msg_3", WallTime(20)), IdReservation::kFresh);
  }
  auto store = open_store(settings_in(dir), kHour);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->reserve("shop/msg_1", WallTime(kHour)), IdReservation::kDuplicate);
  EXPECT_EQ(store->reserve("shop/msg_2", WallTime(kHour)), IdReservation::kDuplicate);
  EXPECT_EQ(store->reserve("shop/msg_3", WallTime(kHour)), IdReservation::kFresh);
  EXPECT_EQ(store->stats().entries, 2u);
  EXPECT_EQ(store->stats().dropped_bytes_at_open, 0u);
  // Nothing to drop, so the file was not rewritten.
  EXPECT_EQ(store->stats().compactions, 0u);
}

TEST(WebhookIdStore, EveryTornLastRecordIsDroppedAndTheRestKept) {
  TempDir dir("webhook-ids");
  std::string two_records;
  std::string three_records;
  {
    auto store = open_store(settings_in(dir), 0);
    ASSERT_NE(store, nullptr);
    deliver(*store, "a", 0);
    deliver(*store, "b", 1);
    two_records = read_text(log_path(dir));
    deliver(*store, "the-third-id", 2);
    three_records = read_text(log_path(dir));
  }
  ASSERT_GT(three_records.size(), two_records.size());
  // A crash can stop the last write after any number of its bytes.
  for (size_t cut = two_records.size() + 1; cut < three_records.size(); ++cut) {
    SCOPED_TRACE(cut);
    write_bytes(log_path(dir), three_records.substr(0, cut));
    auto store = open_store(settings_in(dir), 3);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->stats().dropped_bytes_at_open, cut - two_records.size());
    EXPECT_EQ(store->stats().entries, 2u);
    EXPECT_EQ(store->reserve("a", WallTime(3)), IdReservation::kDuplicate);
    EXPECT_EQ(store->reserve("b", WallTime(3)), IdReservation::kDuplicate);
    EXPECT_EQ(store->reserve("the-third-id", WallTime(3)), IdReservation::kFresh);
    // The open rewrote the file without the torn bytes.
    EXPECT_EQ(read_text(log_path(dir)), two_records);
  }
}

TEST(WebhookIdStore, DamagedRecordDropsItAndWhatFollows) {
  TempDir dir("webhook-ids");
  std::string one_record;
  std::string bytes;
  {
    auto store = open_store(settings_in(dir), 0);
    ASSERT_NE(store, nullptr);
    deliver(*store, "first", 0);
    one_record = read_text(log_path(dir));
    deliver(*store, "second", 0);
    deliver(*store, "third", 0);
    bytes = read_text(log_path(dir));
  }
  struct Case {
    std::string name;
    size_t offset;  // into the second record
  };
  const size_t second = one_record.size();
  for (const Case& c : {Case{"length", second}, Case{"crc", second + 5}, Case{"time", second + 9},
                        Case{"id", second + 17}}) {
    SCOPED_TRACE(c.name);
    std::string damaged = bytes;
    damaged[c.offset] = static_cast<char>(damaged[c.offset] ^ 0x40);
    write_bytes(log_path(dir), damaged);
    auto store = open_store(settings_in(dir), 1);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->stats().dropped_bytes_at_open, bytes.size() - second);
    EXPECT_EQ(store->reserve("first", WallTime(1)), IdReservation::kDuplicate);
    EXPECT_EQ(store->reserve("second", WallTime(1)), IdReservation::kFresh);
    EXPECT_EQ(store->reserve("third", WallTime(1)), IdReservation::kFresh);
  }
}

TEST(WebhookIdStore, RefusesAFileThatIsNotItsOwn) {
  TempDir dir("webhook-ids");
  write_bytes(log_path(dir), "{\"not\": \"an id log\"}\n");
  auto store = WebhookIdStore::open(settings_in(dir), WallTime(0));
  ASSERT_FALSE(store.is_ok());
  EXPECT_EQ(store.status().code(), Errc::kCorrupt);
  // It is left as it was.
  EXPECT_EQ(read_text(log_path(dir)), "{\"not\": \"an id log\"}\n");
}

TEST(WebhookIdStore, ShortHeaderFromACrashAtCreationIsRepaired) {
  TempDir dir("webhook-ids");
  write_bytes(log_path(dir), "EDWH");
  auto store = open_store(settings_in(dir), 0);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->stats().dropped_bytes_at_open, 4u);
  EXPECT_EQ(read_text(log_path(dir)), "EDWHIDS1");
}

TEST(WebhookIdStore, ForgetsIdsWhenTheWindowPasses) {
  WebhookIdStoreSettings s;
  s.window_ms = 1000;
  auto store = open_store(s, 0);
  ASSERT_NE(store, nullptr);
  deliver(*store, "a", 0);
  deliver(*store, "b", 500);
  struct Case {
    int64_t now;
    std::string id;
    IdReservation want;
  };
  const std::vector<Case> cases = {
      {999, "a", IdReservation::kDuplicate},
      {1000, "a", IdReservation::kDuplicate},  // the window's last millisecond
      {1001, "a", IdReservation::kFresh},
      {1500, "b", IdReservation::kDuplicate},
      {1501, "b", IdReservation::kFresh},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.id + " at " + std::to_string(c.now));
    EXPECT_EQ(store->reserve(c.id, WallTime(c.now)), c.want);
  }
  EXPECT_EQ(store->stats().expired, 2u);
  EXPECT_EQ(store->stats().entries, 0u);
}

TEST(WebhookIdStore, DefaultWindowOutlastsSenderRetries) {
  // Senders retry for about 75 hours after the first attempt.
  auto store = open_store(WebhookIdStoreSettings{}, 0);
  ASSERT_NE(store, nullptr);
  deliver(*store, "a", 0);
  EXPECT_EQ(store->reserve("a", WallTime(75 * kHour)), IdReservation::kDuplicate);
  EXPECT_EQ(store->reserve("a", WallTime(96 * kHour)), IdReservation::kDuplicate);
  EXPECT_EQ(store->reserve("a", WallTime(96 * kHour + 1)), IdReservation::kFresh);
}

TEST(WebhookIdStore, OpenCompactsExpiredRecordsAway) {
  TempDir dir("webhook-ids");
  WebhookIdStoreSettings s = settings_in(dir);
  s.window_ms = 10 * kHour;
  {
    auto store = open_store(s, 0);
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < 10; ++i)
      deliver(*store, "id-" + std::to_string(i), i * kHour);
  }
  const auto before = std::filesystem::file_size(log_path(dir));
  // At 14 h, ids committed before 4 h have expired: id-0 .. id-3.
  auto store = open_store(s, 14 * kHour);
  ASSERT_NE(store, nullptr);
  const WebhookIdStoreStats st = store->stats();
  EXPECT_EQ(st.expired, 4u);
  EXPECT_EQ(st.entries, 6u);
  EXPECT_EQ(st.compactions, 1u);
  const auto after = std::filesystem::file_size(log_path(dir));
  EXPECT_LT(after, before);
  EXPECT_FALSE(std::filesystem::exists(log_path(dir).string() + ".tmp"));
  for (int i = 0; i < 10; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(store->reserve("id-" + std::to_string(i), WallTime(14 * kHour)),
              i < 4 ? IdReservation::kFresh : IdReservation::kDuplicate);
  }
  // What the rewrite kept survives the next restart as it is.
  store.reset();
  store = open_store(s, 14 * kHour);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->stats().entries, 6u);
  EXPECT_EQ(store->stats().compactions, 0u);
}

TEST(WebhookIdStore, RunningCompactionKeepsTheFileBounded) {
  TempDir dir("webhook-ids");
  WebhookIdStoreSettings s = settings_in(dir);
  s.fsync = FsyncPolicy::kNone;  // thousands of commits; durability is not what is tested
  auto store = open_store(s, 0);
  ASSERT_NE(store, nullptr);
  // The same ten ids committed again and again: ten live records, ever more in the file.
  for (int i = 0; i < 10'000; ++i)
    ASSERT_TRUE(store->commit("id-" + std::to_string(i % 10), WallTime(i)).is_ok());
  EXPECT_GE(store->stats().compactions, 2u);
  EXPECT_LT(std::filesystem::file_size(log_path(dir)), 5000u * 32u);
  ASSERT_TRUE(store->compact(WallTime(10'000)).is_ok());
  store.reset();
  store = open_store(s, 10'000);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->stats().entries, 10u);
  EXPECT_EQ(store->stats().compactions, 0u);
  EXPECT_EQ(store->reserve("id-3", WallTime(10'000)), IdReservation::kDuplicate);
}

TEST(WebhookIdStore, BoundEvictsTheOldestAndCountsThem) {
  TempDir dir("webhook-ids");
  WebhookIdStoreSettings s = settings_in(dir);
  s.max_entries = 3;
  {
    auto store = open_store(s, 0);
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < 5; ++i)
      deliver(*store, "id-" + std::to_string(i), i);
    EXPECT_EQ(store->stats().evicted, 2u);
    EXPECT_EQ(store->stats().entries, 3u);
    // In-flight ids are never evicted, and do not count against the bound.
    EXPECT_EQ(store->reserve("pending", WallTime(5)), IdReservation::kFresh);
    deliver(*store, "id-5", 6);
    EXPECT_EQ(store->reserve("pending", WallTime(7)), IdReservation::kInFlight);
    EXPECT_EQ(store->reserve("id-2", WallTime(7)), IdReservation::kFresh);  // evicted by id-5
    store->release("id-2");
    EXPECT_EQ(store->reserve("id-3", WallTime(7)), IdReservation::kDuplicate);
    store->release("pending");
  }
  // The file still holds evicted records until a compaction; a smaller bound at the next open
  // keeps the newest.
  s.max_entries = 2;
  auto store = open_store(s, 10);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->stats().entries, 2u);
  EXPECT_EQ(store->reserve("id-4", WallTime(10)), IdReservation::kDuplicate);
  EXPECT_EQ(store->reserve("id-5", WallTime(10)), IdReservation::kDuplicate);
  EXPECT_EQ(store->reserve("id-3", WallTime(10)), IdReservation::kFresh);
}

TEST(WebhookIdStore, ConcurrentDeliveriesOfOneIdProcessItOnce) {
  TempDir dir("webhook-ids");
  WebhookIdStoreSettings s = settings_in(dir);
  s.fsync = FsyncPolicy::kNone;
  auto store = open_store(s, 0);
  ASSERT_NE(store, nullptr);
  constexpr int kIds = 200;
  constexpr int kThreads = 4;
  std::atomic<int> processed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIds; ++i) {
        const std::string id = "id-" + std::to_string(i);
        // Retries until the id is settled: an in-flight answer means another thread has it.
        while (true) {
          const IdReservation r = store->reserve(id, WallTime(i));
          if (r == IdReservation::kDuplicate) break;
          if (r == IdReservation::kInFlight) {
            std::this_thread::yield();
            continue;
          }
          processed.fetch_add(1);
          EXPECT_TRUE(store->commit(id, WallTime(i)).is_ok());
          break;
        }
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(processed.load(), kIds);
  EXPECT_EQ(store->stats().entries, static_cast<size_t>(kIds));
  EXPECT_EQ(store->stats().in_flight, 0u);
}

TEST(WebhookIdStore, SettingsAreChecked) {
  struct Case {
    std::string name;
    WebhookIdStoreSettings settings;
  };
  std::vector<Case> cases(3);
  cases[0].name = "window";
  cases[0].settings.window_ms = 0;
  cases[1].name = "bound";
  cases[1].settings.max_entries = 0;
  cases[2].name = "file name";
  cases[2].settings.file_name = "../ids.log";
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_FALSE(c.settings.check().empty());
    EXPECT_FALSE(WebhookIdStore::open(c.settings, WallTime(0)).is_ok());
  }
  EXPECT_TRUE(WebhookIdStoreSettings{}.check().empty());
}

}  // namespace
}  // namespace eddy
