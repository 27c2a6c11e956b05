// Sessionizer: gap-based sessions per customer, out-of-order placement and merging, lateness,
// forced closes, the profile and features, snapshots, merging keys for identity resolution, and
// determinism across worker counts.

#include "operators/sessionizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <cstring>
#include <map>
#include <random>
#include <set>

#include "runtime/batch_builder.h"
#include "runtime/event_types.h"
#include "runtime/key_hash.h"
#include "runtime/sink.h"
#include "runtime/stage_instance.h"
#include "runtime/topology_builder.h"
#include "tests/harness/harness.h"
#include "tests/harness/instance_driver.h"
#include "tests/harness/test_operators.h"

namespace eddy {
namespace {

using testing::ev;
using testing::Harness;
using testing::HarnessOptions;
using testing::Step;

constexpr int64_t kGap = 1000;  // a short gap keeps the scripts readable
constexpr int64_t kT0 = 1'700'000'000'000;

std::shared_ptr<OperatorRegistry> registry() {
  auto r = testing::test_registry();
  EXPECT_TRUE(r->contains("sessionizer")) << "registered by register_builtin_operators";
  return r;
}

TopologySpec topology(boost::json::object config = {{"gap_ms", kGap}}) {
  auto built = TopologyBuilder("sessions", registry())
                   .accept_types({"page", "screen", "identify", "Product Viewed", "Product Added",
                                  "Order Completed", "Cart Abandoned", "Session Ended"})
                   .stage("customers")
                   .op("sessions", "sessionizer", std::move(config))
                   .op("seen", "keyed_counter", {{"label", "seen"}})
                   .sink("ended", {"Session Ended"})
                   .build();
  EXPECT_TRUE(built.is_ok()) << built.status().to_string();
  return std::move(built).value();
}

// A "Session Ended" event as the sink received it.
struct Ended {
  std::string key;
  int64_t time = 0;
  std::map<std::string, std::string> props;

