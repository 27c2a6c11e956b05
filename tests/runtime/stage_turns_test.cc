// How a worker shares itself between the stages it runs: an earlier stage with plenty of input
// hands over to the later ones after about a source batch, so that a later stage (and the peers
// that wait for it at an exchange) is not kept waiting behind a whole inbox of earlier work.

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/batch_builder.h"
#include "runtime/engine.h"
#include "runtime/topology_builder.h"
#include "tests/harness/test_operators.h"

namespace eddy {
namespace {

// Writes of several sinks in the order they happened, from any worker thread.
class WriteLog {
 public:
  struct Write {
    std::string sink;
    size_t events;
  };
  void add(std::string sink, size_t events) {
    std::lock_guard lock(mu_);
    writes_.push_back({std::move(sink), events});
  }
  std::vector<Write> writes() const {
    std::lock_guard lock(mu_);
    return writes_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Write> writes_;
};

class LoggingSink final : public Sink {
 public:
  LoggingSink(std::string name, std::shared_ptr<WriteLog> log)
      : name_(std::move(name)), log_(std::move(log)) {}
  void write(const EventBatch& batch) override { log_->add(name_, batch.size()); }

 private:
  std::string name_;
  std::shared_ptr<WriteLog> log_;
};

TopologySpec two_stages() {
  auto spec = TopologyBuilder("two_stages", testing::test_registry())
                  .accept_types({"Product Viewed"})
                  .stage("customers", "customer")
                  .op("per_customer", "keyed_counter", {{"label", "views"}})
                  .sink("early")
                  .key_by("products", "product", [](const EventRef& e) { return e.item(); })
                  .op("per_product", "keyed_counter", {{"label", "views"}})
                  .sink("late")
                  .build();
  EXPECT_TRUE(spec.is_ok()) << spec.status().to_string();
  return std::move(spec).value();
}

EventBatch views(const EventTypeRegistry& types, int first, int count) {
  BatchBuilder b;
  EventDraft d;
  d.type = types.find("Product Viewed");
  for (int i = first; i < first + count; ++i) {
    const std::string key = "c" + std::to_string(i % 97);
    const std::string item = "p" + std::to_string(i % 13);
    d.key = key;
    d.item = item;
    d.time = EventTime(i);
    b.add(d);
  }
  return b.finish();
}

TEST(StageTurns, AnEarlierStageHandsOverAfterAboutASourceBatch) {
  const TopologySpec spec = two_stages();
  auto log = std::make_shared<WriteLog>();
  EngineOptions o;
  o.settings.workers = 1;  // one thread: the order of its turns is deterministic
  o.settings.time_mode = TimeMode::kManual;
  o.run_ticker = false;
  o.sinks["early"] = std::make_shared<LoggingSink>("early", log);
  o.sinks["late"] = std::make_shared<LoggingSink>("late", log);
  auto engine = Engine::create(spec, std::move(o));
  ASSERT_TRUE(engine.is_ok()) << engine.status().to_string();
  // Sixteen source batches wait in the first stage's inbox before the worker starts.
  constexpr int kBatches = 16, kBatchEvents = 1000;
  for (int i = 0; i < kBatches; ++i) {
    const auto s = (*engine)->source().submit(views(spec.types(), i * kBatchEvents, kBatchEvents));
    ASSERT_TRUE(s.status.is_ok()) << s.status.to_string();
  }
  ASSERT_TRUE((*engine)->start().is_ok());
  ASSERT_TRUE((*engine)->sync().is_ok());

  size_t early_before_late = 0, early = 0, late = 0;
  bool late_started = false;
  for (const auto& w : log->writes()) {
    if (w.sink == "late") {
      late_started = true;
      late += w.events;
    } else {
      early += w.events;
      if (!late_started) early_before_late += w.events;
    }
  }
  EXPECT_EQ(early, static_cast<size_t>(kBatches * kBatchEvents));
  EXPECT_EQ(late, static_cast<size_t>(kBatches * kBatchEvents));
  // One batch (two at most, the second begun under the 1,024-event turn), not the whole inbox.
  EXPECT_LE(early_before_late, static_cast<size_t>(2 * kBatchEvents));
  EXPECT_GT(early_before_late, 0u);
}

}  // namespace
}  // namespace eddy
