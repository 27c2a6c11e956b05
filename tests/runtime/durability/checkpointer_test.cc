#include "runtime/durability/checkpointer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <unordered_set>

#include "runtime/batch_builder.h"
#include "runtime/durability/checkpoint_restore.h"
#include "tests/harness/counting_sink.h"
#include "tests/harness/harness.h"
#include "tests/runtime/durability/counting_topology.h"
#include "tests/runtime/durability/faulty_storage.h"
#include "tests/runtime/durability/temp_dir.h"

namespace eddy {
namespace {

using testing::count_of;
using testing::counting_topology;
using testing::CountingSink;
using testing::FaultyStorage;
using testing::TempDir;

constexpr int kKeys = 7;
constexpr int kItems = 5;

std::unique_ptr<Engine> start_engine(uint32_t workers, uint32_t version = 1, uint32_t stages = 1) {
  EngineOptions o;
  o.settings.workers = workers;
  o.settings.key_groups = 16;
  o.settings.time_mode = TimeMode::kManual;
  o.run_ticker = false;
  o.sinks["all"] = std::make_shared<CountingSink>();
  auto engine = Engine::create(counting_topology(version, stages), std::move(o));
  EXPECT_TRUE(engine.is_ok()) << engine.status().to_string();
  EXPECT_TRUE((*engine)->start().is_ok());
  return std::move(engine).value();
}

EventBatch make_batch(const EventTypeRegistry& types, int first, int count) {
  BatchBuilder b;
  EventDraft d;
  d.type = types.find("Product Viewed");
  for (int i = first; i < first + count; ++i) {
    const std::string key = "c" + std::to_string(i % kKeys);
    d.key = key;
    const std::string item = "p" + std::to_string(i % kItems);
    d.item = item;
    d.time = EventTime(i);
    b.add(d);
  }
  return b.finish();
}

std::map<std::string, int64_t> counts(Engine& engine) {
  std::map<std::string, int64_t> out;
  for (int k = 0; k < kKeys; ++k)
    out["c" + std::to_string(k)] = count_of(engine, "c" + std::to_string(k));
  if (engine.topology().stage_count() == 2) {
    for (int i = 0; i < kItems; ++i)
      out["p" + std::to_string(i)] = count_of(engine, "p" + std::to_string(i), StageId(1));
  }
  return out;
}

// An engine, its log and journal, a checkpoint store and a checkpointer, as eddy wires them.
struct Node {
  explicit Node(const TempDir& dir, uint64_t segment_bytes = 64ull << 20, uint32_t keep = 3,
                std::unique_ptr<WalStorage> checkpoint_storage = nullptr, uint32_t stages = 1)
      : engine(start_engine(2, 1, stages)) {
    WalSettings s;
    s.dir = dir.file("wal");
    s.fsync = WalFsync::kNone;
    s.segment_bytes = segment_bytes;
    auto opened = WriteAheadLog::open(s, WalReadSummary{});
    EXPECT_TRUE(opened.is_ok()) << opened.status().to_string();
    log = std::move(opened).value();
    journal = std::make_unique<Journal>(*engine, *log);
    auto st = CheckpointStore::open(dir.file("checkpoints"), std::move(checkpoint_storage));
    EXPECT_TRUE(st.is_ok()) << st.status().to_string();
    store = std::move(st).value();
    CheckpointSettings settings;
    settings.interval_ms = 0;
    settings.keep = keep;
    checkpointer = std::make_unique<Checkpointer>(
        *engine, *journal, *log, *store, settings,
        std::vector<CheckpointExtra>{{"note", [this] { return note; }}}, clock);
    checkpointer->start();
  }
  ~Node() {
    checkpointer->stop();
    log->stop();
    (void)engine->stop();
  }

  void submit(int first, int count) {
    auto ack = std::make_shared<AckLatch>();
    const SubmitResult r =
        journal->submit(make_batch(engine->topology().types(), first, count), {}, WallTime(1), ack);
    ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
    std::promise<Status> done;
    ack->arm([&done](const Status& s) { done.set_value(s); });
    ASSERT_TRUE(done.get_future().get().is_ok());
  }

