// The segment operator's two costs that do not depend on the traffic: evaluating one compiled rule
// for one key, and back-filling a new segment over every key of a key group (what PUT
// /v1/segments/{id} costs a worker).
//
//   BM_SegmentRuleEval/<rule>   one rule against features read from plain arrays, so that the
//                               figure is the evaluator's own (operand reads, comparisons, the
//                               three-valued logic); the keys cycle over 1M slots.
//   BM_SegmentBackfill          a StageInstance holding 1M keys of a keyed counter takes a "put"
//                               command; the rule holds for about one key in three, so a third of
//                               the keys enter (and emit "Segment Entered", discarded).

#include <benchmark/benchmark.h>

#include <algorithm>
#include <boost/json/object.hpp>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "operators/segment_rule.h"
#include "runtime/batch_builder.h"
#include "runtime/stage_instance.h"
#include "runtime/topology_builder.h"
#include "tests/harness/test_operators.h"

namespace eddy {
namespace {

constexpr uint32_t kKeys = 1'000'000;

// Features backed by arrays, one value per slot, as an operator's state would hold them.
struct ArrayFeatures {
  std::vector<double> monetary, views;
  std::vector<uint8_t> lifecycle, cart_open;
  FeatureCatalog catalog;

  ArrayFeatures() : monetary(kKeys), views(kKeys), lifecycle(kKeys), cart_open(kKeys) {
    for (uint32_t i = 0; i < kKeys; ++i) {
      monetary[i] = static_cast<double>((i * 7919u) % 500);
      views[i] = static_cast<double>((i * 104729u) % 20);
      lifecycle[i] = static_cast<uint8_t>(i % 5);
      cart_open[i] = static_cast<uint8_t>(i % 3 == 0);
    }
    static const char* const kStages[] = {"awareness", "consideration", "purchase", "retention",
                                          "dormant"};
    using Kind = FeatureValue::Kind;
    const auto ok = [](const Status& s) {
      if (!s) std::abort();
    };
    ok(catalog.add("rfm.monetary", Kind::kNumber, [this](uint32_t slot, EventTime) {
      return FeatureValue::of_number(monetary[slot]);
    }));
    ok(catalog.add("counters.product_views_7d", Kind::kNumber, [this](uint32_t slot, EventTime) {
      return FeatureValue::of_number(views[slot]);
    }));
    ok(catalog.add("lifecycle", Kind::kString, [this](uint32_t slot, EventTime) {
      return FeatureValue::of_string(kStages[lifecycle[slot]]);
    }));
    ok(catalog.add("cart.open", Kind::kBool, [this](uint32_t slot, EventTime) {
      return FeatureValue::of_bool(cart_open[slot] != 0);
    }));
  }
};

const char* const kRules[] = {
    "counters.product_views_7d > 5",
    "rfm.monetary > 150 and lifecycle != \"dormant\"",
    "lifecycle in [\"purchase\", \"retention\"]",
    "not cart.open and counters.product_views_7d > 10",
};

void BM_SegmentRuleEval(benchmark::State& state) {
  static const ArrayFeatures features;
  const char* text = kRules[state.range(0)];
  auto rule = SegmentRule::compile(text, features.catalog);
  if (!rule) {
    state.SkipWithError(rule.status().to_string().c_str());
    return;
  }
  uint32_t slot = 0;
  uint64_t held = 0;
  for (auto _ : state) {
    held += rule->matches(slot, EventTime(0)) ? 1 : 0;
    slot = slot + 1 == kKeys ? 0 : slot + 1;
  }
  benchmark::DoNotOptimize(held);
  state.SetLabel(text);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_SegmentRuleEval)->DenseRange(0, 3);

TopologySpec counter_and_segments() {
  auto built = TopologyBuilder("bench", testing::test_registry())
                   .accept_types({"Product Viewed", "Segment Entered", "Segment Exited"})
                   .stage("customers")
                   .op("views", "keyed_counter", {{"label", "views"}})
                   .op("segments", "segments")
                   .build();
  if (!built) std::abort();
  return std::move(built).value();
}

void BM_SegmentBackfill(benchmark::State& state) {
  const TopologySpec spec = counter_and_segments();
  DiscardOutput discard;
  // 1M keys, with one to three views each.
  auto made = StageInstance::create(spec, StageId(0), KeyGroup(0), EventTime(0));
  if (!made) std::abort();
  std::unique_ptr<StageInstance> inst = std::move(made).value();
  const EventType view = spec.types().find("Product Viewed");
  for (uint32_t first = 0; first < kKeys; first += 4096) {
    BatchBuilder b;
    EventDraft d;
    d.type = view;
    for (uint32_t i = first; i < std::min(kKeys, first + 4096); ++i) {
      const std::string key = "c" + std::to_string(i);
      d.key = key;
      for (uint32_t n = 0; n <= i % 3; ++n) {
        d.time = EventTime(1000 + n);
        b.add(d);
      }
    }
    const EventBatch batch = b.finish();
    for (const Event& e : batch.events)
      inst->on_event(EventRef(e, *batch.payload), EventTime(0), discard);
  }
  const size_t segments = *inst->find_operator("segments");
  int id = 0;
  for (auto _ : state) {
    // A new id each time: putting an unchanged definition does nothing.
    const boost::json::object put{
        {"action", "put"}, {"id", "s" + std::to_string(id++)}, {"enter", "views.count >= 3"}};
    if (!inst->command(segments, put, EventTime(2000), discard)) std::abort();
    state.PauseTiming();
    const boost::json::object remove{{"action", "delete"}, {"id", "s" + std::to_string(id - 1)}};
    if (!inst->command(segments, remove, EventTime(2000), discard)) std::abort();
    state.ResumeTiming();
  }
  state.counters["keys"] = static_cast<double>(inst->slots().key_count());
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kKeys));
}
BENCHMARK(BM_SegmentBackfill)->Unit(benchmark::kMillisecond)->Iterations(5);

}  // namespace
}  // namespace eddy
