// Ingest throughput on one core: Segment-shaped JSON parsed, mapped to events, de-duplicated and
// submitted to a started engine whose single operator does nothing (so the engine's worker, on the
// other core, keeps up and the figure is ingest's own). Reports events/s of the calling thread.
//
//   BM_BulkNdjson/ids:{0,1}     POST /v1/events, 100,000 lines per request, with or without ids
//   BM_BulkNdjsonTrackingPlan   the same, each message checked against a tracking plan
//   BM_BulkJsonArray            the same events as one JSON array
//   BM_SegmentBatch             POST /v1/batch, 100 messages per request
//   BM_SegmentTrack             POST /v1/track, one message per request
//   BM_ParseMapOnly             JsonReader + SegmentMapper alone: the floor without the engine
//   BM_TrackingPlanValidateOnly TrackingPlan::validate alone, on messages parsed beforehand

#include <benchmark/benchmark.h>

#include <boost/json/parse.hpp>
#include <random>
#include <string>
#include <vector>

#include "connectors/http/http_settings.h"
#include "connectors/ingest/ingest_service.h"
#include "connectors/ingest/json_reader.h"
#include "connectors/ingest/segment_mapper.h"
#include "connectors/ingest/tracking_plan.h"
#include "runtime/engine.h"
#include "runtime/intake.h"
#include "runtime/topology_builder.h"
#include "topologies/ecommerce/ecommerce.h"

namespace eddy {
namespace {

constexpr size_t kBulkLines = 100'000;
constexpr int64_t kStart = 1'700'000'000'000;

class Noop final : public Operator {
 public:
  void on_new_slot(uint32_t) override {}
  Flow on_event(const EventRef&, Context&) override { return Flow::kDrop; }
  void snapshot(StateWriter&) const override {}
  Status restore(StateReader&, uint32_t) override { return {}; }
};

// A started one-worker engine accepting the ecommerce topology's event names.
struct NoopEngine {
  SystemClock clock;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<DirectIntake> intake;

  NoopEngine() {
    auto registry = std::make_shared<OperatorRegistry>();
    (void)registry->add("noop", [](const OperatorArgs&) -> Result<std::unique_ptr<Operator>> {
      return std::unique_ptr<Operator>(std::make_unique<Noop>());
    });
    auto spec = TopologyBuilder("ingest_bench", registry)
                    .accept_types(ecommerce_event_types())
                    .stage("profiles", "customer")
                    .op("noop", "noop")
                    .build();
    EngineOptions o;
    o.settings.workers = 1;
    o.settings.time_mode = TimeMode::kManual;
    o.clock = &clock;
    o.run_ticker = false;
    engine = std::move(Engine::create(std::move(spec).value(), std::move(o))).value();
    intake = std::make_unique<DirectIntake>(engine->source());
    (void)engine->start();
  }
  ~NoopEngine() { (void)engine->stop(); }
};

// One Segment message as a browser library sends it (about 400 bytes): a shop's funnel of product
// views, cart adds, orders, page views and identifies.
std::string message(std::mt19937_64& rng, uint64_t n, bool with_id, bool with_type) {
  const uint64_t user = rng() % 100'000;
  const uint64_t product = rng() % 5'000;
  const int kind = static_cast<int>(rng() % 100);
  std::string head = R"({)";
  if (with_id) head += R"("messageId":"msg-)" + std::to_string(n) + R"(",)";
  head += R"("userId":"user-)" + std::to_string(user) +
          R"(","timestamp":"2023-11-14T22:13:20.123Z","sentAt":"2023-11-14T22:13:21.000Z",)"
          R"("context":{"library":{"name":"analytics.js","version":"4.1.0"},)"
          R"("page":{"url":"https://shop.example/p/)" +
          std::to_string(product) +
          R"(","referrer":"https://www.google.com/"},"campaign":{"medium":"cpc"}},)";
  const std::string track = with_type ? R"("type":"track",)" : "";
  if (kind < 70) {
    return head + track + R"("event":"Product Viewed","properties":{"product_id":"p-)" +
           std::to_string(product) + R"(","price":19.99,"currency":"USD","category":"shoes"}})";
  }
  if (kind < 85) {
    return head + track + R"("event":"Product Added","properties":{"product_id":"p-)" +
           std::to_string(product) + R"(","price":19.99,"quantity":2,"cart_id":"c-)" +
           std::to_string(user) + R"("}})";
  }
  if (kind < 90) {
    return head + track + R"("event":"Order Completed","properties":{"order_id":"o-)" +
           std::to_string(n) +
           R"(","revenue":59.97,"products":[{"product_id":"p-1"},{"product_id":"p-2"}]}})";
  }
  if (kind < 97) return head + R"("type":"page","name":"Product"})";
  return head + R"("type":"identify","traits":{"email":"u)" + std::to_string(user) +
         R"(@example.com","plan":"gold","age":41}})";
}

