// The write-ahead log's hot paths: the record checksum, encoding a batch as a log record, and
// appends that wait for their acknowledgement under each fsync policy (closed loop, as HTTP
// clients do: each thread appends one record and waits for it, so one fsync serves every thread
// that appended meanwhile).

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <future>
#include <mutex>
#include <random>

#include "runtime/batch_builder.h"
#include "runtime/durability/crc32c.h"
#include "runtime/durability/log_records.h"
#include "runtime/durability/write_ahead_log.h"

namespace eddy {
namespace {

void BM_Crc32c(benchmark::State& state) {
  std::vector<uint8_t> data(static_cast<size_t>(state.range(0)));
  std::mt19937 rng(1);
  for (uint8_t& b : data)
    b = static_cast<uint8_t>(rng());
  const bool hardware = state.range(1) != 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(hardware ? crc32c(data) : crc32c_portable(data));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
  state.SetLabel(hardware ? "sse4.2" : "table");
}
BENCHMARK(BM_Crc32c)->Args({256, 1})->Args({256, 0})->Args({65536, 1})->Args({65536, 0});

void BM_EncodeEventsRecord(benchmark::State& state) {
  EventTypeRegistry types;
  const EventType viewed = types.add("Product Viewed").value();
  BatchBuilder b;
  std::vector<uint64_t> keys;
  for (int i = 0; i < state.range(0); ++i) {
    const std::string key = "customer-" + std::to_string(i * 7919 % 100000);
    const std::string sku = "sku-" + std::to_string(i % 500);
    const PropDraft props[] = {{"product_id", PropValue::of_string(sku)},
                               {"price", PropValue::of_double(19.99)}};
    EventDraft d;
    d.key = key;
    d.type = viewed;
    d.time = EventTime(1'700'000'000'000 + i);
    d.item = sku;
    d.props = props;
    b.add(d);
    keys.push_back(0x9e3779b97f4a7c15ull * (i + 1));
  }
  const EventBatch batch = b.finish();
  size_t bytes = 0;
  flatbuffers::FlatBufferBuilder fbb;
  for (auto _ : state) {
    const auto record = encode_events_record(fbb, batch, types, keys, WallTime(1));
    bytes = record.size();
    benchmark::DoNotOptimize(record.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch.size()));
  state.counters["bytes_per_event"] =
      static_cast<double>(bytes) / static_cast<double>(batch.size());
}
BENCHMARK(BM_EncodeEventsRecord)->Arg(1)->Arg(500);

// One log shared by the benchmark's threads, set up by thread 0.
struct SharedLog {
  std::mutex mu;
  std::string dir;
  std::unique_ptr<WriteAheadLog> log;

  void reset() {
    log.reset();
    std::error_code ec;
    if (!dir.empty()) std::filesystem::remove_all(dir, ec);
    dir.clear();
  }
  ~SharedLog() { reset(); }
};
SharedLog g_log;

void BM_AppendAndWait(benchmark::State& state) {
  const auto policy = static_cast<WalFsync>(state.range(0));
  const std::string record(static_cast<size_t>(state.range(1)), 'x');
  if (state.thread_index() == 0) {
    std::lock_guard lock(g_log.mu);
    g_log.reset();
    std::string pattern =
        (std::filesystem::temp_directory_path() / "eddy-wal-bench-XXXXXX").string();
    g_log.dir = ::mkdtemp(pattern.data());
    WalSettings s;
    s.dir = g_log.dir;
    s.fsync = policy;
    g_log.log = std::move(WriteAheadLog::open(s, WalReadSummary{})).value();
  }
  // Threads start together after set-up (Google Benchmark's barrier at the first iteration).
  for (auto _ : state) {
    std::promise<void> done;
    auto f = done.get_future();
    WriteAheadLog* log;
    {
      std::lock_guard lock(g_log.mu);
      log = g_log.log.get();
    }
    const Status s = log->append(RecordKind::kEvents, bytes_of(record),
                                 [&done](const Status&, uint64_t) { done.set_value(); });
    if (!s) {
      state.SkipWithError(s.message().c_str());
      break;
    }
    f.wait();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  if (state.thread_index() == 0) {
    std::lock_guard lock(g_log.mu);
    const WalMetrics m = g_log.log->metrics();
    state.counters["records_per_fsync"] =
        m.syncs == 0 ? 0.0 : static_cast<double>(m.records) / static_cast<double>(m.syncs);
    state.SetLabel(wal_fsync_name(policy));
  }
}
// Teardown happens in the next run's set-up or at exit: a log must outlive every thread's loop.
BENCHMARK(BM_AppendAndWait)
    ->Args({static_cast<int>(WalFsync::kAlways), 300})
    ->Args({static_cast<int>(WalFsync::kNone), 300})
    ->Threads(1)
    ->Threads(16)
    ->Threads(64)
    ->UseRealTime();

}  // namespace
}  // namespace eddy

BENCHMARK_MAIN();
