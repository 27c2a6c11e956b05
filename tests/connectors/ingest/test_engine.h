#pragma once

// A real engine for the ingest tests: one stage whose operator passes every event on to a
// collecting sink, so a test sees exactly what ingest submitted. It accepts the ecommerce
// topology's event names ("track" included), taken from the topology itself.

#include <memory>
#include <string_view>
#include <vector>

#include "runtime/clock.h"
#include "runtime/engine.h"
#include "runtime/operator_registry.h"
#include "runtime/sink.h"
#include "runtime/topology_builder.h"
#include "topologies/ecommerce/ecommerce.h"

namespace eddy::ingest_testing {

inline constexpr int64_t kNow = 1'700'000'000'000;  // 2023-11-14T22:13:20Z

inline std::span<const std::string_view> shop_types() {
  return ecommerce_event_types();
}

class PassThrough final : public Operator {
 public:
  void on_new_slot(uint32_t) override {}
  Flow on_event(const EventRef&, Context&) override { return Flow::kPass; }
  void snapshot(StateWriter&) const override {}
  Status restore(StateReader&, uint32_t) override { return {}; }
};

struct EngineConfig {
  uint32_t workers = 2;
  int64_t inbox_capacity_events = 1 << 16;
  bool start = true;
};

struct TestEngine {
  ManualClock clock{WallTime(kNow)};
  std::shared_ptr<CollectingSink> sink = std::make_shared<CollectingSink>();
  std::unique_ptr<Engine> engine;

  static std::unique_ptr<TestEngine> make(EngineConfig config = {}) {
    auto registry = std::make_shared<OperatorRegistry>();
    (void)registry->add("pass", [](const OperatorArgs&) -> Result<std::unique_ptr<Operator>> {
      return std::unique_ptr<Operator>(std::make_unique<PassThrough>());
    });
    auto spec = TopologyBuilder("ingest_test", registry)
                    .accept_types(shop_types())
                    .stage("profiles", "customer")
                    .op("pass", "pass")
                    .sink("all")
                    .build();
    if (!spec) return nullptr;
    auto t = std::make_unique<TestEngine>();
    EngineOptions o;
    o.settings.workers = config.workers;
    o.settings.key_groups = 16;
    o.settings.inbox_capacity_events = config.inbox_capacity_events;
    o.settings.time_mode = TimeMode::kManual;
    o.clock = &t->clock;
    o.run_ticker = false;
    o.sinks["all"] = t->sink;
    auto engine = Engine::create(std::move(spec).value(), std::move(o));
    if (!engine) return nullptr;
    t->engine = std::move(engine).value();
    if (config.start && !t->engine->start().is_ok()) return nullptr;
    return t;
  }

  ~TestEngine() {
    if (engine) (void)engine->stop();
  }

  const EventTypeRegistry& types() const { return engine->topology().types(); }

  // Everything submitted so far, once it has passed the stage, in key and time order.
  std::vector<CollectingSink::Record> events() {
    (void)engine->sync();
    auto records = sink->records();
    std::sort(records.begin(), records.end());
    return records;
  }
};

}  // namespace eddy::ingest_testing