  const std::string& operator[](const std::string& name) const { return props.at(name); }
  bool operator==(const Ended&) const = default;
};

std::vector<Ended> ended(const Harness& h) {
  std::vector<Ended> out;
  for (const auto& r : h.sink("ended")) {
    Ended e{r.key, r.time.value(), {}};
    for (const auto& [name, value] : r.props)
      e.props[name] = value;
    out.push_back(std::move(e));
  }
  return out;
}

std::unique_ptr<Harness> harness(TopologySpec spec, HarnessOptions o = {}) {
  auto h = Harness::create(std::move(spec), o);
  EXPECT_TRUE(h.is_ok()) << h.status().to_string();
  return std::move(h).value();
}

boost::json::object sessions_of(Harness& h, const std::string& key) {
  auto q = h.query("customers", key);
  EXPECT_TRUE(q.is_ok()) << q.status().to_string();
  return q.is_ok() ? q->at("sessions").as_object() : boost::json::object{};
}

uint64_t side_output_count(Harness& h, const std::string& name) {
  auto m = h.engine().metrics();
  EXPECT_TRUE(m.is_ok());
  uint64_t n = 0;
  for (const auto& w : m->workers) {
    auto it = w.side_outputs.find(name);
    if (it != w.side_outputs.end()) n += it->second;
  }
  return n;
}

// ---- The ordinary path --------------------------------------------------------------------------

TEST(Sessionizer, SummarisesAFunnelWhenTheWatermarkPassesLastEventPlusTheDefaultGap) {
  auto h = harness(topology({}));  // default gap: 30 minutes
  const int64_t gap = Sessionizer::kDefaultGapMs;
  const int64_t last = kT0 + 10 * kMillisPerMinute;
  ASSERT_TRUE(
      h->run({ev("u1", "page", kT0).prop("channel", "email").prop("referrer", "https://m.x/"),
              ev("u1", "Product Viewed", kT0 + 60'000).item("sku-1"),
              ev("u1", "Product Viewed", kT0 + 120'000).item("sku-2"),
              ev("u1", "Product Added", kT0 + 180'000).item("sku-2"),
              ev("u1", "identify", kT0 + 200'000),
              ev("u1", "Order Completed", kT0 + 240'000).amount(42),
              ev("u1", "screen", last).prop("channel", "push"), Step::watermark(last + gap - 1)})
          .is_ok());
  EXPECT_TRUE(ended(*h).empty()) << "one millisecond before last event + gap, still open";
  auto open = sessions_of(*h, "u1");
  EXPECT_EQ(open.at("count").as_uint64(), 0u);
  EXPECT_TRUE(open.at("last").is_null());
  EXPECT_TRUE(open.at("avg_duration_s").is_null());
  EXPECT_EQ(open.at("open").as_uint64(), 1u);
  EXPECT_EQ(open.at("current").at("product_views").as_uint64(), 2u);
  EXPECT_EQ(open.at("current").at("converted").as_bool(), true);

  ASSERT_TRUE(h->run({Step::watermark(last + gap)}).is_ok());
  auto out = ended(*h);
  ASSERT_EQ(out.size(), 1u);
  const Ended& e = out[0];
  EXPECT_EQ(e.key, "u1");
  EXPECT_EQ(e.time, last + gap);
  EXPECT_EQ(e["start_ms"], std::to_string(kT0));
  EXPECT_EQ(e["end_ms"], std::to_string(last));
  EXPECT_EQ(e["duration_ms"], std::to_string(10 * kMillisPerMinute));
  EXPECT_EQ(e["events"], "7");
  EXPECT_EQ(e["page_views"], "2");
  EXPECT_EQ(e["product_views"], "2");
  EXPECT_EQ(e["cart_adds"], "1");
  EXPECT_EQ(e["converted"], "true");
  EXPECT_EQ(e["channel"], "email");
  EXPECT_EQ(e["referrer"], "https://m.x/");
  EXPECT_EQ(e["forced_close"], "false");
  EXPECT_EQ(e["trigger_id"].size(), 16u);

  auto closed = sessions_of(*h, "u1");
  EXPECT_EQ(closed.at("count").as_uint64(), 1u);
  EXPECT_DOUBLE_EQ(closed.at("avg_duration_s").as_double(), 600.0);
  EXPECT_TRUE(closed.at("current").is_null());
  EXPECT_EQ(closed.at("open").as_uint64(), 0u);
  const auto& last_json = closed.at("last").as_object();
  EXPECT_EQ(last_json.at("start_ms").as_int64(), kT0);
  EXPECT_EQ(last_json.at("duration_ms").as_int64(), 10 * kMillisPerMinute);
  EXPECT_EQ(last_json.at("events").as_uint64(), 7u);
  EXPECT_EQ(last_json.at("channel").as_string(), "email");
  // The sessionizer only observes: every input event and the emitted one went on down the stage.
  EXPECT_EQ(h->query("customers", "u1")->at("seen").at("count").as_uint64(), 8u);
}

TEST(Sessionizer, TriggerIdsAreTheSameForTheSameInput) {
  const std::vector<Step> script = {ev("u1", "page", 1000), ev("u1", "page", 1500),
                                    ev("u1", "page", 5000), ev("u2", "page", 1000),
                                    Step::watermark(100'000)};
  auto a = harness(topology());
  auto b = harness(topology());
  ASSERT_TRUE(a->run(script).is_ok());
  ASSERT_TRUE(b->run(script).is_ok());
  const auto ea = ended(*a);
  ASSERT_EQ(ea.size(), 3u);
  EXPECT_EQ(ea, ended(*b));
  std::set<std::string> ids;
  for (const auto& e : ea)
    ids.insert(e["trigger_id"]);
  EXPECT_EQ(ids.size(), 3u) << "every session has its own id";
}

// ---- Edges of the gap ---------------------------------------------------------------------------

TEST(Sessionizer, AnEventLessThanAGapAwayJoinsAndOneExactlyAGapAwayStartsANewSession) {
  struct Case {
    const char* name;
    int64_t offset;  // of the second event from the first
    size_t sessions;
  };
  const Case cases[] = {
      {"gap - 1 after", kGap - 1, 1},   {"exactly gap after", kGap, 2},
      {"gap + 1 after", kGap + 1, 2},   {"gap - 1 before", -(kGap - 1), 1},
      {"exactly gap before", -kGap, 2}, {"same millisecond", 0, 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto h = harness(topology());
    ASSERT_TRUE(h->run({ev("u1", "page", 10'000), ev("u1", "page", 10'000 + c.offset),
                        Step::watermark(1'000'000)})
                    .is_ok());
    EXPECT_EQ(ended(*h).size(), c.sessions);
  }
}

TEST(Sessionizer, ClosesExactlyWhenTheWatermarkReachesLastEventPlusGap) {
  struct Case {
    int64_t watermark;
    bool closed;
    size_t sessions_with_event_at_end_plus_gap;
  };
  const int64_t last = 10'500;
  for (const Case c : {Case{last + kGap - 1, false, 2}, Case{last + kGap, true, 2},
                       Case{last + kGap + 1, true, 1}}) {
    SCOPED_TRACE("watermark " + std::to_string(c.watermark));
    auto h = harness(topology());
    ASSERT_TRUE(
        h->run({ev("u1", "page", 10'000), ev("u1", "page", last), Step::watermark(c.watermark)})
            .is_ok());
    const auto out = ended(*h);
    ASSERT_EQ(out.size(), c.closed ? 1u : 0u);
    if (c.closed) {
      EXPECT_EQ(out[0].time, last + kGap) << "emitted at end + gap, not at the watermark";
    }
    // An event at exactly end + gap opens a new session, unless the watermark already passed it.
    ASSERT_TRUE(h->run({ev("u1", "page", last + kGap), Step::watermark(1'000'000)}).is_ok());
    EXPECT_EQ(ended(*h).size(), c.sessions_with_event_at_end_plus_gap);
    EXPECT_EQ(h->side_output("late").size(), 2 - c.sessions_with_event_at_end_plus_gap);
  }
}

// ---- Out of order and late ----------------------------------------------------------------------

TEST(Sessionizer, AnOlderEventExtendsTheSessionAndBecomesItsFirstEvent) {
  auto h = harness(topology());
  ASSERT_TRUE(h->run({ev("u1", "Product Viewed", 10'000).prop("channel", "cpc"),
                      ev("u1", "page", 9'200).prop("channel", "email").prop("referrer", "r1"),
                      // Same time as the earliest: the one that arrived first keeps its place.
                      ev("u1", "page", 9'200).prop("channel", "social"), Step::watermark(100'000)})
                  .is_ok());
  const auto out = ended(*h);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]["start_ms"], "9200");
  EXPECT_EQ(out[0]["end_ms"], "10000");
  EXPECT_EQ(out[0]["events"], "3");
  EXPECT_EQ(out[0]["channel"], "email");
  EXPECT_EQ(out[0]["referrer"], "r1");
}

TEST(Sessionizer, AnOldEventBetweenTwoSessionsStartsOneOfItsOwn) {
  auto h = harness(topology());
  ASSERT_TRUE(h->run({ev("u1", "page", 10'000), ev("u1", "page", 14'000),
                      ev("u1", "Product Viewed", 12'000), Step::watermark(12'999)})
                  .is_ok());
  EXPECT_EQ(sessions_of(*h, "u1").at("open").as_uint64(), 2u);
  ASSERT_TRUE(h->run({Step::watermark(100'000)}).is_ok());
  const auto out = ended(*h);
  ASSERT_EQ(out.size(), 3u);
  std::vector<std::string> starts;
  for (const auto& e : out)
    starts.push_back(e["start_ms"]);
  EXPECT_EQ(starts, (std::vector<std::string>{"10000", "12000", "14000"}));
}

TEST(Sessionizer, MergesSessionsBridgedByLateEvent) {
  HarnessOptions o;
  o.allowed_lateness_ms = 2000;
  auto h = harness(topology(), o);
  ASSERT_TRUE(
      h->run({ev("u1", "page", 10'000).prop("channel", "a"),
              ev("u1", "Product Viewed", 11'800).prop("channel", "b"), Step::watermark(11'900)})
          .is_ok());
  EXPECT_EQ(sessions_of(*h, "u1").at("open").as_uint64(), 2u);
  // Behind the watermark but inside the allowed lateness, and less than a gap from both.
  ASSERT_TRUE(h->run({ev("u1", "Product Added", 10'900), Step::watermark(100'000)}).is_ok());
  const auto out = ended(*h);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]["start_ms"], "10000");
  EXPECT_EQ(out[0]["end_ms"], "11800");
  EXPECT_EQ(out[0]["events"], "3");
  EXPECT_EQ(out[0]["product_views"], "1");
  EXPECT_EQ(out[0]["cart_adds"], "1");
  EXPECT_EQ(out[0]["channel"], "a");
  EXPECT_TRUE(h->side_output("late").empty());
  EXPECT_EQ(sessions_of(*h, "u1").at("count").as_uint64(), 1u);
}

TEST(Sessionizer, EventsBeyondTheAllowedLatenessGoToTheLateSideOutputAndChangeNothing) {
  auto h = harness(topology());
  ASSERT_TRUE(
      h->run({ev("u1", "page", 10'000), Step::watermark(10'500), ev("u1", "Product Viewed", 10'499),
              ev("u1", "Product Viewed", 10'500), Step::watermark(100'000)})
          .is_ok());
  const auto late = h->side_output("late");
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].time, EventTime(10'499));
  const auto out = ended(*h);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]["events"], "2");
  EXPECT_EQ(out[0]["product_views"], "1");
  // Late for sessions, but still handed on to the operators after it.
  EXPECT_EQ(h->query("customers", "u1")->at("seen").at("count").as_uint64(), 4u);
}

TEST(Sessionizer, WithAllowedLatenessASessionClosesOnlyWhenNoEventCouldStillJoinIt) {
  HarnessOptions o;
  o.allowed_lateness_ms = 500;
  struct Case {
    int64_t watermark;
    bool closed;
  };
  // Last event 11'000, gap 1000, lateness 500: an event at 11'999 is accepted until the watermark
  // passes 12'499, so the session closes at 12'500.
  for (const Case c : {Case{11'000 + kGap, false}, Case{12'499, false}, Case{12'500, true}}) {
    SCOPED_TRACE("watermark " + std::to_string(c.watermark));
    auto h = harness(topology(), o);
    ASSERT_TRUE(h->run({ev("u1", "page", 11'000), Step::watermark(c.watermark)}).is_ok());
    ASSERT_EQ(ended(*h).size(), c.closed ? 1u : 0u);
    ASSERT_TRUE(h->run({ev("u1", "page", 11'999), Step::watermark(1'000'000)}).is_ok());
    const auto out = ended(*h);
    if (c.closed) {
      EXPECT_EQ(out.size(), 1u) << "the event was late";
      EXPECT_EQ(h->side_output("late").size(), 1u);
    } else {
      ASSERT_EQ(out.size(), 1u) << "the event joined the open session";
      EXPECT_EQ(out[0]["end_ms"], "11999");
      EXPECT_EQ(out[0].time, 11'999 + kGap);
    }
  }
}

// ---- Bounds and bad input -----------------------------------------------------------------------

TEST(Sessionizer, TooManyOpenSessionsCloseTheOldestEarly) {
  auto h = harness(topology({{"gap_ms", kGap}, {"max_open_sessions", 2}}));
  ASSERT_TRUE(h->run({ev("u1", "page", 10'000), ev("u1", "page", 20'000), ev("u1", "page", 30'000),
                      // Older than every open session: it is the oldest, so it goes at once.
                      ev("u1", "page", 5'000)})
                  .is_ok());
  auto out = ended(*h);
  ASSERT_EQ(out.size(), 2u);
  // Sorted by time: end + gap.
  EXPECT_EQ(out[0]["start_ms"], "5000");
  EXPECT_EQ(out[0]["forced_close"], "true");
  EXPECT_EQ(out[1]["start_ms"], "10000");
  EXPECT_EQ(out[1]["forced_close"], "true");
  EXPECT_EQ(side_output_count(*h, "session_forced_close"), 2u);
  auto s = sessions_of(*h, "u1");
  EXPECT_EQ(s.at("count").as_uint64(), 2u);
  EXPECT_EQ(s.at("open").as_uint64(), 2u);
  EXPECT_EQ(s.at("current").at("start_ms").as_int64(), 30'000);

  ASSERT_TRUE(h->run({Step::watermark(1'000'000)}).is_ok());
  out = ended(*h);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(side_output_count(*h, "session_forced_close"), 2u);
  EXPECT_EQ(sessions_of(*h, "u1").at("count").as_uint64(), 4u);
}

TEST(Sessionizer, RejectsEventsItCannotUseAndLeavesSessionsAlone) {
  auto h = harness(topology());
  ASSERT_TRUE(h->run({ev("u1", "page", 10'000), ev("u1", "page", -5),
                      ev("u1", "page", 10'100).prop("channel", 7.0),
                      ev("u1", "page", 10'200).prop("referrer", 1.0),
                      ev("u1", "page", 9'900).prop("channel", std::string(1000, 'c')),
                      Step::watermark(1'000'000)})
                  .is_ok());
  const auto rejected = h->side_output("rejected");
  EXPECT_EQ(rejected.size(), 3u);
  auto m = h->engine().metrics();
  ASSERT_TRUE(m.is_ok());
  std::map<std::string, uint64_t> reasons;
  for (const auto& w : m->workers) {
    for (const auto& [reason, n] : w.rejected)
      reasons[reason] += n;
  }
  EXPECT_EQ(reasons,
            (std::map<std::string, uint64_t>{
                {"channel_not_string", 1}, {"referrer_not_string", 1}, {"time_out_of_range", 1}}));
  const auto out = ended(*h);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]["events"], "2");
  EXPECT_EQ(out[0]["end_ms"], "10000");
  EXPECT_EQ(out[0]["channel"].size(), Sessionizer::kMaxLabelBytes) << "long labels are cut";
}

TEST(Sessionizer, DerivedEventsAreNotActivity) {
  auto h = harness(topology());
  ASSERT_TRUE(h->run({ev("u1", "Cart Abandoned", 10'000), ev("u1", "Session Ended", 10'000),
                      Step::watermark(1'000'000)})
                  .is_ok());
  const auto out = ended(*h);
  ASSERT_EQ(out.size(), 1u) << "only the input event itself, passed on";
  EXPECT_TRUE(out[0].props.empty());
  EXPECT_EQ(sessions_of(*h, "u1").at("open").as_uint64(), 0u);
  EXPECT_EQ(sessions_of(*h, "u1").at("count").as_uint64(), 0u);
}

TEST(Sessionizer, CountsOnlyTheConfiguredTypes) {
  auto h = harness(
      topology({{"gap_ms", kGap}, {"types", boost::json::array{"page", "Product Viewed"}}}));
  ASSERT_TRUE(h->run({ev("u1", "page", 10'000), ev("u1", "identify", 10'500),
                      ev("u1", "Order Completed", 10'600), ev("u1", "Product Viewed", 10'700),
                      Step::watermark(1'000'000)})
                  .is_ok());
  const auto out = ended(*h);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]["events"], "2");
  EXPECT_EQ(out[0]["converted"], "false");
}

TEST(Sessionizer, RejectsConfigurationsItCannotRun) {
  EventTypeRegistry types;
  types.add_all({"page", "Product Viewed", "Session Ended", "Visit Over"});
  EventTypeRegistry without_ended;
  without_ended.add_all({"page"});
  struct Case {
    const char* name;
    boost::json::object config;
    const EventTypeRegistry* types;
    const char* error;  // a part of the message; empty when the config is fine
  };
  const Case cases[] = {
      {"defaults", {}, &types, ""},
      {"everything set",
       {{"gap_ms", 60'000},
        {"max_open_sessions", 8},
        {"emit_type", "Visit Over"},
        {"types", boost::json::array{"page"}}},
       &types,
       ""},
      {"zero gap", {{"gap_ms", 0}}, &types, "'gap_ms'"},
      {"negative gap", {{"gap_ms", -5}}, &types, "'gap_ms'"},
      {"fractional gap", {{"gap_ms", 1.5}}, &types, "'gap_ms'"},
      {"text gap", {{"gap_ms", "30m"}}, &types, "'gap_ms'"},
      {"gap over a year", {{"gap_ms", Sessionizer::kMaxGapMs + 1}}, &types, "'gap_ms'"},
      {"no open sessions", {{"max_open_sessions", 0}}, &types, "'max_open_sessions'"},
      {"too many open sessions", {{"max_open_sessions", 65}}, &types, "'max_open_sessions'"},
      {"emit type not accepted", {{"emit_type", "Nope"}}, &types, "must accept 'Nope'"},
      {"default emit type not accepted", {}, &without_ended, "must accept 'Session Ended'"},
      {"empty emit type", {{"emit_type", ""}}, &types, "'emit_type'"},
      {"unknown activity type",
       {{"types", boost::json::array{"Nope"}}},
       &types,
       "'Nope' is not accepted"},
      {"own output as activity",
       {{"types", boost::json::array{"Session Ended"}}},
       &types,
       "cannot be its own activity"},
      {"empty types", {{"types", boost::json::array{}}}, &types, "'types'"},
      {"types not a list", {{"types", "page"}}, &types, "'types'"},
      {"misspelt setting", {{"gap", 1000}}, &types, "unknown setting 'gap'"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto made = Sessionizer::create(OperatorArgs{c.config, *c.types});
    if (std::string(c.error).empty()) {
      EXPECT_TRUE(made.is_ok()) << made.status().to_string();
    } else {
      ASSERT_FALSE(made.is_ok());
      EXPECT_EQ(made.status().code(), Errc::kInvalidArgument);
      EXPECT_NE(made.status().message().find(c.error), std::string::npos)
          << made.status().message();
    }
  }
}

// ---- StageInstance level: features and snapshots ------------------------------------------------

// Records everything that leaves a stage instance, in order, with properties.
class Recorder final : public StageOutput {
 public:
  explicit Recorder(const EventTypeRegistry& types) : types_(types) {}
  void output(StageId, const EventRef& e) override { out.push_back("out " + describe(e)); }
  void side_output(StageId, std::string_view name, const EventRef& e) override {
    out.push_back(std::string(name) + " " + describe(e));
  }
  void rejected(StageId, std::string_view reason, const EventRef& e) override {
    out.push_back("rejected:" + std::string(reason) + " " + describe(e));
  }
  std::vector<std::string> out;

 private:
  std::string describe(const EventRef& e) const {
    std::string s = std::string(e.key()) + " " + std::string(types_.name(e.type())) + "@" +
                    std::to_string(e.time().value());
    for (size_t i = 0; i < e.prop_count(); ++i)
      s += " " + std::string(e.prop_name(i)) + "=" + render_prop_value(e.prop_value(i));
    return s;
  }
  const EventTypeRegistry& types_;
};

struct In {
  const char* key;
  const char* type;
  int64_t time;
  const char* channel = nullptr;
};

void feed(StageInstance& inst, Recorder& out, const EventTypeRegistry& types,
          const std::vector<In>& events, int64_t watermark) {
  BatchBuilder b;
  for (const In& in : events) {
    PropDraft channel{"channel", PropValue::of_string(in.channel ? in.channel : "")};
    EventDraft d;
    d.key = in.key;
    d.type = types.find(in.type);
    d.time = EventTime(in.time);
    if (in.channel) d.props = std::span<const PropDraft>(&channel, 1);
    b.add(d);
  }
  EventBatch batch = b.finish();
  for (const Event& e : batch.events)
    inst.on_event(EventRef(e, *batch.payload), EventTime(watermark), out);
}

std::unique_ptr<StageInstance> instance(const TopologySpec& spec, int64_t lateness = 0) {
  auto inst = StageInstance::create(spec, StageId(0), KeyGroup(0), EventTime(lateness));
  EXPECT_TRUE(inst.is_ok()) << inst.status().to_string();
  return std::move(inst).value();
}

FeatureValue feature(const StageInstance& inst, const char* path, const char* key) {
  const auto* f = inst.features().find(path);
  EXPECT_NE(f, nullptr) << path;
  auto slot = inst.slots().find(hash_key(key));
  EXPECT_TRUE(slot.has_value()) << key;
  return f && slot ? f->get(*slot, EventTime(0)) : FeatureValue::missing();
}

TEST(Sessionizer, PublishesTheCurrentSessionExactlyForBehaviouralTriggers) {
  const TopologySpec spec = topology();
  auto inst = instance(spec);
  const auto& types = spec.types();
  Recorder out(types);
  std::vector<std::string> paths = inst->features().paths();
  std::erase_if(paths, [](const std::string& p) { return !p.starts_with("sessions."); });
  EXPECT_EQ(paths,
            (std::vector<std::string>{"sessions.avg_duration_s", "sessions.count",
                                      "sessions.current.cart_adds", "sessions.current.converted",
                                      "sessions.current.events", "sessions.current.product_views",
                                      "sessions.last.converted", "sessions.last.duration_s"}));
  // Six product views, one of them out of order, one bridging two open sessions.
  feed(*inst, out, types,
       {{"u1", "Product Viewed", 10'000},
        {"u1", "Product Viewed", 11'500},
        {"u1", "Product Viewed", 10'200},
        {"u1", "Product Added", 10'300},
        {"u1", "Product Viewed", 9'800},
        {"u1", "Product Viewed", 12'000},
        {"u1", "Product Viewed", 11'000}},
       9'000);
  EXPECT_EQ(feature(*inst, "sessions.current.product_views", "u1").number, 6);
  EXPECT_EQ(feature(*inst, "sessions.current.cart_adds", "u1").number, 1);
  EXPECT_EQ(feature(*inst, "sessions.current.events", "u1").number, 7);
  EXPECT_EQ(feature(*inst, "sessions.current.converted", "u1").kind, FeatureValue::Kind::kBool);
  EXPECT_FALSE(feature(*inst, "sessions.current.converted", "u1").flag);
  EXPECT_EQ(feature(*inst, "sessions.count", "u1").number, 0);
  EXPECT_EQ(feature(*inst, "sessions.avg_duration_s", "u1").kind, FeatureValue::Kind::kMissing);
  EXPECT_EQ(feature(*inst, "sessions.last.converted", "u1").kind, FeatureValue::Kind::kMissing);

  feed(*inst, out, types, {{"u1", "Order Completed", 12'500}}, 9'000);
  EXPECT_TRUE(feature(*inst, "sessions.current.converted", "u1").flag);

  inst->on_watermark(EventTime(12'500 + kGap), out);
  EXPECT_EQ(feature(*inst, "sessions.current.product_views", "u1").kind,
            FeatureValue::Kind::kMissing)
      << "no session is open";
  EXPECT_EQ(feature(*inst, "sessions.count", "u1").number, 1);
  EXPECT_DOUBLE_EQ(feature(*inst, "sessions.last.duration_s", "u1").number, 2.7);
  EXPECT_DOUBLE_EQ(feature(*inst, "sessions.avg_duration_s", "u1").number, 2.7);
  EXPECT_TRUE(feature(*inst, "sessions.last.converted", "u1").flag);
}

TEST(Sessionizer, TheCurrentSessionIsTheNewestOpenOne) {
  const TopologySpec spec = topology();
  auto inst = instance(spec);
  Recorder out(spec.types());
  feed(*inst, out, spec.types(),
       {{"u1", "Product Viewed", 20'000},
        {"u1", "Product Viewed", 10'000},
        {"u1", "Product Viewed", 10'100}},
       0);
  EXPECT_EQ(feature(*inst, "sessions.current.product_views", "u1").number, 1);
}

TEST(Sessionizer, WithUnboundedLatenessSessionsCloseOnlyAtTheEndOfTime) {
  const TopologySpec spec = topology();
  auto inst = instance(spec, INT64_MAX);
  Recorder out(spec.types());
  feed(*inst, out, spec.types(), {{"u1", "page", 10'000}}, 0);
  inst->on_watermark(EventTime(int64_t{1} << 62), out);
  EXPECT_EQ(feature(*inst, "sessions.count", "u1").number, 0) << "an event could still join";
  inst->on_watermark(EventTime(INT64_MAX), out);
  EXPECT_EQ(feature(*inst, "sessions.count", "u1").number, 1);
  EXPECT_EQ(inst->timer_count(), 0u);
}

// Arrives at watermark 25'000: the Product Added is late without allowed lateness and bridges
// u2's sessions with it.
std::vector<In> further_input() {
  return {{"u3", "page", 30'000, "email"},
          {"u1", "Product Viewed", 20'400},
          {"u2", "page", 25'000},
          {"u2", "Product Added", 24'500, "ads"},
          {"u1", "Order Completed", 21'000}};
}

TEST(Sessionizer, RestoringASnapshotContinuesExactlyLikeTheOriginal) {
  for (const int64_t lateness : {int64_t{0}, int64_t{700}}) {
    SCOPED_TRACE("allowed lateness " + std::to_string(lateness));
    const TopologySpec spec = topology({{"gap_ms", kGap}, {"max_open_sessions", 3}});
    const auto& types = spec.types();
    auto original = instance(spec, lateness);
    Recorder before(types);
    feed(*original, before, types,
         {{"u1", "page", 10'000, "email"},
          {"u1", "page", 12'000, "cpc"},
          {"u1", "Product Viewed", 20'000},
          {"u2", "page", 15'000, "direct"},
          {"u2", "page", 24'000},
          {"u1", "page", 9'500, "social"}},
         9'000);
    original->on_watermark(EventTime(14'000), before);
    ASSERT_FALSE(before.out.empty());

    StateWriter w;
    original->snapshot(w);
    auto restored = instance(spec, lateness);
    StateReader r(w.bytes());
    ASSERT_TRUE(restored->restore(r).is_ok());
    EXPECT_TRUE(r.at_end());
    StateWriter again;
    restored->snapshot(again);
    EXPECT_EQ(again.bytes(), w.bytes()) << "restore keeps everything the snapshot holds";

    Recorder a(types), b(types);
    for (auto [inst, rec] : {std::pair{original.get(), &a}, std::pair{restored.get(), &b}}) {
      feed(*inst, *rec, types, further_input(), 25'000);
      inst->on_watermark(EventTime(25'600), *rec);
      feed(*inst, *rec, types, {{"u2", "page", 25'000}, {"u1", "page", 50'000}}, 25'600);
      inst->on_watermark(EventTime(1'000'000), *rec);
    }
    EXPECT_EQ(a.out, b.out);
    EXPECT_GE(std::count_if(a.out.begin(), a.out.end(),
                            [](const std::string& s) { return s.find("Session Ended") != s.npos; }),
              5);
    for (const char* key : {"u1", "u2", "u3"}) {
      EXPECT_EQ(original->query(hash_key(key), EventTime(0)),
                restored->query(hash_key(key), EventTime(0)))
          << key;
    }
  }
}

TEST(Sessionizer, RejectsTruncatedOrMismatchedSnapshots) {
  const TopologySpec spec = topology();
  auto inst = instance(spec);
  Recorder out(spec.types());
  feed(*inst, out, spec.types(),
       {{"u1", "page", 10'000, "email"}, {"u2", "page", 10'000}, {"u1", "page", 20'000}}, 0);
  inst->on_watermark(EventTime(12'000), out);
  StateWriter w;
  inst->op(0).snapshot(w);
  const std::string bytes = w.bytes();
  auto fresh = [&] {
    auto made =
        Sessionizer::create(OperatorArgs{boost::json::object{{"gap_ms", kGap}}, spec.types()});
    EXPECT_TRUE(made.is_ok());
    return std::move(made).value();
  };
  {
    StateReader whole(bytes);
    EXPECT_TRUE(fresh()->restore(whole, 2).is_ok());
  }
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    StateReader r(std::string_view(bytes).substr(0, cut));
    const Status st = fresh()->restore(r, 2);
    EXPECT_EQ(st.code(), Errc::kCorrupt) << "cut at " << cut << ": " << st.to_string();
  }
  StateReader wrong_slots(bytes);
  EXPECT_EQ(fresh()->restore(wrong_slots, 3).code(), Errc::kCorrupt);
}

// ---- Identity resolution: merging one key into another
// -------------------------------------------

using testing::InstanceDriver;

// The same script with every event under "user": what one key seeing the whole history holds.
std::vector<Step> under_user(std::vector<Step> steps) {
  for (Step& s : steps) {
    if (s.kind == Step::Kind::kEvent) s.event.key = "user";
  }
  return steps;
}

// Only the steps another instance sees: the events of `key` and every watermark.
std::vector<Step> only(const std::vector<Step>& steps, const std::string& key) {
  std::vector<Step> out;
  for (const Step& s : steps) {
    if (s.kind != Step::Kind::kEvent || s.event.key == key) out.push_back(s);
  }
  return out;
}

boost::json::value sessions_in(const InstanceDriver& d, const std::string& key) {
  const auto q = d.query(key);
  return q ? q->at("sessions") : boost::json::value();
}

boost::json::value no_sessions() {
  return boost::json::object{{"count", 0},
                             {"avg_duration_s", nullptr},
                             {"last", nullptr},
                             {"open", 0},
                             {"current", nullptr}};
}

std::vector<CollectingSink::Record> ended_since(const InstanceDriver& d, size_t mark) {
  auto all = d.outputs("Session Ended");
  return {all.begin() + static_cast<std::ptrdiff_t>(std::min(mark, all.size())), all.end()};
}

// The property every merge must have: `history` split between "anon" and "user", then "anon" moved
// into "user" (on the same instance, or into another instance that held "user"), and then `then`,
// gives the profile and the "Session Ended" events that the same history under "user" from the
// start gives. The old key is left empty and ends no session.
void expect_merge_matches_one_key(const std::vector<Step>& history, const std::vector<Step>& then,
                                  size_t min_ended_after) {
  const TopologySpec spec = topology();
  for (const int64_t lateness : {int64_t{0}, int64_t{400}}) {
    for (const bool across : {false, true}) {
      SCOPED_TRACE("allowed lateness " + std::to_string(lateness) +
                   (across ? ", into another instance" : ", on one instance"));
      auto whole = InstanceDriver::create(spec, lateness);
      auto split = InstanceDriver::create(spec, lateness);
      auto anon = across ? InstanceDriver::create(spec, lateness) : nullptr;
      ASSERT_TRUE(whole && split && (anon || !across));
      whole->run(under_user(history));
      if (across) {
        anon->run(only(history, "anon"));
        split->run(only(history, "user"));
        anon->move("anon", "user", split.get());
      } else {
        split->run(history);
        split->move("anon", "user");
      }
      InstanceDriver& old = across ? *anon : *split;
      EXPECT_EQ(sessions_in(*split, "user"), sessions_in(*whole, "user"));
      EXPECT_EQ(sessions_in(old, "anon"), no_sessions());

      // Step by step, so that a session ending at a later watermark than one key would end it
      // shows.
      const size_t split_mark = split->outputs("Session Ended").size();
      const size_t whole_mark = whole->outputs("Session Ended").size();
      const size_t old_mark = old.outputs("Session Ended").size();
      for (const Step& step : then) {
        split->run({step});
        whole->run({step});
        if (across) anon->run({step});
        EXPECT_EQ(ended_since(*split, split_mark), ended_since(*whole, whole_mark))
            << (step.kind == Step::Kind::kWatermark ? "after the watermark "
                                                    : "after the event at ")
            << (step.kind == Step::Kind::kWatermark ? step.watermark_ms : step.event.time_ms);
      }
      EXPECT_GE(ended_since(*whole, whole_mark).size(), min_ended_after);
      EXPECT_EQ(sessions_in(*split, "user"), sessions_in(*whole, "user"));
      for (const auto& r : ended_since(old, old_mark))
        EXPECT_NE(r.key, "anon") << "a session ended for the old key at " << r.time.value();
      EXPECT_EQ(sessions_in(old, "anon"), no_sessions());
    }
  }
}

TEST(SessionizerMerge, AnAnonymousOnlyHistoryBecomesTheUsersHistory) {
  expect_merge_matches_one_key(
      {ev("anon", "page", 10'000).prop("channel", "email").prop("referrer", "https://m.x/"),
       ev("anon", "Product Viewed", 10'500), Step::watermark(12'000),
       ev("anon", "page", 20'000).prop("channel", "cpc"), ev("anon", "Product Added", 20'300)},
      {ev("user", "Order Completed", 20'900), Step::watermark(21'000), ev("user", "page", 30'000),
       Step::watermark(100'000)},
      2);
}

// Open sessions that overlap, or that a session of the other key bridges, become one; closed ones
// of both keys that one key would also have kept apart add up.
TEST(SessionizerMerge, InterleavedOverlappingHistoriesBecomeOneKeysSessions) {
  expect_merge_matches_one_key(
      {ev("anon", "page", 5'000).prop("channel", "email"), ev("anon", "page", 5'300),
       ev("user", "page", 8'000).prop("channel", "direct"), Step::watermark(9'500),
       ev("anon", "page", 10'000).prop("channel", "email"),
       ev("user", "Product Viewed", 10'200).prop("channel", "cpc"),
       ev("user", "page", 9'950).prop("channel", "social").prop("referrer", "https://s/"),
       ev("anon", "Product Added", 10'900), ev("user", "page", 11'800),
       ev("anon", "Order Completed", 11'000), ev("user", "page", 14'000),
       ev("user", "page", 15'500), ev("anon", "Product Viewed", 14'700)},
      {Step::watermark(13'000), ev("user", "Product Viewed", 15'900), Step::watermark(100'000)}, 2);
}

// The old key's session is the older: the surviving key's timer must come earlier.
TEST(SessionizerMerge, NonOverlappingHistoriesKeepTheirSessionsApart) {
  expect_merge_matches_one_key(
      {Step::watermark(9'000), ev("anon", "page", 10'000).prop("channel", "email"),
       ev("anon", "page", 10'400), ev("user", "page", 15'000).prop("channel", "cpc"),
       ev("user", "Order Completed", 15'200)},
      {Step::watermark(11'400), Step::watermark(11'800), Step::watermark(100'000)}, 2);
}

TEST(SessionizerMerge, NonOverlappingHistoriesWithTheOldKeysSessionNewer) {
  expect_merge_matches_one_key(
      {ev("user", "page", 3'000), Step::watermark(9'000),
       ev("user", "page", 10'000).prop("channel", "email"), ev("anon", "page", 12'000),
       ev("anon", "page", 12'500).prop("channel", "cpc"), ev("anon", "page", 11'500)},
      {Step::watermark(11'000), Step::watermark(13'500), Step::watermark(100'000)}, 2);
}

TEST(SessionizerMerge, AnOpenSessionOnEachSideBecomesOneThatTheSurvivingKeysTimerCloses) {
  const TopologySpec spec = topology();
  auto d = InstanceDriver::create(spec);
  ASSERT_TRUE(d);
  d->run({Step::watermark(9'000), ev("anon", "page", 10'000).prop("channel", "email"),
          ev("user", "Product Viewed", 10'600).prop("channel", "cpc"),
          ev("anon", "Product Added", 10'300)});
  d->move("anon", "user");
  const auto merged = sessions_in(*d, "user");
  const auto& current = merged.at("current");
  EXPECT_EQ(merged.at("open").as_uint64(), 1u);
  EXPECT_EQ(current.at("start_ms").as_int64(), 10'000);
  EXPECT_EQ(current.at("end_ms").as_int64(), 10'600);
  EXPECT_EQ(current.at("events").as_uint64(), 3u);
  EXPECT_EQ(current.at("product_views").as_uint64(), 1u);
  EXPECT_EQ(current.at("cart_adds").as_uint64(), 1u);
  EXPECT_EQ(current.at("channel").as_string(), "email") << "the earlier start's";
  EXPECT_EQ(d->instance().timer_count(), 1u) << "one close timer, the surviving key's";

  d->watermark(11'599);
  EXPECT_TRUE(d->outputs("Session Ended").empty());
  d->watermark(11'600);
  const auto out = d->outputs("Session Ended");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].key, "user");
  const std::map<std::string, std::string> props(out[0].props.begin(), out[0].props.end());
  EXPECT_EQ(props.at("start_ms"), "10000");
  EXPECT_EQ(props.at("end_ms"), "10600");
  EXPECT_EQ(props.at("events"), "3");
  EXPECT_EQ(props.at("channel"), "email");
  EXPECT_EQ(d->instance().timer_count(), 0u);
}

// One key cannot tell which of two events of the same millisecond came first; the surviving key's
// labels stay.
TEST(SessionizerMerge, OnEqualStartsTheSurvivingKeysChannelAndReferrerStay) {
  const TopologySpec spec = topology();
  auto d = InstanceDriver::create(spec);
  ASSERT_TRUE(d);
  d->run({ev("anon", "page", 10'000).prop("channel", "email").prop("referrer", "https://m.x/"),
          ev("user", "page", 10'000).prop("channel", "cpc")});
  d->move("anon", "user");
  const auto s = sessions_in(*d, "user");
  EXPECT_EQ(s.at("current").at("events").as_uint64(), 2u);
  EXPECT_EQ(s.at("current").at("channel").as_string(), "cpc");
  EXPECT_TRUE(s.at("current").at("referrer").is_null());
}

// The surviving key's worker may be further on in event time: a moved session that no event can
// join there any more ends at once, under the surviving key, as that worker's timer would end it.
TEST(SessionizerMerge, AMovedSessionOverAtTheSurvivingWorkersWatermarkEndsAtOnce) {
  const TopologySpec spec = topology();
  auto behind = InstanceDriver::create(spec);
  auto ahead = InstanceDriver::create(spec);
  ASSERT_TRUE(behind && ahead);
  behind->run({Step::watermark(9'000), ev("anon", "page", 10'000), ev("anon", "page", 10'200)});
  ahead->run({ev("user", "page", 30'000), Step::watermark(20'000)});
  behind->move("anon", "user", ahead.get());
  const auto out = ahead->outputs("Session Ended");
  ASSERT_EQ(out.size(), 1u);
  const std::map<std::string, std::string> props(out[0].props.begin(), out[0].props.end());
  EXPECT_EQ(out[0].key, "user");
  EXPECT_EQ(props.at("start_ms"), "10000");
  EXPECT_EQ(props.at("end_ms"), "10200");
  EXPECT_EQ(props.at("forced_close"), "false");
  const auto s = sessions_in(*ahead, "user");
  EXPECT_EQ(s.at("count").as_uint64(), 1u);
  EXPECT_EQ(s.at("open").as_uint64(), 1u);
  EXPECT_EQ(ahead->instance().timer_count(), 1u);
  EXPECT_EQ(behind->instance().timer_count(), 0u);
}

TEST(SessionizerMerge, MovingIntoAKeyTheInstanceNeverSawCreatesIt) {
  const TopologySpec spec = topology();
  auto d = InstanceDriver::create(spec);
  auto whole = InstanceDriver::create(spec);
  ASSERT_TRUE(d && whole);
  const std::vector<Step> history = {ev("anon", "page", 10'000).prop("channel", "email"),
                                     Step::watermark(11'000), ev("anon", "page", 12'000)};
  d->run(history);
  whole->run(under_user(history));
  ASSERT_FALSE(d->query("user").has_value());
  d->move("anon", "user");
  ASSERT_TRUE(d->query("user").has_value());
  EXPECT_EQ(sessions_in(*d, "user"), sessions_in(*whole, "user"));
  EXPECT_EQ(sessions_in(*d, "user").at("count").as_uint64(), 1u);
  EXPECT_EQ(sessions_in(*d, "user").at("open").as_uint64(), 1u);
  d->watermark(13'000);
  ASSERT_EQ(d->outputs("Session Ended").size(), 2u);
  EXPECT_EQ(d->outputs("Session Ended")[1].key, "user") << "the surviving key's timer was armed";
}

// The old key stays known but holds what a new key holds: no session ends for it, and its next
// events start from nothing, exactly as under a key never seen.
TEST(SessionizerMerge, TheOldKeyIsLeftLikeANewKey) {
  const TopologySpec spec = topology();
  auto d = InstanceDriver::create(spec);
  auto fresh = InstanceDriver::create(spec);
  ASSERT_TRUE(d && fresh);
  d->run({ev("anon", "page", 10'000), Step::watermark(11'500), ev("anon", "page", 12'000),
          ev("anon", "page", 14'000), ev("user", "page", 30'000)});
  d->move("anon", "user");
  EXPECT_EQ(sessions_in(*d, "anon"), no_sessions());
  EXPECT_EQ(d->instance().timer_count(), 1u) << "only the surviving key's";
  const size_t mark = d->outputs("Session Ended").size();
  d->watermark(20'000);
  for (const auto& r : ended_since(*d, mark))
    EXPECT_NE(r.key, "anon") << "a timer fired for the old key at " << r.time.value();

  const std::vector<Step> later = {ev("anon", "page", 21'000).prop("channel", "push"),
                                   Step::watermark(50'000)};
  d->run(later);
  fresh->run(later);
  EXPECT_EQ(sessions_in(*d, "anon"), sessions_in(*fresh, "anon"));
  std::vector<CollectingSink::Record> anon_ended;
  for (const auto& r : ended_since(*d, mark))
    if (r.key == "anon") anon_ended.push_back(r);
  EXPECT_EQ(anon_ended, fresh->outputs("Session Ended")) << "trigger ids count from zero again";
}

// Closed sessions were emitted and are final: the tallies add, the later-ended one is "last".
TEST(SessionizerMerge, ClosedSessionsAddUpAndTheLaterEndedIsLast) {
  const TopologySpec spec = topology();
  auto d = InstanceDriver::create(spec);
  ASSERT_TRUE(d);
  d->run({ev("user", "page", 10'000), ev("user", "page", 10'500),
          ev("anon", "page", 20'000).prop("channel", "email"), ev("anon", "page", 23'000),
          ev("anon", "Order Completed", 23'600), Step::watermark(40'000)});
  d->move("anon", "user");
  const auto s = sessions_in(*d, "user");
  EXPECT_EQ(s.at("count").as_uint64(), 3u);
  EXPECT_DOUBLE_EQ(s.at("avg_duration_s").as_double(), (0.5 + 0.0 + 0.6) / 3);
  EXPECT_EQ(s.at("last").at("start_ms").as_int64(), 23'000);
  EXPECT_EQ(s.at("last").at("converted").as_bool(), true);

  // The other way round the surviving key's own session stays last.
  auto e = InstanceDriver::create(spec);
  ASSERT_TRUE(e);
  e->run({ev("anon", "page", 10'000), ev("user", "page", 20'000), Step::watermark(40'000)});
  e->move("anon", "user");
  EXPECT_EQ(sessions_in(*e, "user").at("count").as_uint64(), 2u);
  EXPECT_EQ(sessions_in(*e, "user").at("last").at("start_ms").as_int64(), 20'000);
}

// The one case a merge cannot make equal to one key's history: both halves of what one key would
// have seen as one session were closed and emitted already. They stay two sessions.
TEST(SessionizerMerge, ClosedSessionsOneKeyWouldHaveJoinedStayApart) {
  const TopologySpec spec = topology();
  auto d = InstanceDriver::create(spec);
  ASSERT_TRUE(d);
  d->run({ev("anon", "page", 10'000), ev("user", "page", 10'500), Step::watermark(20'000)});
  ASSERT_EQ(d->outputs("Session Ended").size(), 2u);
  d->move("anon", "user");
  EXPECT_EQ(sessions_in(*d, "user").at("count").as_uint64(), 2u);
  EXPECT_EQ(sessions_in(*d, "user").at("last").at("start_ms").as_int64(), 10'500);
  EXPECT_EQ(sessions_in(*d, "user").at("open").as_uint64(), 0u);
}

TEST(SessionizerMerge, MoreOpenSessionsThanAllowedForceCloseTheOldest) {
  const TopologySpec spec = topology({{"gap_ms", kGap}, {"max_open_sessions", 2}});
  auto d = InstanceDriver::create(spec);
  ASSERT_TRUE(d);
  d->run({ev("anon", "page", 10'000), ev("anon", "page", 14'000), ev("user", "page", 12'000),
          ev("user", "page", 16'000)});
  ASSERT_TRUE(d->outputs("Session Ended").empty());
  d->move("anon", "user");
  const auto out = d->outputs("Session Ended");
  ASSERT_EQ(out.size(), 2u);
  for (size_t i = 0; i < out.size(); ++i) {
    const std::map<std::string, std::string> props(out[i].props.begin(), out[i].props.end());
    EXPECT_EQ(out[i].key, "user");
    EXPECT_EQ(props.at("forced_close"), "true");
    EXPECT_EQ(props.at("start_ms"), i == 0 ? "10000" : "12000");
  }
  EXPECT_EQ(sessions_in(*d, "user").at("open").as_uint64(), 2u);
  EXPECT_EQ(sessions_in(*d, "user").at("count").as_uint64(), 2u);
}

// Splits what StageInstance::move_key_out wrote into each operator's bytes.
std::vector<std::string> per_operator(const std::string& bytes) {
  StateReader in(bytes);
  std::vector<std::string> out(in.get<uint32_t>());
  for (auto& op : out)
    op = in.get_string();
  EXPECT_TRUE(in.ok() && in.at_end());
  return out;
}

std::string framed(const std::vector<std::string>& ops) {
  StateWriter w;
  w.put<uint32_t>(static_cast<uint32_t>(ops.size()));
  for (const auto& op : ops)
    w.put_string(op);
  return w.take();
}

TEST(SessionizerMerge, RejectsTruncatedOrInconsistentBytesAndLeavesTheKeyAsItWas) {
  const TopologySpec spec = topology();
  const auto& types = spec.types();
  auto from = instance(spec);
  auto into = instance(spec);
  Recorder out(types);
  feed(*from, out, types,
       {{"anon", "page", 10'000, "email"},
        {"anon", "page", 12'000, "cpc"},
        {"anon", "Product Viewed", 12'300}},
       0);
  from->on_watermark(EventTime(11'500), out);
  feed(*into, out, types, {{"user", "page", 12'500, "direct"}}, 11'500);
  const auto bytes = from->move_key_out(hash_key("anon"), EventTime(11'500), out);
  ASSERT_TRUE(bytes.has_value());
  auto ops = per_operator(*bytes);
  ASSERT_EQ(ops.size(), 2u);
  const std::string sessions = ops[0];
  ASSERT_GT(sessions.size(), 20u);

  const auto before = into->query(hash_key("user"), EventTime(0));
  const size_t timers = into->timer_count();
  auto expect_rejected = [&](const std::string& op_bytes, const std::string& what) {
    ops[0] = op_bytes;
    const Status st =
        into->merge_key_in(hash_key("user"), "user", framed(ops), EventTime(11'500), out);
    EXPECT_EQ(st.code(), Errc::kCorrupt) << what << ": " << st.to_string();
    EXPECT_EQ(into->query(hash_key("user"), EventTime(0)), before) << what;
    EXPECT_EQ(into->timer_count(), timers) << what;
  };
  for (size_t cut = 0; cut < sessions.size(); ++cut)
    expect_rejected(sessions.substr(0, cut), "cut at " + std::to_string(cut));
  expect_rejected(sessions + "x", "a byte too many");
  // The bytes end with the open count and the one open session: 34 bytes of times and counts, then
  // its channel "cpc" and an empty referrer, each with a 4-byte length.
  const size_t session_at = sessions.size() - (34 + 4 + 3 + 4);
  const size_t open_at = session_at - 4;
  uint32_t open = 0;
  std::memcpy(&open, sessions.data() + open_at, sizeof open);
  ASSERT_EQ(open, 1u) << "the layout this test pokes into changed";
  std::string too_many_open = sessions;
  open = Sessionizer::kMaxOpenSessionsLimit + 1;
  std::memcpy(too_many_open.data() + open_at, &open, sizeof open);
  expect_rejected(too_many_open, "more open sessions than any key holds");
  std::string before_1970 = sessions;
  const int64_t start = -1;
  std::memcpy(before_1970.data() + session_at, &start, sizeof start);
  expect_rejected(before_1970, "a session starting before 1970");

  ops[0] = sessions;
  ASSERT_TRUE(
      into->merge_key_in(hash_key("user"), "user", framed(ops), EventTime(11'500), out).is_ok());
  const auto after = into->query(hash_key("user"), EventTime(0))->at("sessions");
  EXPECT_EQ(after.at("count").as_uint64(), 1u);
  EXPECT_EQ(after.at("open").as_uint64(), 1u);
  EXPECT_EQ(after.at("current").at("start_ms").as_int64(), 12'000);
  EXPECT_EQ(after.at("current").at("events").as_uint64(), 3u);
  EXPECT_EQ(after.at("current").at("channel").as_string(), "cpc");
}

// ---- Determinism and a reference ----------------------------------------------------------------

std::vector<std::string> customers(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i)
    out.push_back("c" + std::to_string(i));
  return out;
}

// Random journeys: pauses around the gap, events up to 1.5 s out of order, watermarks every hundred
// events half a second behind (so some events are late), a few unusable events.
std::vector<Step> random_script(uint64_t seed, const std::vector<std::string>& keys, int events) {
  static const char* kTypes[] = {"page",           "screen",        "Product Viewed",
                                 "Product Viewed", "Product Added", "Order Completed",
                                 "identify",       "Cart Abandoned"};
  std::mt19937_64 rng(seed);
  std::vector<Step> steps;
  int64_t now = 1'000'000;
  for (int i = 0; i < events; ++i) {
    now += static_cast<int64_t>(rng() % 60);
    const std::string& key = keys[rng() % keys.size()];
    const int64_t t = now - static_cast<int64_t>(rng() % 1500);
    testing::EventMaker e = ev(key, kTypes[rng() % std::size(kTypes)], t);
    switch (rng() % 12) {
      case 0:
        e.prop("channel", "email").prop("referrer", "https://mail/" + std::to_string(rng() % 3));
        break;
      case 1:
        e.prop("channel", "cpc");
        break;
      case 2:
        e.prop("channel", 3.0);
        break;  // rejected
      default:
        break;
    }
    steps.push_back(e);
    if (i % 100 == 99) steps.push_back(Step::watermark(now - 500));
  }
  steps.push_back(Step::watermark(now + 100'000));
  return steps;
}

struct Outcome {
  std::vector<CollectingSink::Record> ended, late, rejected;
  uint64_t forced = 0;
  std::map<std::string, std::string> profiles;
  bool operator==(const Outcome&) const = default;
};

Outcome run(const TopologySpec& spec, const std::vector<Step>& script,
            const std::vector<std::string>& keys, const HarnessOptions& o) {
  auto h = harness(spec, o);
  EXPECT_TRUE(h->run(script).is_ok());
  Outcome out;
  out.ended = h->sink("ended");
  out.late = h->side_output("late");
  out.rejected = h->side_output("rejected");
  out.forced = side_output_count(*h, "session_forced_close");
  for (const auto& k : keys) {
    auto q = h->query("customers", k);
    out.profiles[k] = q.is_ok() ? boost::json::serialize(*q) : q.status().to_string();
  }
  return out;
}

TEST(Sessionizer, SameResultForAnyWorkerCountBatchSizeAndInterleaving) {
  const auto keys = customers(40);
  const auto script = random_script(11, keys, 4000);
  const TopologySpec spec = topology({{"gap_ms", 700}, {"max_open_sessions", 2}});
  for (const int64_t lateness : {int64_t{0}, int64_t{400}}) {
    SCOPED_TRACE("allowed lateness " + std::to_string(lateness));
    HarnessOptions baseline;
    baseline.allowed_lateness_ms = lateness;
    const Outcome expected = run(spec, script, keys, baseline);
    ASSERT_GT(expected.ended.size(), 100u);
    ASSERT_FALSE(expected.late.empty());
    ASSERT_FALSE(expected.rejected.empty());
    ASSERT_GT(expected.forced, 0u);
    for (uint64_t seed = 1; seed <= 8; ++seed) {
      HarnessOptions o = HarnessOptions::random(seed);
      o.allowed_lateness_ms = lateness;
      SCOPED_TRACE(o.describe());
      const Outcome got = run(spec, script, keys, o);
      EXPECT_EQ(got.ended, expected.ended);
      EXPECT_EQ(got.late, expected.late);
      EXPECT_EQ(got.rejected, expected.rejected);
      EXPECT_EQ(got.forced, expected.forced);
      EXPECT_EQ(got.profiles, expected.profiles);
    }
  }
}

// The same semantics as a plain loop: keep every accepted event, then cut each key's events, sorted
// by time, wherever two neighbours are a gap or more apart.
TEST(Sessionizer, MatchesANaiveReference) {
  const int64_t gap = 700;
  const auto keys = customers(30);
  const auto script = random_script(5, keys, 3000);
  const TopologySpec spec = topology({{"gap_ms", gap}, {"max_open_sessions", 64}});
  for (const int64_t lateness : {int64_t{0}, int64_t{900}}) {
    SCOPED_TRACE("allowed lateness " + std::to_string(lateness));
    HarnessOptions o = HarnessOptions::random(3);
    o.allowed_lateness_ms = lateness;
    const Outcome got = run(spec, script, keys, o);

    struct Accepted {
      int64_t time;
      std::string type;
      std::string channel;
    };
    std::map<std::string, std::vector<Accepted>> accepted;
    int64_t wm = INT64_MIN;
    for (const Step& step : script) {
      if (step.kind == Step::Kind::kWatermark) {
        wm = std::max(wm, step.watermark_ms);
        continue;
      }
      const auto& e = step.event;
      if (e.type == "Cart Abandoned" || !e.number_props.empty()) continue;
      if (wm != INT64_MIN && e.time_ms < wm - lateness) continue;
      std::string channel = "null";
      for (const auto& [name, value] : e.string_props)
        if (name == "channel") channel = value;
      accepted[e.key].push_back({e.time_ms, e.type, channel});
    }
    std::vector<std::string> want;
    for (auto& [key, events] : accepted) {
      std::stable_sort(events.begin(), events.end(),
                       [](const Accepted& a, const Accepted& b) { return a.time < b.time; });
      for (size_t i = 0; i < events.size();) {
        size_t j = i + 1;
        while (j < events.size() && events[j].time - events[j - 1].time < gap)
          ++j;
        int pages = 0, views = 0, adds = 0;
        bool converted = false;
        for (size_t k = i; k < j; ++k) {
          const std::string& t = events[k].type;
          pages += t == "page" || t == "screen";
          views += t == "Product Viewed";
          adds += t == "Product Added";
          converted |= t == "Order Completed";
        }
        want.push_back(key + " " + std::to_string(events[i].time) + ".." +
                       std::to_string(events[j - 1].time) + " n=" + std::to_string(j - i) +
                       " p=" + std::to_string(pages) + " v=" + std::to_string(views) +
                       " a=" + std::to_string(adds) + " c=" + (converted ? "true" : "false") +
                       " ch=" + events[i].channel);
        i = j;
      }
    }
    std::vector<std::string> have;
    for (const auto& r : got.ended) {
      std::map<std::string, std::string> p(r.props.begin(), r.props.end());
      have.push_back(r.key + " " + p["start_ms"] + ".." + p["end_ms"] + " n=" + p["events"] +
                     " p=" + p["page_views"] + " v=" + p["product_views"] + " a=" + p["cart_adds"] +
                     " c=" + p["converted"] + " ch=" + p["channel"]);
    }
    std::sort(want.begin(), want.end());
    std::sort(have.begin(), have.end());
    EXPECT_EQ(have, want);
    EXPECT_EQ(got.forced, 0u);
  }
}

}  // namespace
}  // namespace eddy
