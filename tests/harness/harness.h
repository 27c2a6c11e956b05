#pragma once

#include <boost/json/object.hpp>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "runtime/batch_builder.h"
#include "runtime/clock.h"
#include "runtime/engine.h"
#include "runtime/sink.h"
#include "runtime/topology.h"

namespace eddy::testing {

// One scripted event. Strings are owned, so scripts can be built, copied and shuffled freely.
struct TestEvent {
  std::string key;
  std::string type;
  int64_t time_ms = 0;
  double amount = 0;
  int64_t quantity = 0;
  std::string item;
  std::vector<std::pair<std::string, std::string>> string_props;
  std::vector<std::pair<std::string, double>> number_props;
  std::vector<std::pair<std::string, bool>> bool_props;
};

// A step of a script: an event, or moving the watermark (explicit, so that results never depend on
// how the harness happened to batch the events between two watermark steps).
struct Step {
  enum class Kind { kEvent, kWatermark, kCommand };
  Kind kind = Kind::kEvent;
  TestEvent event;
  int64_t watermark_ms = 0;
  std::string operator_name;  // kCommand
  boost::json::object body;   // kCommand

  static Step of(TestEvent e) { return {Kind::kEvent, std::move(e), 0, {}, {}}; }
  static Step watermark(int64_t t) { return {Kind::kWatermark, {}, t, {}, {}}; }
  // A run-time command (Engine::command) to the named operator, after everything before it.
  static Step command(std::string op, boost::json::object c) {
    return {Kind::kCommand, {}, 0, std::move(op), std::move(c)};
  }
};

struct HarnessOptions {
  uint32_t workers = 1;
  uint32_t key_groups = 16;
  size_t batch_size = 1;
  // Interleaves different keys' events at random between watermark steps (keeping each key's own
  // order), the way concurrent ingest would: results must not change.
  bool shuffle_across_keys = false;
  uint64_t seed = 1;
  int64_t inbox_capacity_events = 1 << 16;
  int64_t allowed_lateness_ms = 0;
  size_t exchange_batch_events = 64;

  // Worker count 1..4, batch size among 1, 3, 64 and 1000, shuffling on or off, from the seed.
  static HarnessOptions random(uint64_t seed);
  std::string describe() const;
};

// Runs a scripted sequence through a real engine with a manual clock and collects what comes out.
// Every sink the topology names and every side output is bound to a collecting sink.
class Harness {
 public:
  static Result<std::unique_ptr<Harness>> create(TopologySpec spec, HarnessOptions options);
  ~Harness();

  // Submits the steps (retrying while inboxes are busy), then waits until everything has passed
  // through every stage.
  Status run(const std::vector<Step>& steps);
  // The records a sink or side output received so far, sorted so that runs with different worker
  // counts compare equal. Side outputs other than late, rejected and unroutable are all collected
  // under "*".
  std::vector<CollectingSink::Record> sink(const std::string& name) const;
  std::vector<CollectingSink::Record> side_output(const std::string& name) const;
  Result<boost::json::object> query(const std::string& stage, const std::string& key);
  Status stop();

  Engine& engine() { return *engine_; }
  ManualClock& clock() { return clock_; }
  const std::vector<Rejection>& rejections() const { return rejections_; }

 private:
  Harness(HarnessOptions options) : options_(options) {}
  Status submit(const std::vector<const TestEvent*>& events);
  std::vector<const TestEvent*> arrange(std::vector<const TestEvent*> segment);

  HarnessOptions options_;
  ManualClock clock_;
  std::map<std::string, std::shared_ptr<CollectingSink>> sinks_;
  std::map<std::string, std::shared_ptr<CollectingSink>> side_sinks_;
  std::unique_ptr<Engine> engine_;
  std::vector<Rejection> rejections_;
  size_t submitted_ = 0;
  std::mt19937_64 rng_;
};

// Adds a scripted event to a batch, its type looked up in `types`.
EventRef add_test_event(BatchBuilder& batch, const TestEvent& event,
                        const EventTypeRegistry& types);

// `steps` with the events of key `from` under `to` instead; every event's when `from` is empty.
std::vector<Step> rekeyed(std::vector<Step> steps, const std::string& to,
                          const std::string& from = {});

// Builds a TestEvent tersely: ev("u1", "Product Viewed", 1000).amount(5).item("sku-1").
class EventMaker {
 public:
  EventMaker(std::string key, std::string type, int64_t time_ms);
  EventMaker& amount(double v);
  EventMaker& quantity(int64_t v);
  EventMaker& item(std::string v);
  EventMaker& prop(std::string name, std::string value);
  EventMaker& prop(std::string name, double value);
  // Not an overload of prop: a string literal would pick it over std::string.
  EventMaker& flag(std::string name, bool value);
  operator Step() const { return Step::of(event_); }  // NOLINT: lets scripts list makers directly
  const TestEvent& event() const { return event_; }

 private:
  TestEvent event_;
};

inline EventMaker ev(std::string key, std::string type, int64_t time_ms) {
  return EventMaker(std::move(key), std::move(type), time_ms);
}

}  // namespace eddy::testing
