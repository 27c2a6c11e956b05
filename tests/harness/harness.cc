#include "tests/harness/harness.h"

#include <algorithm>
#include <thread>

#include "runtime/batch_builder.h"

namespace eddy::testing {

HarnessOptions HarnessOptions::random(uint64_t seed) {
  std::mt19937_64 rng(seed);
  HarnessOptions o;
  o.seed = seed;
  o.workers = 1 + static_cast<uint32_t>(rng() % 4);
  static constexpr size_t kBatchSizes[] = {1, 3, 64, 1000};
  o.batch_size = kBatchSizes[rng() % 4];
  o.shuffle_across_keys = rng() % 2 == 1;
  o.exchange_batch_events = 1 + rng() % 128;
  return o;
}

std::string HarnessOptions::describe() const {
  return "workers=" + std::to_string(workers) + " batch=" + std::to_string(batch_size) +
         " shuffle=" + (shuffle_across_keys ? "yes" : "no") +
         " exchange_batch=" + std::to_string(exchange_batch_events) +
         " seed=" + std::to_string(seed);
}

Result<std::unique_ptr<Harness>> Harness::create(TopologySpec spec, HarnessOptions options) {
  std::unique_ptr<Harness> h(new Harness(options));
  h->rng_.seed(options.seed);
  EngineOptions eo;
  eo.settings.workers = options.workers;
  eo.settings.key_groups = options.key_groups;
  eo.settings.time_mode = TimeMode::kManual;
  eo.settings.inbox_capacity_events = options.inbox_capacity_events;
  eo.settings.allowed_lateness_ms = options.allowed_lateness_ms;
  eo.settings.exchange_batch_events = options.exchange_batch_events;
  eo.clock = &h->clock_;
  eo.run_ticker = false;
  for (const StageSpec& stage : spec.stages()) {
    for (const SinkSpec& sink : stage.sinks) {
      auto collector = std::make_shared<CollectingSink>();
      h->sinks_[sink.name] = collector;
      eo.sinks[sink.name] = collector;
    }
  }
  for (std::string_view name : {kLateOutput, kRejectedOutput, kUnroutableOutput, kAnySideOutput}) {
    auto collector = std::make_shared<CollectingSink>();
    h->side_sinks_[std::string(name)] = collector;
    eo.side_sinks[std::string(name)] = collector;
  }
  auto engine = Engine::create(std::move(spec), std::move(eo));
  if (!engine) return engine.status();
  h->engine_ = std::move(engine).value();
  if (Status s = h->engine_->start(); !s) return s;
  return h;
}

Harness::~Harness() {
  (void)stop();
}

Status Harness::stop() {
  return engine_ ? engine_->stop() : Status();
}

std::vector<const TestEvent*> Harness::arrange(std::vector<const TestEvent*> segment) {
  if (!options_.shuffle_across_keys || segment.size() < 2) return segment;
  // A random interleaving that keeps every key's own order: shuffle which key goes next, then take
  // that key's next event.
  std::map<std::string_view, std::vector<const TestEvent*>> by_key;
  std::vector<std::string_view> turns;
  for (const TestEvent* e : segment) {
    by_key[e->key].push_back(e);
    turns.push_back(e->key);
  }
  std::shuffle(turns.begin(), turns.end(), rng_);
  std::map<std::string_view, size_t> next;
  std::vector<const TestEvent*> out;
  out.reserve(segment.size());
  for (std::string_view k : turns)
    out.push_back(by_key[k][next[k]++]);
  return out;
}

Status Harness::submit(const std::vector<const TestEvent*>& events) {
  const EventTypeRegistry& types = engine_->topology().types();
  for (size_t start = 0; start < events.size(); start += options_.batch_size) {
    const size_t end = std::min(events.size(), start + options_.batch_size);
    BatchBuilder builder;
    for (size_t i = start; i < end; ++i)
      add_test_event(builder, *events[i], types);
    EventBatch batch = builder.finish();
    // Busy is expected with small inboxes: the workers drain them meanwhile. Bounded, so a broken
    // engine fails the test instead of hanging it.
    for (int attempt = 0;; ++attempt) {
      SubmitResult r = engine_->source().submit(batch);
      if (r.status.is_ok()) {
        for (Rejection& rej : r.rejected) {
          rej.index += submitted_;
          rejections_.push_back(std::move(rej));
        }
        break;
      }
      if (r.status.code() != Errc::kBusy || attempt > 2'000'000) return r.status;
      std::this_thread::yield();
    }
    submitted_ += end - start;
  }
  return {};
}

Status Harness::run(const std::vector<Step>& steps) {
  std::vector<const TestEvent*> segment;
  for (const Step& step : steps) {
    if (step.kind == Step::Kind::kEvent) {
      segment.push_back(&step.event);
      continue;
    }
    if (Status s = submit(arrange(std::move(segment))); !s) return s;
    segment.clear();
    if (step.kind == Step::Kind::kWatermark) {
      engine_->source().advance_watermark(EventTime(step.watermark_ms));
      continue;
    }
    // Commands travel outside the event stream; waiting for the stream first places them at the
    // same point of the input whatever the worker count.
    if (Status s = engine_->sync(); !s) return s;
    if (Status s = engine_->command(step.operator_name, step.body); !s) return s;
  }
  if (Status s = submit(arrange(std::move(segment))); !s) return s;
  return engine_->sync();
}

std::vector<CollectingSink::Record> Harness::sink(const std::string& name) const {
  auto it = sinks_.find(name);
  if (it == sinks_.end()) return {};
  auto records = it->second->records();
  std::sort(records.begin(), records.end());
  return records;
}

std::vector<CollectingSink::Record> Harness::side_output(const std::string& name) const {
  auto it = side_sinks_.find(name);
  if (it == side_sinks_.end()) return {};
  auto records = it->second->records();
  std::sort(records.begin(), records.end());
  return records;
}

Result<boost::json::object> Harness::query(const std::string& stage, const std::string& key) {
  auto id = engine_->topology().find_stage(stage);
  if (!id) return {Errc::kNotFound, "no stage '" + stage + "'"};
  return engine_->query_key_sync(*id, key);
}

EventMaker::EventMaker(std::string key, std::string type, int64_t time_ms) {
  event_.key = std::move(key);
  event_.type = std::move(type);
  event_.time_ms = time_ms;
}

EventMaker& EventMaker::amount(double v) {
  event_.amount = v;
  return *this;
}

EventMaker& EventMaker::quantity(int64_t v) {
  event_.quantity = v;
  return *this;
}

EventMaker& EventMaker::item(std::string v) {
  event_.item = std::move(v);
  return *this;
}

EventMaker& EventMaker::prop(std::string name, std::string value) {
  event_.string_props.emplace_back(std::move(name), std::move(value));
  return *this;
}

EventMaker& EventMaker::prop(std::string name, double value) {
  event_.number_props.emplace_back(std::move(name), value);
  return *this;
}

EventMaker& EventMaker::flag(std::string name, bool value) {
  event_.bool_props.emplace_back(std::move(name), value);
  return *this;
}

EventRef add_test_event(BatchBuilder& batch, const TestEvent& e, const EventTypeRegistry& types) {
  std::vector<PropDraft> props;
  for (const auto& [name, value] : e.string_props)
    props.push_back({name, PropValue::of_string(value)});
  for (const auto& [name, value] : e.number_props)
    props.push_back({name, PropValue::of_double(value)});
  for (const auto& [name, value] : e.bool_props)
    props.push_back({name, PropValue::of_bool(value)});
  EventDraft d;
  d.key = e.key;
  d.type = types.find(e.type);
  d.time = EventTime(e.time_ms);
  d.amount = e.amount;
  d.quantity = e.quantity;
  d.item = e.item;
  d.props = props;
  return batch.add(d);
}

std::vector<Step> rekeyed(std::vector<Step> steps, const std::string& to, const std::string& from) {
  for (Step& s : steps) {
    if (s.kind == Step::Kind::kEvent && (from.empty() || s.event.key == from)) s.event.key = to;
  }
  return steps;
}

}  // namespace eddy::testing