std::vector<std::string> messages(size_t n, bool with_id, bool with_type, uint64_t seed = 1) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i)
    out.push_back(message(rng, i, with_id, with_type));
  return out;
}

std::string ndjson(const std::vector<std::string>& lines) {
  std::string body;
  for (const std::string& l : lines)
    body.append(l).push_back('\n');
  return body;
}

void report(benchmark::State& state, size_t events, size_t bytes) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * events));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}

// The bulk upload of BM_BulkNdjson, optionally checked against a tracking plan.
void bulk_ndjson(benchmark::State& state, bool with_ids, IngestOptions options = {}) {
  NoopEngine e;
  HttpSettings settings;
  const std::string body = ndjson(messages(kBulkLines, with_ids, false));
  std::unique_ptr<MessageDedup> dedup;
  std::unique_ptr<IngestService> service;
  for (auto _ : state) {
    // A fresh memory of messageIds each time, so that every line is new; the last one is freed
    // here too, outside the timing.
    state.PauseTiming();
    service.reset();
    dedup = std::make_unique<MessageDedup>();
    service = std::make_unique<IngestService>(*e.intake, e.engine->topology().types(), settings,
                                              e.clock, *dedup, options);
    state.ResumeTiming();
    const IngestReply r = service->bulk({body, "", "application/x-ndjson"});
    if (r.accepted != kBulkLines) state.SkipWithError(r.body.c_str());
    (void)e.engine->sync();
  }
  report(state, kBulkLines, body.size());
}

void BM_BulkNdjson(benchmark::State& state) {
  bulk_ndjson(state, state.range(0) != 0);
}
BENCHMARK(BM_BulkNdjson)->ArgName("ids")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// A plan for the messages of message(), which every one of them meets.
TrackingPlan shop_tracking_plan() {
  auto plan = TrackingPlan::parse(R"({
    "events": {
      "Product Viewed": {"properties": {"product_id": {"type": "string", "required": true},
                                        "price": {"type": "number", "required": true},
                                        "currency": {"type": "string"}}},
      "Product Added": {"properties": {"product_id": {"type": "string", "required": true},
                                       "quantity": {"type": "integer", "required": true}}},
      "Order Completed": {"properties": {"order_id": {"type": "string", "required": true},
                                         "revenue": {"type": "number", "required": true},
                                         "products": {"type": "array"}}}},
    "traits": {"email": {"type": "string"}, "age": {"type": "integer"}}})");
  if (!plan) std::abort();
  return std::move(plan).value();
}

// The same upload against a plan that every message meets: the cost of checking each one.
void BM_BulkNdjsonTrackingPlan(benchmark::State& state) {
  IngestOptions options;
  options.tracking_plan = std::make_shared<const TrackingPlan>(shop_tracking_plan());
  bulk_ndjson(state, false, options);
}
BENCHMARK(BM_BulkNdjsonTrackingPlan)->Unit(benchmark::kMillisecond);

void BM_BulkJsonArray(benchmark::State& state) {
  NoopEngine e;
  HttpSettings settings;
  MessageDedup dedup;
  const auto lines = messages(kBulkLines, false, false);
  std::string body = "[";
  for (size_t i = 0; i < lines.size(); ++i)
    body.append(i ? "," : "").append(lines[i]);
  body += "]";
  IngestService service(*e.intake, e.engine->topology().types(), settings, e.clock, dedup);
  for (auto _ : state) {
    const IngestReply r = service.bulk({body, "", "application/json"});
    if (r.accepted != kBulkLines) state.SkipWithError(r.body.c_str());
    (void)e.engine->sync();
  }
  report(state, kBulkLines, body.size());
}
BENCHMARK(BM_BulkJsonArray)->Unit(benchmark::kMillisecond);

