// Throughput of a threshold trigger in one stage instance on one thread: "more than 5 product views
// in a session without purchase" over a browsing funnel, behind a minimal operator that maintains
// the two features it reads (standing in for the sessioniser).

#include <benchmark/benchmark.h>

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "operators/threshold_trigger.h"
#include "runtime/batch_builder.h"
#include "runtime/stage_instance.h"
#include "runtime/topology_builder.h"
#include "tests/harness/test_operators.h"

namespace eddy {
namespace {

constexpr uint64_t kKeys = 200'000;
constexpr size_t kEvents = 2'000'000;
constexpr size_t kBatchEvents = 1024;
constexpr int64_t kFirstEventTime = 1'700'000'000'000;
constexpr uint64_t kSeed = 20240612;

// Views in the current session and whether it converted; "Session Ended" starts a new one.
class SessionFeatures final : public Operator {
 public:
  static Result<std::unique_ptr<Operator>> create(const OperatorArgs& args) {
    auto op = std::make_unique<SessionFeatures>();
    op->viewed_ = args.types.find("Product Viewed");
    op->ordered_ = args.types.find("Order Completed");
    op->ended_ = args.types.find("Session Ended");
    return std::unique_ptr<Operator>(std::move(op));
  }
  void on_new_slot(uint32_t slot) override {
    if (slot >= views_.size()) views_.resize(slot + 1);
  }
  Flow on_event(const EventRef& e, Context& ctx) override {
    int32_t& v = views_[ctx.slot()];
    if (e.type() == viewed_) {
      if (v >= 0) ++v;
    } else if (e.type() == ordered_) {
      v = -1;  // converted
    } else if (e.type() == ended_) {
      v = 0;
    }
    return Flow::kPass;
  }
  Status declare_features(FeatureCatalog& c) override {
    Status s = c.add("sessions.current.product_views", FeatureValue::Kind::kNumber,
                     [this](uint32_t slot, EventTime) {
                       return FeatureValue::of_number(std::max(views_[slot], 0));
                     });
    if (!s) return s;
    return c.add(
        "sessions.current.converted", FeatureValue::Kind::kBool,
        [this](uint32_t slot, EventTime) { return FeatureValue::of_bool(views_[slot] < 0); });
  }
  void snapshot(StateWriter&) const override {}
  Status restore(StateReader&, uint32_t) override { return {}; }

 private:
  EventType viewed_, ordered_, ended_;
  std::vector<int32_t> views_;
};

TopologySpec spec() {
  auto registry = testing::test_registry();  // the built-ins include this operator
  (void)registry->add("session_features", &SessionFeatures::create);
  auto built =
      TopologyBuilder("triggers", registry)
          .accept_types({"Product Viewed", "Order Completed", "Session Ended", "Trigger Fired"})
          .stage("customers")
          .op("sessions", "session_features")
          .op("browse_abandon", "threshold_trigger",
              {{"name", "browse_abandon"},
               {"feature", "sessions.current.product_views"},
               {"above", 5},
               {"unless", "sessions.current.converted"},
               {"marketing", true}})
          .build();
  return std::move(built).value();
}

// Mostly views; a session ends for a key about every ten of its events, an order about every 40.
std::vector<EventBatch> make_batches(const TopologySpec& s) {
  const auto& types = s.types();
  const EventType viewed = types.find("Product Viewed");
  const EventType ordered = types.find("Order Completed");
  const EventType ended = types.find("Session Ended");
  std::mt19937_64 rng(kSeed);
  std::vector<EventBatch> batches;
  BatchBuilder b;
  for (size_t i = 0; i < kEvents; ++i) {
    const std::string key = "customer-" + std::to_string(rng() % kKeys);
    const uint64_t roll = rng() % 40;
    EventDraft d;
    d.key = key;
    d.type = roll == 0 ? ordered : roll < 5 ? ended : viewed;
    d.time = EventTime(kFirstEventTime + static_cast<int64_t>(i) * 50);
    b.add(d);
    if (b.size() == kBatchEvents) batches.push_back(b.finish());
  }
  if (!b.empty()) batches.push_back(b.finish());
  return batches;
}

void BM_ThresholdTrigger(benchmark::State& state) {
  const TopologySpec s = spec();
  const std::vector<EventBatch> batches = make_batches(s);
  DiscardOutput out;
  size_t bytes = 0;
  size_t keys = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::unique_ptr<StageInstance> inst =
        StageInstance::create(s, StageId(0), KeyGroup(0), EventTime(0)).value();
    state.ResumeTiming();
    for (const EventBatch& batch : batches) {
      const EventTime wm = batch.events.front().time;
      for (const Event& e : batch.events)
        inst->on_event(EventRef(e, *batch.payload), wm, out);
      inst->on_watermark(wm, out);
    }
    state.PauseTiming();
    bytes = dynamic_cast<const ThresholdTrigger&>(inst->op(1)).state_bytes();
    keys = inst->slots().size();
    inst.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kEvents));
  state.counters["keys"] = static_cast<double>(keys);
  state.counters["state_bytes_per_key"] = static_cast<double>(bytes) / static_cast<double>(keys);
}
BENCHMARK(BM_ThresholdTrigger)->Unit(benchmark::kMillisecond)->MinTime(1.0);

}  // namespace
}  // namespace eddy