  ManualClock clock{WallTime(1'000)};
  std::string note = "extra state";
  std::unique_ptr<Engine> engine;
  std::unique_ptr<WriteAheadLog> log;
  std::unique_ptr<Journal> journal;
  std::unique_ptr<CheckpointStore> store;
  std::unique_ptr<Checkpointer> checkpointer;
};

struct Restored {
  RestoredCheckpoint checkpoint;
  ReplaySummary replay;
  std::map<std::string, std::string> parts;
};

// What a restart does: restore the newest good checkpoint, then replay the log after it.
Restored restart(const TempDir& dir, Engine& engine) {
  Restored out;
  auto store = CheckpointStore::open(dir.file("checkpoints"));
  EXPECT_TRUE(store.is_ok());
  auto restored = restore_newest_checkpoint(**store, engine,
                                            [&out](std::string_view name, std::string_view state) {
                                              out.parts[std::string(name)] = std::string(state);
                                              return Status();
                                            });
  EXPECT_TRUE(restored.is_ok()) << restored.status().to_string();
  if (!restored) return out;
  out.checkpoint = *restored;
  ReplayOptions options;
  options.from = restored->wal_offset;
  auto replayed = replay_wal(engine, dir.file("wal"), options);
  EXPECT_TRUE(replayed.is_ok()) << replayed.status().to_string();
  if (replayed) out.replay = *replayed;
  EXPECT_TRUE(engine.sync().is_ok());
  return out;
}

TEST(Checkpointer, ACheckpointPlusTheLogAfterItRebuildsTheState) {
  TempDir dir;
  std::map<std::string, int64_t> before;
  {
    Node node(dir);
    node.submit(0, 700);
    auto taken = node.checkpointer->checkpoint_now();
    ASSERT_TRUE(taken.is_ok()) << taken.status().to_string();
    EXPECT_EQ(taken->id, 1u);
    EXPECT_EQ(taken->parts, 16u + 1u);  // a part per key group and the extra
    EXPECT_GT(taken->wal_offset, 0u);
    node.submit(700, 300);
    ASSERT_TRUE(node.engine->sync().is_ok());
    before = counts(*node.engine);
    EXPECT_EQ(node.checkpointer->metrics().completed, 1u);
  }
  auto again = start_engine(3);  // another worker count: key groups move, their state with them
  const Restored r = restart(dir, *again);
  EXPECT_EQ(r.checkpoint.id, 1u);
  EXPECT_EQ(r.replay.events, 300u);  // only what came after the checkpoint
  EXPECT_EQ(r.parts.at("note"), "extra state");
  EXPECT_EQ(counts(*again), before);
  (void)again->stop();
}

// Submitted without waiting, so that the mark lands among batches still being written; with two
// stages, also among events still crossing the exchange.
void expect_exactly_the_records_before_the_mark(uint32_t stages) {
  TempDir dir;
  Node node(dir, 64ull << 20, 3, nullptr, stages);
  std::vector<std::shared_ptr<AckLatch>> acks;
  std::promise<bool> taken;
  for (int b = 0; b < 50; ++b) {
    auto ack = std::make_shared<AckLatch>();
    ASSERT_TRUE(
        node.journal
            ->submit(make_batch(node.engine->topology().types(), b * 20, 20), {}, WallTime(1), ack)
            .status.is_ok());
    acks.push_back(ack);
    if (b == 25) {
      ASSERT_TRUE(
          node.checkpointer
              ->request([&taken](const Result<CheckpointInfo>& r) { taken.set_value(r.is_ok()); })
              .is_ok());
    }
  }
  for (const auto& ack : acks) {
    std::promise<Status> done;
    ack->arm([&done](const Status& s) { done.set_value(s); });
    ASSERT_TRUE(done.get_future().get().is_ok());
  }
  ASSERT_TRUE(taken.get_future().get());
  ASSERT_TRUE(node.engine->sync().is_ok());
  ASSERT_EQ(node.store->committed(), (std::vector<uint64_t>{1}));
  const auto live = counts(*node.engine);
  auto again = start_engine(1, 1, stages);
  const Restored r = restart(dir, *again);
  EXPECT_EQ(r.checkpoint.id, 1u);
  // Wherever the mark landed among the batches, the state has those before it and the replay
  // those after: whole batches, each once, in every stage.
  EXPECT_EQ(r.replay.events % 20, 0u);
  EXPECT_EQ(counts(*again), live);
  (void)again->stop();
}

TEST(Checkpointer, TheCheckpointHoldsExactlyTheRecordsBeforeItsMark) {
  expect_exactly_the_records_before_the_mark(1);
}

TEST(Checkpointer, ACheckpointThroughAnExchangeHoldsExactlyTheRecordsBeforeItsMark) {
  expect_exactly_the_records_before_the_mark(2);
}

TEST(Checkpointer, KeepsTheNewestAndReleasesTheLogBeforeTheOldestKept) {
  TempDir dir;
  Node node(dir, /*segment_bytes=*/4096, /*keep=*/2);
  uint64_t offsets[4] = {};
  for (int i = 0; i < 4; ++i) {
    node.submit(i * 500, 500);
    auto taken = node.checkpointer->checkpoint_now();
    ASSERT_TRUE(taken.is_ok()) << taken.status().to_string();
    offsets[i] = taken->wal_offset;
  }
  EXPECT_EQ(node.store->committed(), (std::vector<uint64_t>{3, 4}));
  auto segments = list_wal_segments(dir.file("wal"));
  ASSERT_TRUE(segments.is_ok());
  ASSERT_FALSE(segments->empty());
  EXPECT_GT(segments->front().first_offset, offsets[0]);
  EXPECT_LE(segments->front().first_offset, offsets[2]);
}

// Whether any file under `dir` holds `text`.
bool any_file_holds(const std::string& dir, const std::string& text) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.find(text) != std::string::npos) return true;
  }
  return false;
}

void submit_key(Node& node, const std::string& key) {
  BatchBuilder b;
  EventDraft d;
  d.type = node.engine->topology().types().find("Product Viewed");
  d.key = key;
  d.item = "p0";
  d.time = EventTime(1);
  b.add(d);
  auto ack = std::make_shared<AckLatch>();
  ASSERT_TRUE(node.journal->submit(b.finish(), {}, WallTime(1), ack).status.is_ok());
  std::promise<Status> done;
  ack->arm([&done](const Status& s) { done.set_value(s); });
  ASSERT_TRUE(done.get_future().get().is_ok());
}

TEST(Checkpointer, TheCheckpointAfterAnErasureLeavesNoOlderCheckpointNorLogBeforeItsCut) {
  TempDir dir;
  Node node(dir, /*segment_bytes=*/1 << 20, /*keep=*/3);
  std::vector<std::unordered_set<std::string>> erased_outputs;
  node.checkpointer->set_output_eraser([&](const std::unordered_set<std::string>& ids) {
    erased_outputs.push_back(ids);
    return Status{};
  });
  node.submit(0, 300);
  submit_key(node, "erased-customer");
  ASSERT_TRUE(node.checkpointer->checkpoint_now().is_ok());
  node.submit(300, 300);
  ASSERT_TRUE(node.checkpointer->checkpoint_now().is_ok());
  ASSERT_EQ(node.store->committed().size(), 2u);
  ASSERT_TRUE(any_file_holds(dir.file("wal"), "erased-customer"));

  node.checkpointer->note_erasure({"erased-customer"});
  EXPECT_EQ(node.checkpointer->erasures_pending(), 1u);
  auto taken = node.checkpointer->checkpoint_now();
  ASSERT_TRUE(taken.is_ok()) << taken.status().to_string();
  EXPECT_EQ(taken->erasures_purged, 1u);
  EXPECT_EQ(node.checkpointer->erasures_pending(), 0u);
  EXPECT_EQ(node.store->committed(), std::vector<uint64_t>{taken->id}) << "older ones are gone";
  auto segments = list_wal_segments(dir.file("wal"));
  ASSERT_TRUE(segments.is_ok());
  ASSERT_FALSE(segments->empty());
  EXPECT_EQ(segments->front().first_offset, taken->wal_offset) << "the log starts at the cut";
  EXPECT_FALSE(any_file_holds(dir.file("wal"), "erased-customer"));
  EXPECT_EQ(erased_outputs, (std::vector<std::unordered_set<std::string>>{{"erased-customer"}}));

  // The next checkpoint keeps the usual number again, and what is left still recovers.
  node.submit(600, 300);
  ASSERT_TRUE(node.checkpointer->checkpoint_now().is_ok());
  EXPECT_EQ(node.store->committed().size(), 2u);
  EXPECT_EQ(erased_outputs.size(), 1u);
  node.submit(900, 100);
  // Acknowledged means logged and handed to the engine, not yet counted by its workers.
  ASSERT_TRUE(node.engine->sync().is_ok());
  auto fresh = start_engine(2);
  restart(dir, *fresh);
  EXPECT_EQ(counts(*fresh), counts(*node.engine));
}

TEST(Checkpointer, AnErasureWhoseOutputsCouldNotBeErasedWaitsForTheNextCheckpoint) {
  TempDir dir;
  Node node(dir);
  int calls = 0;
  node.checkpointer->set_output_eraser([&](const std::unordered_set<std::string>&) {
    return ++calls == 1 ? Status(Errc::kIo, "disk full") : Status{};
  });
  node.submit(0, 100);
  node.checkpointer->note_erasure({"c1", "anon-1"});
  auto first = node.checkpointer->checkpoint_now();
  ASSERT_TRUE(first.is_ok()) << "the checkpoint stands; the erasure is not complete";
  EXPECT_EQ(first->erasures_purged, 0u);
  EXPECT_EQ(node.checkpointer->erasures_pending(), 1u);
  auto second = node.checkpointer->checkpoint_now();
  ASSERT_TRUE(second.is_ok());
  EXPECT_EQ(second->erasures_purged, 1u);
  EXPECT_EQ(node.checkpointer->erasures_pending(), 0u);
  EXPECT_EQ(calls, 2);
}

TEST(Checkpointer, AFailedCheckpointLeavesThePreviousOneIntactAndIsCounted) {
  TempDir dir;
  auto faults = std::make_shared<FaultyStorage::Faults>();
  std::map<std::string, int64_t> final_counts;
  {
    Node node(dir, 64ull << 20, 3, std::make_unique<FaultyStorage>(faults));
    node.submit(0, 100);
    ASSERT_TRUE(node.checkpointer->checkpoint_now().is_ok());
    node.submit(100, 100);
    ASSERT_TRUE(node.engine->sync().is_ok());
    final_counts = counts(*node.engine);
    faults->failing_syncs = 1;
    auto failed = node.checkpointer->checkpoint_now();
    ASSERT_FALSE(failed.is_ok());
    EXPECT_EQ(failed.status().code(), Errc::kIo);
    EXPECT_EQ(node.checkpointer->metrics().failed, 1u);
    EXPECT_EQ(node.store->committed(), (std::vector<uint64_t>{1}));
    EXPECT_FALSE(std::filesystem::exists(node.store->path_of(2)));
  }
  auto again = start_engine(2);
  const Restored r = restart(dir, *again);
  EXPECT_EQ(r.checkpoint.id, 1u);
  EXPECT_EQ(r.replay.events, 100u);
  EXPECT_EQ(counts(*again), final_counts);
  (void)again->stop();
}

TEST(Checkpointer, ANewerCheckpointThatFailsItsChecksIsSkippedForThePreviousOne) {
  TempDir dir;
  std::map<std::string, int64_t> final_counts;
  {
    Node node(dir);
    node.submit(0, 100);
    ASSERT_TRUE(node.checkpointer->checkpoint_now().is_ok());
    node.submit(100, 100);
    ASSERT_TRUE(node.checkpointer->checkpoint_now().is_ok());
    ASSERT_TRUE(node.engine->sync().is_ok());
    final_counts = counts(*node.engine);
  }
  // Flip one bit in a part of the newest checkpoint.
  const std::string part = dir.file("checkpoints/" + checkpoint_dir_name(2) + "/kg-00003.part");
  {
    std::fstream f(part, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(40);
    char c = 0;
    f.get(c);
    f.seekp(40);
    f.put(static_cast<char>(c ^ 0x10));
  }
  auto again = start_engine(2);
  const Restored r = restart(dir, *again);
  EXPECT_EQ(r.checkpoint.id, 1u);
  EXPECT_EQ(r.checkpoint.skipped, 1u);
  EXPECT_EQ(r.replay.events, 100u);
  EXPECT_EQ(counts(*again), final_counts);
  (void)again->stop();
}

TEST(Checkpointer, ACheckpointOfAnotherTopologyVersionIsRefusedWithAMessageThatSaysSo) {
  TempDir dir;
  {
    Node node(dir);
    node.submit(0, 10);
    ASSERT_TRUE(node.checkpointer->checkpoint_now().is_ok());
  }
  auto newer = start_engine(2, /*version=*/2);
  auto store = CheckpointStore::open(dir.file("checkpoints"));
  ASSERT_TRUE(store.is_ok());
  auto restored = restore_newest_checkpoint(
      **store, *newer, [](std::string_view, std::string_view) { return Status(); });
  ASSERT_FALSE(restored.is_ok());
  EXPECT_NE(restored.status().message().find("version 1"), std::string::npos)
      << restored.status().message();
  EXPECT_NE(restored.status().message().find("version 2"), std::string::npos);
  (void)newer->stop();
}

TEST(Checkpointer, RequestsAfterStopAreRefusedAndWaitersAreTold) {
  TempDir dir;
  Node node(dir);
  node.checkpointer->stop();
  EXPECT_EQ(node.checkpointer->request([](const auto&) {}).code(), Errc::kStopped);
  EXPECT_EQ(node.checkpointer->checkpoint_now().status().code(), Errc::kStopped);
}

}  // namespace
}  // namespace eddy
