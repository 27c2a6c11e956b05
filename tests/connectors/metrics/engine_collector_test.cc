#include "connectors/metrics/engine_collector.h"

#include <gtest/gtest.h>

#include "runtime/batch_builder.h"
#include "runtime/operator_registry.h"
#include "runtime/topology_builder.h"

namespace eddy::metrics {
namespace {

TEST(EngineCollector, WritesSourceAndWorkerCounters) {
  EngineMetrics m;
  m.source.accepted = 10;
  m.source.busy_batches = 1;
  m.source.rejected[static_cast<size_t>(RejectReason::kMissingKey)] = 2;
  m.source.watermark = EventTime(1'700'000'000'500);
  WorkerMetrics w;
  w.events_processed = 8;
  w.events_to_sinks = 7;
  w.timers_fired = 3;
  w.side_outputs["late"] = 1;
  w.rejected["negative_amount"] = 4;
  w.watermarks = {EventTime(1'700'000'000'000), kMinEventTime};
  w.inbox_events = {5, 0};
  w.keys = 6;
  w.timers = 2;
  w.cpu_micros = 2'500'000;
  w.idle_micros = 750'000;
  w.exchange_wait_micros = 250'000;
  m.workers = {w};
  MetricsWriter writer;
  write_engine_metrics(m, {"customers"}, writer);
  EXPECT_EQ(writer.errors(), 0u);
  const std::string text = writer.text();
  for (std::string_view line : {
           "eddy_source_events_accepted_total 10\n",
           "eddy_source_busy_batches_total 1\n",
           "eddy_source_events_rejected_total{reason=\"missing_key\"} 2\n",
           "eddy_source_events_rejected_total{reason=\"unknown_event_type\"} 0\n",
           "eddy_source_watermark_seconds 1700000000.5\n",
           "eddy_worker_events_processed_total{worker=\"0\"} 8\n",
           "eddy_worker_events_to_sinks_total{worker=\"0\"} 7\n",
           "eddy_worker_timers_fired_total{worker=\"0\"} 3\n",
           "eddy_worker_side_output_events_total{output=\"late\",worker=\"0\"} 1\n",
           "eddy_worker_events_rejected_total{reason=\"negative_amount\",worker=\"0\"} 4\n",
           "eddy_worker_watermark_seconds{stage=\"customers\",worker=\"0\"} 1700000000\n",
           "eddy_worker_inbox_events{stage=\"customers\",worker=\"0\"} 5\n",
           "eddy_worker_inbox_events{stage=\"1\",worker=\"0\"} 0\n",
           "eddy_worker_keys{worker=\"0\"} 6\n",
           "eddy_worker_timers_pending{worker=\"0\"} 2\n",
           "eddy_worker_cpu_seconds_total{worker=\"0\"} 2.5\n",
           "eddy_worker_idle_seconds_total{worker=\"0\"} 0.75\n",
           "eddy_worker_exchange_wait_seconds_total{worker=\"0\"} 0.25\n",
       }) {
    SCOPED_TRACE(std::string(line));
    EXPECT_NE(text.find(line), std::string::npos) << text;
  }
  EXPECT_EQ(text.find("stage=\"1\",worker=\"0\"} -"), std::string::npos)
      << "a watermark that has not started is left out";
}

class PassThrough final : public Operator {
 public:
  void on_new_slot(uint32_t /*slot*/) override {}
  Flow on_event(const EventRef& /*event*/, Context& /*ctx*/) override { return Flow::kPass; }
  void snapshot(StateWriter& /*out*/) const override {}
  Status restore(StateReader& /*in*/, uint32_t /*slot_count*/) override { return {}; }
};

std::unique_ptr<Engine> start_engine(uint32_t workers) {
  auto operators = std::make_shared<OperatorRegistry>();
  EXPECT_TRUE(operators
                  ->add("pass",
                        [](const OperatorArgs&) -> Result<std::unique_ptr<Operator>> {
                          return std::unique_ptr<Operator>(std::make_unique<PassThrough>());
                        })
                  .is_ok());
  auto spec = TopologyBuilder("metrics", operators)
                  .accept_types({"Product Viewed"})
                  .stage("customers")
                  .op("pass", "pass")
                  .build();
  EXPECT_TRUE(spec.is_ok()) << spec.status().to_string();
  EngineOptions o;
  o.settings.workers = workers;
  o.settings.key_groups = 8;
  o.settings.time_mode = TimeMode::kManual;
  o.run_ticker = false;
  auto engine = Engine::create(std::move(spec).value(), std::move(o));
  EXPECT_TRUE(engine.is_ok()) << engine.status().to_string();
  EXPECT_TRUE((*engine)->start().is_ok());
  return std::move(engine).value();
}

TEST(EngineCollector, RendersARunningEnginesMetricsAtEachScrape) {
  std::unique_ptr<Engine> engine = start_engine(2);
  MetricsRegistry registry;
  CollectorId id = add_engine_collector(registry, *engine);

  BatchBuilder b;
  EventDraft d;
  d.type = engine->topology().types().find("Product Viewed");
  for (int i = 0; i < 100; ++i) {
    const std::string key = "u" + std::to_string(i);
    d.key = key;
    d.time = EventTime(i);
    b.add(d);
  }
  SubmitResult submitted = engine->source().submit(b.finish());
  ASSERT_TRUE(submitted.status.is_ok());
  ASSERT_TRUE(engine->sync().is_ok());

  const std::string text = registry.render();
  EXPECT_NE(text.find("eddy_engine_metrics_available 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("eddy_source_events_accepted_total 100\n"), std::string::npos) << text;
  EXPECT_NE(text.find("eddy_worker_events_processed_total{worker=\"1\"}"), std::string::npos);
  EXPECT_EQ(registry.errors(), 0u) << text;

  ASSERT_TRUE(engine->stop().is_ok());
  const std::string stopped = registry.render();
  EXPECT_NE(stopped.find("eddy_engine_metrics_available 0\n"), std::string::npos) << stopped;
  EXPECT_EQ(stopped.find("eddy_worker_events_processed_total"), std::string::npos);
  registry.remove_collector(id);
  engine.reset();
  EXPECT_EQ(registry.render().find("eddy_engine"), std::string::npos);
}

}  // namespace
}  // namespace eddy::metrics