void BM_SegmentBatch(benchmark::State& state) {
  constexpr size_t kPerBatch = 100;
  NoopEngine e;
  HttpSettings settings;
  MessageDedup dedup;
  const auto lines = messages(kPerBatch * 64, false, true);
  std::vector<std::string> bodies;
  size_t bytes = 0;
  for (size_t b = 0; b < 64; ++b) {
    std::string body = R"({"batch":[)";
    for (size_t i = 0; i < kPerBatch; ++i)
      body.append(i ? "," : "").append(lines[b * kPerBatch + i]);
    body += R"(],"sentAt":"2023-11-14T22:13:21.000Z"})";
    bytes += body.size();
    bodies.push_back(std::move(body));
  }
  IngestService service(*e.intake, e.engine->topology().types(), settings, e.clock, dedup);
  size_t i = 0;
  for (auto _ : state) {
    const IngestReply r = service.segment_batch({bodies[i++ % bodies.size()], "", ""});
    if (r.status != 200) {
      // The worker fell behind: wait for it, as a client would after a 503.
      state.PauseTiming();
      (void)e.engine->sync();
      state.ResumeTiming();
    }
  }
  report(state, kPerBatch, bytes / bodies.size());
}
BENCHMARK(BM_SegmentBatch);

void BM_SegmentTrack(benchmark::State& state) {
  NoopEngine e;
  HttpSettings settings;
  MessageDedup dedup;
  const auto bodies = messages(4096, false, false);
  std::vector<std::string> tracks;
  for (const std::string& b : bodies) {
    if (b.find(R"("event")") != std::string::npos) tracks.push_back(b);
  }
  IngestService service(*e.intake, e.engine->topology().types(), settings, e.clock, dedup);
  size_t i = 0;
  size_t bytes = 0;
  for (auto _ : state) {
    const std::string& body = tracks[i++ % tracks.size()];
    bytes += body.size();
    const IngestReply r = service.segment_call(SegmentCall::kTrack, {body, "", ""});
    if (r.status != 200) {
      state.PauseTiming();
      (void)e.engine->sync();
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_SegmentTrack);

void BM_ParseMapOnly(benchmark::State& state) {
  EventTypeRegistry types;
  for (std::string_view t : ecommerce_event_types())
    (void)types.add(t);
  const auto lines = messages(kBulkLines, false, false);
  JsonReader reader(32);
  SegmentMapper mapper(types);
  MessageEnvelope env;
  env.received_at = WallTime(kStart);
  env.track_when_untyped = true;
  size_t bytes = 0;
  for (const auto& l : lines)
    bytes += l.size() + 1;
  for (auto _ : state) {
    for (const std::string& l : lines) {
      IngestError error;
      const auto* v = reader.read(l, error);
      MappedEvent out;
      auto e = mapper.map(*v, env, out);
      benchmark::DoNotOptimize(out.draft.time);
      if (e) state.SkipWithError(e->message.c_str());
    }
  }
  report(state, kBulkLines, bytes);
}
BENCHMARK(BM_ParseMapOnly)->Unit(benchmark::kMillisecond);

// TrackingPlan::validate alone, over the parsed messages: its cost per event beside
// BM_ParseMapOnly's.
void BM_TrackingPlanValidateOnly(benchmark::State& state) {
  const TrackingPlan plan = shop_tracking_plan();
  std::vector<boost::json::object> parsed;
  std::vector<SegmentCall> calls;
  for (const std::string& l : messages(kBulkLines, false, true)) {
    parsed.push_back(boost::json::parse(l).as_object());
    const auto* type = parsed.back().if_contains("type");
    calls.push_back(type != nullptr && type->as_string() == "identify" ? SegmentCall::kIdentify
                    : type != nullptr && type->as_string() == "page"   ? SegmentCall::kPage
                                                                       : SegmentCall::kTrack);
  }
  for (auto _ : state) {
    for (size_t i = 0; i < parsed.size(); ++i) {
      auto violations = plan.validate(parsed[i], calls[i]);
      if (!violations.empty()) state.SkipWithError(violations.front().reason.c_str());
    }
  }
  report(state, kBulkLines, 0);
}
BENCHMARK(BM_TrackingPlanValidateOnly)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace eddy
