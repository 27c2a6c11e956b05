// Throughput of the sessionizer in one stage instance on one thread, over two days of shop traffic:
// customers come back for one to three visits, each a landing page (with a channel and a
// referrer) and a few product views, sometimes an add to cart and an order. Events arrive up to two
// minutes out of order and the watermark follows event time, so sessions close as they would live.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "operators/sessionizer.h"
#include "runtime/batch_builder.h"
#include "runtime/stage_instance.h"
#include "runtime/topology_builder.h"
#include "tests/harness/test_operators.h"

namespace eddy {
namespace {

constexpr uint64_t kKeys = 120'000;
constexpr size_t kBatchEvents = 1024;
constexpr int64_t kFirstEventTime = 1'700'000'000'000;
constexpr int64_t kSpanMs = 2 * kMillisPerDay;
constexpr int64_t kOutOfOrderMs = 2 * kMillisPerMinute;
constexpr uint64_t kSeed = 20240612;

constexpr std::string_view kChannels[] = {"direct", "email", "cpc", "social", "organic"};
constexpr std::string_view kReferrers[] = {"https://www.google.com/", "https://www.facebook.com/",
                                           "https://t.co/", "https://www.bing.com/"};

class CountEnded final : public StageOutput {
 public:
  explicit CountEnded(EventType ended) : ended_(ended) {}
  void output(StageId, const EventRef& e) override { ended += e.type() == ended_ ? 1 : 0; }
  void side_output(StageId, std::string_view name, const EventRef&) override {
    forced += name == Sessionizer::kForcedCloseOutput ? 1 : 0;
  }
  void rejected(StageId, std::string_view, const EventRef&) override {}
  size_t ended = 0;
  size_t forced = 0;

 private:
  EventType ended_;
};

struct Workload {
  std::vector<EventBatch> batches;
  std::vector<EventTime> watermarks;  // after each batch
  size_t events = 0;
};

TopologySpec spec() {
  auto registry = testing::test_registry();  // the built-ins include this operator
  auto built = TopologyBuilder("sessions", registry)
                   .accept_types({"page", "Product Viewed", "Product Added", "Order Completed",
                                  "Session Ended"})
                   .stage("customers")
                   .op("sessions", "sessionizer")
                   .build();
  return std::move(built).value();
}

Workload make_workload(const TopologySpec& s) {
  struct Draft {
    int64_t time;
    int64_t arrival;
    uint64_t key;
    EventType type;
    int32_t channel;   // index into kChannels, or -1
    int32_t referrer;  // index into kReferrers; beyond it a one-off referrer; -1 for none
  };
  const auto& types = s.types();
  const EventType page = types.find("page");
  const EventType viewed = types.find("Product Viewed");
  const EventType added = types.find("Product Added");
  const EventType ordered = types.find("Order Completed");
  std::mt19937_64 rng(kSeed);
  std::vector<Draft> drafts;
  for (uint64_t key = 0; key < kKeys; ++key) {
    for (int visit = 0, visits = 1 + static_cast<int>(rng() % 3); visit < visits; ++visit) {
      int64_t t = kFirstEventTime + static_cast<int64_t>(rng() % kSpanMs);
      auto next = [&] { return t += 5'000 + static_cast<int64_t>(rng() % 240'000); };
      const auto referrer = static_cast<int32_t>(rng() % 6) - 1;  // 4: a one-off
      drafts.push_back(
          {t, 0, key, page, static_cast<int32_t>(rng() % std::size(kChannels)), referrer});
      for (int i = 0, n = 1 + static_cast<int>(rng() % 6); i < n; ++i)
        drafts.push_back({next(), 0, key, viewed, -1, -1});
      if (rng() % 3 == 0) drafts.push_back({next(), 0, key, added, -1, -1});
      if (rng() % 8 == 0) drafts.push_back({next(), 0, key, ordered, -1, -1});
    }
  }
  for (Draft& d : drafts)
    d.arrival = d.time + static_cast<int64_t>(rng() % kOutOfOrderMs);
  std::stable_sort(drafts.begin(), drafts.end(),
                   [](const Draft& a, const Draft& b) { return a.arrival < b.arrival; });

  Workload w;
  BatchBuilder b;
  int64_t newest = kFirstEventTime;
  std::vector<PropDraft> props;
  std::string one_off;
  for (size_t i = 0; i < drafts.size(); ++i) {
    const Draft& d = drafts[i];
    const std::string key = "customer-" + std::to_string(d.key);
    props.clear();
    if (d.channel >= 0) props.push_back({"channel", PropValue::of_string(kChannels[d.channel])});
    if (d.referrer >= static_cast<int32_t>(std::size(kReferrers))) {
      one_off = "https://blog.example.com/posts/" + std::to_string(i) + "?utm_source=feed";
      props.push_back({"referrer", PropValue::of_string(one_off)});
    } else if (d.referrer >= 0) {
      props.push_back({"referrer", PropValue::of_string(kReferrers[d.referrer])});
    }
    EventDraft e;
    e.key = key;
    e.type = d.type;
    e.time = EventTime(d.time);
    e.props = props;
    b.add(e);
    newest = std::max(newest, d.time);
    if (b.size() == kBatchEvents || i + 1 == drafts.size()) {
      w.batches.push_back(b.finish());
      w.watermarks.push_back(EventTime(newest - 2 * kOutOfOrderMs));
    }
  }
  w.events = drafts.size();
  return w;
}

void BM_Sessionizer(benchmark::State& state) {
  const TopologySpec s = spec();
  const Workload w = make_workload(s);
  CountEnded out(s.types().find("Session Ended"));
  size_t bytes = 0;
  size_t keys = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::unique_ptr<StageInstance> inst =
        StageInstance::create(s, StageId(0), KeyGroup(0), EventTime(0)).value();
    out = CountEnded(s.types().find("Session Ended"));
    state.ResumeTiming();
    for (size_t i = 0; i < w.batches.size(); ++i) {
      const EventBatch& batch = w.batches[i];
      for (const Event& e : batch.events)
        inst->on_event(EventRef(e, *batch.payload), w.watermarks[i], out);
      inst->on_watermark(w.watermarks[i], out);
    }
    state.PauseTiming();
    // Measured at the end of the stream, with the last hour's sessions still open.
    bytes = dynamic_cast<const Sessionizer&>(inst->op(0)).state_bytes();
    keys = inst->slots().size();
    inst.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * w.events));
  state.counters["keys"] = static_cast<double>(keys);
  state.counters["state_bytes_per_key"] = static_cast<double>(bytes) / static_cast<double>(keys);
  state.counters["sessions_ended"] = static_cast<double>(out.ended);
  state.counters["forced_closes"] = static_cast<double>(out.forced);
}
BENCHMARK(BM_Sessionizer)->Unit(benchmark::kMillisecond)->MinTime(1.0);

}  // namespace
}  // namespace eddy
