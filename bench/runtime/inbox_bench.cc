// The cost of one hop between threads through a worker's inbox, per event, by batch size: what
// batching buys on the path from the source to a worker and between stages.

#include <benchmark/benchmark.h>

#include <atomic>
#include <charconv>
#include <cstdint>
#include <string_view>
#include <thread>

#include "runtime/batch_builder.h"
#include "runtime/inbox.h"
#include "runtime/message.h"

namespace eddy {
namespace {

// Events per timed iteration, the same whatever the batch size so that iterations compare.
constexpr int64_t kEventsPerIteration = 1 << 20;
// As many messages per pop as a worker takes.
constexpr size_t kPopMessages = 64;
constexpr int64_t kCapacityEvents = 1 << 16;

EventBatch make_batch(size_t events) {
  BatchBuilder builder;
  for (size_t i = 0; i < events; ++i) {
    char key[24] = "c";
    const auto [end, ec] = std::to_chars(key + 1, key + sizeof(key), i);
    (void)ec;
    EventDraft d;
    d.key = std::string_view(key, static_cast<size_t>(end - key));
    d.type = EventType(1);
    d.time = EventTime(static_cast<int64_t>(i));
    builder.add(d);
  }
  return builder.finish();
}

// One producer (the benchmark thread) and one consumer, as between the source and a worker. The
// producer copies a prepared batch into every message because the source and the exchanges
// build a fresh events vector per message too; the consumer drops each batch after popping it, as
// a worker does once it has handled it.
void BM_InboxHop(benchmark::State& state) {
  const auto batch_events = static_cast<int64_t>(state.range(0));
  const EventBatch prototype = make_batch(static_cast<size_t>(batch_events));
  Inbox inbox(1, kCapacityEvents);
  std::atomic<int64_t> consumed{0};
  std::atomic<bool> stop{false};

  std::thread consumer([&] {
    Message out[kPopMessages];
    int64_t seen = 0;
    while (true) {
      const size_t n = inbox.pop(StageId(0), out, kPopMessages);
      if (n == 0) {
        if (stop.load(std::memory_order_acquire)) break;
        inbox.wait(-1);
        continue;
      }
      for (size_t i = 0; i < n; ++i) {
        seen += static_cast<int64_t>(out[i].batch.size());
        out[i].batch = EventBatch();
      }
      consumed.store(seen, std::memory_order_release);
    }
  });

  int64_t produced = 0;
  for (auto _ : state) {
    for (int64_t sent = 0; sent < kEventsPerIteration; sent += batch_events) {
      while (!inbox.try_reserve(StageId(0), batch_events))
        std::this_thread::yield();
      Message m;
      m.kind = MessageKind::kEvents;
      m.batch = prototype;
      inbox.push(StageId(0), std::move(m));
    }
    produced += kEventsPerIteration;
    // The iteration ends when the consumer has taken every event, so the timing is of the hop and
    // not only of the enqueue.
    while (consumed.load(std::memory_order_acquire) < produced)
      std::this_thread::yield();
  }

  stop.store(true, std::memory_order_release);
  inbox.wake();
  consumer.join();
  state.SetItemsProcessed(produced);
  // Seconds per event, shown with an SI prefix ("85n" is 85 ns).
  state.counters["per_event"] = benchmark::Counter(
      static_cast<double>(produced), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

BENCHMARK(BM_InboxHop)
    ->ArgName("batch")
    ->Arg(1)
    ->Arg(64)
    ->Arg(1024)
    ->MinTime(1.0)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace eddy

BENCHMARK_MAIN();
