#include "operators/threshold_trigger.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
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
using testing::EventMaker;
using testing::Harness;
using testing::HarnessOptions;
using testing::InstanceDriver;
using testing::Step;
using Record = CollectingSink::Record;

constexpr int64_t kT0 = 1'700'000'000'000;
constexpr int64_t kWeek = 7 * kMillisPerDay;

// Stands in for the sessioniser and the windowed counters: maintains, the simple way, the features
// the seed triggers read.
//   sessions.current.product_views   "Product Viewed" since the key's last "Session Ended"
//   sessions.current.converted       an "Order Completed" since then
//   counters.product_page_visits_7d  "Product Viewed" in (newest event - 7 days, newest event]
//   counters.email_opens_no_click_7d campaigns opened in that window and not clicked
// Takes late events, as a counter whose window still covers them would.
class FakeFeatures final : public Operator {
 public:
  static Result<std::unique_ptr<Operator>> create(const OperatorArgs& args) {
    auto op = std::make_unique<FakeFeatures>();
    op->viewed_ = args.types.find("Product Viewed");
    op->ordered_ = args.types.find("Order Completed");
    op->session_ended_ = args.types.find("Session Ended");
    op->opened_ = args.types.find("Email Opened");
    op->clicked_ = args.types.find("Email Link Clicked");
    return std::unique_ptr<Operator>(std::move(op));
  }

  void on_new_slot(uint32_t slot) override {
    if (slot >= state_.size()) state_.resize(slot + 1);
  }

  Flow on_event(const EventRef& e, Context& ctx) override {
    PerKey& k = state_[ctx.slot()];
    k.newest = std::max(k.newest, e.time().value());
    if (e.type() == viewed_) {
      ++k.views;
      k.visits.push_back(e.time().value());
    } else if (e.type() == ordered_) {
      k.converted = true;
    } else if (e.type() == session_ended_) {
      k.views = 0;
      k.converted = false;
    } else if (e.type() == opened_) {
      k.emails.emplace(std::string(e.item()), Email{e.time().value(), false});
    } else if (e.type() == clicked_) {
      if (auto it = k.emails.find(std::string(e.item())); it != k.emails.end()) {
        it->second.clicked = true;
      }
    }
    return Flow::kPass;
  }

  LatenessPolicy lateness_policy() const override { return LatenessPolicy::kDeliver; }

  Status declare_features(FeatureCatalog& c) override {
    using Kind = FeatureValue::Kind;
    Status s = c.add(
        "sessions.current.product_views", Kind::kNumber,
        [this](uint32_t slot, EventTime) { return FeatureValue::of_number(state_[slot].views); });
    if (s) {
      s = c.add("sessions.current.converted", Kind::kBool, [this](uint32_t slot, EventTime) {
        return FeatureValue::of_bool(state_[slot].converted);
      });
    }
    if (s) {
      s = c.add("counters.product_page_visits_7d", Kind::kNumber, [this](uint32_t slot, EventTime) {
        const PerKey& k = state_[slot];
        return FeatureValue::of_number(
            static_cast<double>(std::count_if(k.visits.begin(), k.visits.end(), [&](int64_t t) {
              return t > k.newest - kWeek && t <= k.newest;
            })));
      });
    }
    if (s) {
      s = c.add("counters.email_opens_no_click_7d", Kind::kNumber,
                [this](uint32_t slot, EventTime) {
                  const PerKey& k = state_[slot];
                  double n = 0;
                  for (const auto& [campaign, email] : k.emails) {
                    if (!email.clicked && email.opened > k.newest - kWeek) ++n;
                  }
                  return FeatureValue::of_number(n);
                });
    }
    if (s) {
      // A text feature, to show that a trigger refuses anything but a number.
      s = c.add("traits.plan", Kind::kString,
                [](uint32_t, EventTime) { return FeatureValue::of_string("gold"); });
    }
    return s;
  }

  void snapshot(StateWriter& out) const override {
    out.put<uint64_t>(state_.size());
    for (const PerKey& k : state_)
      write_key(out, k);
  }

  Status restore(StateReader& in, uint32_t slot_count) override {
    if (in.get<uint64_t>() != slot_count) return {Errc::kCorrupt, "slot count differs"};
    state_.assign(slot_count, {});
    for (PerKey& k : state_)
      read_key(in, k);
    return in.ok() ? Status() : Status(Errc::kCorrupt, "truncated");
  }

  // Views add, a purchase on either key converts, visits and emails join.
  void move_key_out(StateWriter& out, Context& ctx) override {
    write_key(out, state_[ctx.slot()]);
    state_[ctx.slot()] = PerKey{};
  }
  Status merge_key_in(StateReader& in, Context& ctx) override {
    PerKey moved;
    read_key(in, moved);
    if (!in.ok()) return {Errc::kCorrupt, "truncated"};
    PerKey& k = state_[ctx.slot()];
    k.views += moved.views;
    k.converted = k.converted || moved.converted;
    k.newest = std::max(k.newest, moved.newest);
    k.visits.insert(k.visits.end(), moved.visits.begin(), moved.visits.end());
    for (const auto& [campaign, email] : moved.emails) {
      auto [it, added] = k.emails.emplace(campaign, email);
      if (!added) it->second.clicked = it->second.clicked || email.clicked;
    }
    return {};
  }

 private:
  struct Email {
    int64_t opened = 0;
    bool clicked = false;
  };
  struct PerKey {
    int64_t views = 0;
    bool converted = false;
    int64_t newest = INT64_MIN;
    std::vector<int64_t> visits;
    std::map<std::string, Email> emails;
  };

  static void write_key(StateWriter& out, const PerKey& k) {
    out.put<int64_t>(k.views);
    out.put<uint8_t>(k.converted);
    out.put<int64_t>(k.newest);
    out.put<uint64_t>(k.visits.size());
    for (int64_t t : k.visits)
      out.put<int64_t>(t);
    out.put<uint64_t>(k.emails.size());
    for (const auto& [campaign, email] : k.emails) {
      out.put_string(campaign);
      out.put<int64_t>(email.opened);
      out.put<uint8_t>(email.clicked);
    }
  }
  static void read_key(StateReader& in, PerKey& k) {
    k.views = in.get<int64_t>();
    k.converted = in.get<uint8_t>() != 0;
    k.newest = in.get<int64_t>();
    const auto visits = in.get<uint64_t>();
    for (uint64_t i = 0; i < visits && in.ok(); ++i)
      k.visits.push_back(in.get<int64_t>());
    const auto emails = in.get<uint64_t>();
    for (uint64_t i = 0; i < emails && in.ok(); ++i) {
      std::string campaign = in.get_string();
      const int64_t opened = in.get<int64_t>();
      k.emails[campaign] = Email{opened, in.get<uint8_t>() != 0};
    }
  }

  EventType viewed_, ordered_, session_ended_, opened_, clicked_;
  std::vector<PerKey> state_;
};

std::shared_ptr<OperatorRegistry> registry() {
  auto r = testing::test_registry();
  EXPECT_TRUE(r->contains("threshold_trigger")) << "registered by register_builtin_operators";
  EXPECT_TRUE(r->add("fake_features", &FakeFeatures::create).is_ok());
  return r;
}

const boost::json::object kBrowseAbandon = {{"name", "browse_abandon"},
                                            {"feature", "sessions.current.product_views"},
                                            {"above", 5},
                                            {"unless", "sessions.current.converted"},
                                            {"marketing", true}};
const boost::json::object kProductPageRevisits = {{"name", "product_page_revisits"},
                                                  {"feature", "counters.product_page_visits_7d"},
                                                  {"above", 3},
                                                  {"marketing", true}};
const boost::json::object kOpenedNoClick = {{"name", "opened_no_click"},
                                            {"feature", "counters.email_opens_no_click_7d"},
                                            {"at_least", 1},
                                            {"marketing", false}};

const std::vector<std::string_view> kTypes = {"Product Viewed",     "Order Completed",
                                              "Session Ended",      "Email Opened",
                                              "Email Link Clicked", "Trigger Fired"};

Result<TopologySpec> try_topology(std::vector<boost::json::object> triggers,
                                  const std::vector<std::string_view>& types = kTypes) {
  TopologyBuilder b("triggers", registry());
  b.accept_types(std::span<const std::string_view>(types))
      .stage("customers")
      .op("features", "fake_features");
  for (auto& t : triggers) {
    const std::string name = t.contains("name") && t.at("name").is_string()
                                 ? std::string(t.at("name").as_string())
                                 : "t";
    b.op("trigger_" + name, "threshold_trigger", std::move(t));
  }
  return b.sink("fired", {"Trigger Fired"}).build();
}

TopologySpec topology(std::vector<boost::json::object> triggers) {
  auto built = try_topology(std::move(triggers));
  EXPECT_TRUE(built.is_ok()) << built.status().to_string();
  return std::move(built).value();
}

std::unique_ptr<Harness> harness(std::vector<boost::json::object> triggers, HarnessOptions o = {}) {
  auto h = Harness::create(topology(std::move(triggers)), o);
  EXPECT_TRUE(h.is_ok()) << h.status().to_string();
  return std::move(h).value();
}

std::string prop(const Record& r, std::string_view name) {
  for (const auto& [n, v] : r.props) {
    if (n == name) return v;
  }
  return "<absent>";
}

EventMaker view(const std::string& key, int64_t t) {
  return ev(key, "Product Viewed", t).item("sku-1");
}

std::vector<Step> views(const std::string& key, int64_t from, int n, int64_t step = 1000) {
  std::vector<Step> out;
  for (int i = 0; i < n; ++i)
    out.push_back(view(key, from + i * step));
  return out;
}

std::vector<Step> operator+(std::vector<Step> a, const std::vector<Step>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::vector<int64_t> fired_times(const Harness& h, const std::string& trigger = "") {
  std::vector<int64_t> out;
  for (const Record& r : h.sink("fired")) {
    if (trigger.empty() || prop(r, "trigger") == trigger) out.push_back(r.time.value());
  }
  return out;
}

TEST(ThresholdTrigger, BrowseAbandonFiresOnceWhenASessionPassesFiveViewsWithoutPurchase) {
  auto h = harness({kBrowseAbandon});
  ASSERT_TRUE(h->run(views("u1", kT0, 9)).is_ok());
  const auto out = h->sink("fired");
  ASSERT_EQ(out.size(), 1u) << "it fires at the crossing and not again while it holds";
  EXPECT_EQ(out[0].key, "u1");
  EXPECT_EQ(out[0].time, EventTime(kT0 + 5000)) << "the sixth view crosses 'above 5'";
  EXPECT_EQ(prop(out[0], "trigger"), "browse_abandon");
  EXPECT_EQ(prop(out[0], "value"), "6");
  EXPECT_EQ(prop(out[0], "marketing"), "true");
  EXPECT_EQ(prop(out[0], "trigger_id").size(), 16u);

  auto q = h->query("customers", "u1");
  ASSERT_TRUE(q.is_ok());
  EXPECT_EQ(boost::json::serialize(q->at("triggers")),
            R"({"browse_abandon":{"active":true,"fired":1}})");
}

TEST(ThresholdTrigger, FiresOncePerCrossingAndReArmsWhenTheConditionFails) {
  struct Case {
    const char* name;
    std::vector<Step> steps;
    std::vector<int64_t> fired;
  };
  const int64_t s2 = kT0 + 100'000;
  const std::vector<Case> cases = {
      {"five views: not above five", views("u1", kT0, 5), {}},
      {"six views: one", views("u1", kT0, 6), {kT0 + 5000}},
      {"a new session re-arms it",
       views("u1", kT0, 7) + std::vector<Step>{ev("u1", "Session Ended", kT0 + 50'000)} +
           views("u1", s2, 7),
       {kT0 + 5000, s2 + 5000}},
      {"a purchase in the session keeps it from firing",
       views("u1", kT0, 3) + std::vector<Step>{ev("u1", "Order Completed", kT0 + 3500)} +
           views("u1", kT0 + 4000, 5),
       {}},
      {"a purchase after it fired does not fire it again",
       views("u1", kT0, 6) + std::vector<Step>{ev("u1", "Order Completed", kT0 + 9000)} +
           views("u1", kT0 + 10'000, 3),
       {kT0 + 5000}},
      {"a purchase then a new session: fires in the new session",
       views("u1", kT0, 3) +
           std::vector<Step>{ev("u1", "Order Completed", kT0 + 3500),
                             ev("u1", "Session Ended", kT0 + 50'000)} +
           views("u1", s2, 6),
       {s2 + 5000}},
      {"keys are independent", views("u1", kT0, 6) + views("u2", kT0, 5), {kT0 + 5000}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto h = harness({kBrowseAbandon});
    ASSERT_TRUE(h->run(c.steps).is_ok());
    EXPECT_EQ(fired_times(*h), c.fired);
  }
}

TEST(ThresholdTrigger, AtLeastAndAboveDifferExactlyAtTheThreshold) {
  struct Case {
    const char* comparison;
    int threshold;
    int views;
    bool fires;
  };
  const std::vector<Case> cases = {
      {"above", 5, 4, false},    {"above", 5, 5, false},   {"above", 5, 6, true},
      {"at_least", 5, 4, false}, {"at_least", 5, 5, true}, {"at_least", 5, 6, true},
      {"above", 0, 1, true},     {"at_least", 0, 1, true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.comparison) + " " + std::to_string(c.threshold) + " with " +
                 std::to_string(c.views) + " views");
    auto h = harness({{{"name", "t"},
                       {"feature", "sessions.current.product_views"},
                       {c.comparison, c.threshold},
                       {"marketing", false}}});
    ASSERT_TRUE(h->run(views("u1", kT0, c.views)).is_ok());
    EXPECT_EQ(h->sink("fired").size(), c.fires ? 1u : 0u);
  }
}

TEST(ThresholdTrigger, ProductPageVisitedMoreThanThreeTimesInAWeek) {
  struct Case {
    const char* name;
    int64_t fourth_visit_after_first;
    bool fires;
  };
  const std::vector<Case> cases = {
      {"within the week", 3 * kMillisPerDay, true},
      {"one millisecond inside the week", kWeek - 1, true},
      {"exactly a week: the first visit has left the window", kWeek, false},
      {"one millisecond after", kWeek + 1, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto h = harness({kProductPageRevisits});
    ASSERT_TRUE(h->run({view("u1", kT0), view("u1", kT0 + 1000), view("u1", kT0 + 2000),
                        view("u1", kT0 + c.fourth_visit_after_first)})
                    .is_ok());
    EXPECT_EQ(fired_times(*h), c.fires ? std::vector<int64_t>{kT0 + c.fourth_visit_after_first}
                                       : std::vector<int64_t>{});
  }
}

TEST(ThresholdTrigger, OpenedACampaignEmailButDidNotClick) {
  auto h = harness({kOpenedNoClick});
  ASSERT_TRUE(h->run({ev("u1", "Email Opened", kT0).item("spring"),
                      ev("u1", "Email Opened", kT0 + 10).item("spring"),
                      ev("u1", "Email Link Clicked", kT0 + 20).item("spring"),
                      ev("u1", "Email Opened", kT0 + 30).item("summer"),
                      ev("u2", "Email Opened", kT0).item("spring"),
                      ev("u2", "Email Link Clicked", kT0 + 5).item("spring")})
                  .is_ok());
  const auto out = h->sink("fired");
  std::vector<std::pair<std::string, int64_t>> got;
  for (const Record& r : out)
    got.emplace_back(r.key, r.time.value());
  // u1: fires at the first open, re-arms at the click, fires again at the next campaign's open.
  // u2: opened and clicked; the open alone fired.
  EXPECT_EQ(got, (std::vector<std::pair<std::string, int64_t>>{
                     {"u1", kT0}, {"u1", kT0 + 30}, {"u2", kT0}}));
  for (const Record& r : out)
    EXPECT_EQ(prop(r, "marketing"), "false");
  auto q = h->query("customers", "u2");
  ASSERT_TRUE(q.is_ok());
  EXPECT_EQ(boost::json::serialize(q->at("triggers")),
            R"({"opened_no_click":{"active":false,"fired":1}})");
}

TEST(ThresholdTrigger, TriggersOfOneStageShareTheProfileAndPublishTheirState) {
  const TopologySpec spec = topology({kBrowseAbandon, kProductPageRevisits});
  auto h = Harness::create(spec, {});
  ASSERT_TRUE(h.is_ok());
  ASSERT_TRUE((*h)->run(views("u1", kT0, 4)).is_ok());
  auto q = (*h)->query("customers", "u1");
  ASSERT_TRUE(q.is_ok());
  EXPECT_EQ(boost::json::serialize(q->at("triggers")),
            R"({"browse_abandon":{"active":false,"fired":0},)"
            R"("product_page_revisits":{"active":true,"fired":1}})");

  auto inst = StageInstance::create(spec, StageId(0), KeyGroup(0), EventTime(0));
  ASSERT_TRUE(inst.is_ok());
  const auto* active = (*inst)->features().find("triggers.product_page_revisits.active");
  ASSERT_NE(active, nullptr);
  EXPECT_EQ(active->kind, FeatureValue::Kind::kBool);
  EXPECT_NE((*inst)->features().find("triggers.browse_abandon.active"), nullptr);
}

TEST(ThresholdTrigger, TheSameInputGivesTheSameIdsAndEachCrossingItsOwn) {
  const std::vector<Step> script = views("u1", kT0, 6) +
                                   std::vector<Step>{ev("u1", "Session Ended", kT0 + 7000)} +
                                   views("u1", kT0 + 8000, 6) + views("u2", kT0, 6);
  auto a = harness({kBrowseAbandon});
  auto b = harness({kBrowseAbandon});
  ASSERT_TRUE(a->run(script).is_ok());
  ASSERT_TRUE(b->run(script).is_ok());
  const auto out = a->sink("fired");
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out, b->sink("fired"));
  std::set<std::string> ids;
  for (const Record& r : out)
    ids.insert(prop(r, "trigger_id"));
  EXPECT_EQ(ids.size(), 3u);
}

// The trigger takes events in arrival order and late events too: a crossing belongs to the event
// that made it, whatever its time.
TEST(ThresholdTrigger, OutOfOrderAndLateEventsFireAtTheEventThatCrossed) {
  auto h = harness({kBrowseAbandon});
  ASSERT_TRUE(h->run({view("u1", kT0 + 5000), view("u1", kT0 + 1000), view("u1", kT0 + 4000),
                      Step::watermark(kT0 + 10'000), view("u1", kT0 + 2000), view("u1", kT0 + 3000),
                      view("u1", kT0 + 500), view("u1", kT0 + 600)})
                  .is_ok());
  EXPECT_EQ(fired_times(*h), std::vector<int64_t>{kT0 + 500})
      << "the sixth view to arrive crossed, though it was late";
  EXPECT_TRUE(h->side_output("late").empty())
      << "every operator of the chain takes late events, so none is reported late";
}

TEST(ThresholdTrigger, RejectsBadConfigurationAndUnknownFeatures) {
  auto with = [](std::initializer_list<std::pair<std::string_view, boost::json::value>> changes,
                 std::initializer_list<std::string_view> drop = {}) {
    boost::json::object o = kBrowseAbandon;
    for (std::string_view k : drop)
      o.erase(k);
    for (const auto& [k, v] : changes)
      o[k] = v;
    return o;
  };
  struct Case {
    boost::json::object config;
    std::string error;
  };
  const std::vector<Case> cases = {
      {with({{"feature", "sessions.current.nope"}}), "unknown feature 'sessions.current.nope'"},
      {with({{"unless", "sessions.nope"}}), "unknown feature 'sessions.nope'"},
      {with({{"feature", "traits.plan"}}), "feature 'traits.plan' is not a number"},
      {with({{"unless", "counters.product_page_visits_7d"}}),
       "feature 'counters.product_page_visits_7d' is not a boolean"},
      {with({{"feature", "sessions.current.converted"}}), "is not a number"},
      {with({}, {"name"}), "'name' is required"},
      {with({{"name", "browse abandon"}}), "must match [A-Za-z_][A-Za-z0-9_]*"},
      {with({{"name", "9lives"}}), "must match"},
      {with({}, {"feature"}), "'feature' is required"},
      {with({{"at_least", 3}}), "either 'above' or 'at_least', not both"},
      {with({}, {"above"}), "one of 'above' or 'at_least' is required"},
      {with({{"above", "5"}}), "'above' must be a finite number"},
      {with({}, {"marketing"}), "'marketing' (true or false) is required"},
      {with({{"marketing", "yes"}}), "'marketing' must be true or false"},
      {with({{"below", 3}}), "unknown config key 'below'"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.error);
    auto built = try_topology({c.config});
    ASSERT_FALSE(built.is_ok());
    EXPECT_NE(built.status().message().find(c.error), std::string::npos)
        << built.status().message();
  }
  auto twice = try_topology(
      {kBrowseAbandon, with({{"feature", "counters.product_page_visits_7d"}}, {"unless"})});
  ASSERT_FALSE(twice.is_ok()) << "two triggers of one name";
  auto no_fired = TopologyBuilder("triggers", registry())
                      .accept_types({"Product Viewed", "Order Completed", "Session Ended"})
                      .stage("customers")
                      .op("features", "fake_features")
                      .op("trigger", "threshold_trigger", kBrowseAbandon)
                      .build();
  ASSERT_FALSE(no_fired.is_ok());
  EXPECT_NE(no_fired.status().message().find("must accept 'Trigger Fired'"), std::string::npos)
      << no_fired.status().message();
}

class Recorder final : public StageOutput {
 public:
  void output(StageId, const EventRef& e) override { out.push_back(describe("out", e)); }
  void side_output(StageId, std::string_view name, const EventRef& e) override {
    out.push_back(describe(std::string(name), e));
  }
  void rejected(StageId, std::string_view reason, const EventRef& e) override {
    out.push_back(describe(std::string(reason), e));
  }
  std::vector<std::string> out;

 private:
  static std::string describe(const std::string& where, const EventRef& e) {
    std::string s = where + " " + std::to_string(e.type().value()) + " " + std::string(e.key()) +
                    "@" + std::to_string(e.time().value());
    for (size_t i = 0; i < e.prop_count(); ++i) {
      s += " " + std::string(e.prop_name(i)) + "=" + render_prop_value(e.prop_value(i));
    }
    return s;
  }
};

void feed(StageInstance& inst, Recorder& out, const TopologySpec& spec,
          const std::vector<Step>& steps) {
  BatchBuilder b;
  for (const Step& s : steps) {
    EventDraft d;
    d.key = s.event.key;
    d.type = spec.types().find(s.event.type);
    d.time = EventTime(s.event.time_ms);
    d.item = s.event.item;
    b.add(d);
  }
  EventBatch batch = b.finish();
  for (const Event& e : batch.events)
    inst.on_event(EventRef(e, *batch.payload), kMinEventTime, out);
}

TEST(ThresholdTrigger, RestoringASnapshotContinuesExactlyLikeTheOriginal) {
  const TopologySpec spec = topology({kBrowseAbandon, kOpenedNoClick});
  auto original = StageInstance::create(spec, StageId(0), KeyGroup(0), EventTime(0));
  ASSERT_TRUE(original.is_ok()) << original.status().to_string();
  Recorder before;
  feed(**original, before, spec,
       views("u1", kT0, 7) + views("u2", kT0, 4) +
           std::vector<Step>{ev("u3", "Email Opened", kT0).item("c1")});

  StateWriter w;
  (*original)->snapshot(w);
  auto restored = StageInstance::create(spec, StageId(0), KeyGroup(0), EventTime(0));
  ASSERT_TRUE(restored.is_ok());
  StateReader r(w.bytes());
  ASSERT_TRUE((*restored)->restore(r).is_ok());
  EXPECT_TRUE(r.at_end());

  const std::vector<Step> more =
      views("u1", kT0 + 10'000, 2) + views("u2", kT0 + 10'000, 3) +
      std::vector<Step>{ev("u1", "Session Ended", kT0 + 20'000),
                        ev("u3", "Email Link Clicked", kT0 + 1).item("c1"),
                        ev("u3", "Email Opened", kT0 + 2).item("c2")} +
      views("u1", kT0 + 30'000, 6);
  Recorder a, b;
  feed(**original, a, spec, more);
  feed(**restored, b, spec, more);
  EXPECT_EQ(a.out, b.out);
  size_t fired = 0;
  for (const auto& line : a.out)
    fired += line.find("trigger_id=") != std::string::npos;
  EXPECT_EQ(fired, 3u) << "u2 crosses, u1 re-arms and crosses again, u3 re-arms and opens again";
  for (const char* key : {"u1", "u2", "u3"}) {
    EXPECT_EQ((*original)->query(hash_key(key), EventTime(0)),
              (*restored)->query(hash_key(key), EventTime(0)))
        << key;
  }
}

TEST(ThresholdTrigger, RejectsTruncatedOrMismatchedSnapshots) {
  const TopologySpec spec = topology({kBrowseAbandon});
  auto ops = spec.instantiate(StageId(0));
  ASSERT_TRUE(ops.is_ok());
  Operator& trigger = *(*ops)[1];
  for (uint32_t s = 0; s < 3; ++s)
    trigger.on_new_slot(s);
  StateWriter w;
  trigger.snapshot(w);
  const std::string bytes = w.bytes();
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    StateReader r(std::string_view(bytes).substr(0, cut));
    EXPECT_EQ(trigger.restore(r, 3).code(), Errc::kCorrupt) << "cut at " << cut;
  }
  StateReader wrong_count(bytes);
  EXPECT_EQ(trigger.restore(wrong_count, 4).code(), Errc::kCorrupt);
  std::string bad_flag = bytes;
  bad_flag[8] = 7;
  StateReader bad(bad_flag);
  EXPECT_EQ(trigger.restore(bad, 3).code(), Errc::kCorrupt);
  StateReader good(bytes);
  EXPECT_TRUE(trigger.restore(good, 3).is_ok());
}

// ---- Identity resolution: moving "anon" into "user" ----

std::vector<Step> interleave(const std::vector<Step>& a, const std::vector<Step>& b) {
  std::vector<Step> out;
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    if (i < a.size()) out.push_back(a[i]);
    if (i < b.size()) out.push_back(b[i]);
  }
  return out;
}

constexpr int64_t kMergeWatermark = kT0 + 100'000;

// One history twice (testing::split_and_whole), marking what each had fired before the same
// further steps for "user" on both.
struct Merged : testing::SplitAndWhole {
  size_t split_mark = 0, whole_mark = 0;  // "Trigger Fired" outputs before the further steps

  std::vector<Record> fired_since_mark(const InstanceDriver& d, size_t mark) const {
    const auto all = d.outputs("Trigger Fired");
    return {all.begin() + static_cast<ptrdiff_t>(std::min(mark, all.size())), all.end()};
  }
};

Merged merged(const TopologySpec& spec, const std::vector<Step>& history) {
  Merged r{testing::split_and_whole(spec, history)};
  r.split_mark = r.split->outputs("Trigger Fired").size();
  r.whole_mark = r.whole->outputs("Trigger Fired").size();
  return r;
}

TEST(ThresholdTrigger, MovingAKeyFiresOnceForEachCrossingOfTheMergedHistory) {
  const TopologySpec spec = topology({kBrowseAbandon});
  const std::vector<Step> end = {Step::watermark(kMergeWatermark)};
  struct Case {
    const char* what;
    std::vector<Step> history;
  };
  const std::vector<Case> cases = {
      {"anon crossed alone, into a key the instance never saw", views("anon", kT0, 7) + end},
      {"neither crossed alone, together they do",
       interleave(views("anon", kT0, 3), views("user", kT0 + 500, 3)) + end},
      {"anon crossed and the merged history still holds",
       interleave(views("anon", kT0, 6), views("user", kT0 + 500, 2)) + end},
      {"anon crossed, user's purchase re-arms it",
       views("anon", kT0, 6) + std::vector<Step>{ev("user", "Order Completed", kT0 + 9000)} + end},
      {"user crossed, anon's history adds nothing that crosses",
       views("user", kT0, 6) + std::vector<Step>{ev("anon", "Email Opened", kT0).item("c")} + end},
  };
  const std::vector<Step> after = views("user", kT0 + 200'000, 2) +
                                  std::vector<Step>{ev("user", "Session Ended", kT0 + 300'000)} +
                                  views("user", kT0 + 400'000, 7);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    Merged r = merged(spec, c.history);
    EXPECT_EQ(r.split->query("user"), r.whole->query("user"));
    EXPECT_EQ(r.split_mark, r.whole_mark) << "as many fired for the person, on either key";
    EXPECT_EQ(r.split->query("anon"),
              (boost::json::object{
                  {"triggers",
                   boost::json::object{{"browse_abandon",
                                        boost::json::object{{"active", false}, {"fired", 0}}}}}}));
    r.split->run(after);
    r.whole->run(after);
    EXPECT_EQ(r.split->query("user"), r.whole->query("user"));
    EXPECT_EQ(r.fired_since_mark(*r.split, r.split_mark),
              r.fired_since_mark(*r.whole, r.whole_mark))
        << "the same crossings afterwards, with the same ids";
    EXPECT_EQ(r.fired_since_mark(*r.split, r.split_mark).size(), 1u)
        << "the new session crosses once";
  }
}

TEST(ThresholdTrigger, AMergeThatCrossesFiresAtTheWatermark) {
  const TopologySpec spec = topology({kBrowseAbandon});
  auto d = InstanceDriver::create(spec);
  d->run(views("anon", kT0, 3) + views("user", kT0, 3) +
         std::vector<Step>{Step::watermark(kMergeWatermark)});
  ASSERT_TRUE(d->outputs("Trigger Fired").empty());
  d->move("anon", "user");
  const auto out = d->outputs("Trigger Fired");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].key, "user");
  EXPECT_EQ(out[0].time, EventTime(kMergeWatermark));
  EXPECT_EQ(prop(out[0], "value"), "6");
  EXPECT_EQ(prop(out[0], "trigger"), "browse_abandon");
  EXPECT_EQ(boost::json::serialize(d->query("user")->at("triggers")),
            R"({"browse_abandon":{"active":true,"fired":1}})");
  d->run(views("user", kT0 + 200'000, 3));
  EXPECT_EQ(d->outputs("Trigger Fired").size(), 1u) << "it holds: no second firing";
}

TEST(ThresholdTrigger, BeforeTheFirstWatermarkAMergedCrossingFiresAtTheNextEvent) {
  const TopologySpec spec = topology({kBrowseAbandon});
  auto d = InstanceDriver::create(spec);
  d->run(views("anon", kT0, 3) + views("user", kT0, 3));
  d->move("anon", "user");
  EXPECT_TRUE(d->outputs("Trigger Fired").empty()) << "no time to date it with";
  EXPECT_EQ(boost::json::serialize(d->query("user")->at("triggers")),
            R"({"browse_abandon":{"active":false,"fired":0}})");
  d->run({view("user", kT0 + 9000)});
  const auto out = d->outputs("Trigger Fired");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].time, EventTime(kT0 + 9000));
  EXPECT_EQ(prop(out[0], "value"), "7");
}

TEST(ThresholdTrigger, KeysThatBothFiredBeforeTheMergeDoNotFireAThirdTime) {
  const TopologySpec spec = topology({kBrowseAbandon});
  auto d = InstanceDriver::create(spec);
  d->run(views("anon", kT0, 6) + views("user", kT0, 6) +
         std::vector<Step>{Step::watermark(kMergeWatermark)});
  ASSERT_EQ(d->outputs("Trigger Fired").size(), 2u);
  d->move("anon", "user");
  d->run(views("user", kT0 + 200'000, 4));
  EXPECT_EQ(d->outputs("Trigger Fired").size(), 2u) << "still the same crossing";
  EXPECT_EQ(boost::json::serialize(d->query("user")->at("triggers")),
            R"({"browse_abandon":{"active":true,"fired":2}})");
  d->run(std::vector<Step>{ev("user", "Session Ended", kT0 + 300'000)} +
         views("user", kT0 + 400'000, 6));
  const auto out = d->outputs("Trigger Fired");
  ASSERT_EQ(out.size(), 3u) << "a new crossing fires";
  std::set<std::string> ids;
  for (const Record& r : out)
    ids.insert(prop(r, "trigger_id"));
  EXPECT_EQ(ids.size(), 3u) << "the merged count keeps the new crossing's id unique";
}

// The stage's moved-key bytes with operator `op`'s part replaced.
std::string with_operator_part(std::string_view moved, uint32_t op, std::string_view part) {
  StateReader in(moved);
  const auto n = in.get<uint32_t>();
  StateWriter out;
  out.put<uint32_t>(n);
  for (uint32_t i = 0; i < n; ++i) {
    const std::string_view own = in.get_view();
    out.put_string(i == op ? part : own);
  }
  return out.take();
}

TEST(ThresholdTrigger, MergeRefusesTruncatedOrBadTriggerState) {
  const TopologySpec spec = topology({kBrowseAbandon});
  auto d = InstanceDriver::create(spec);
  d->run(views("anon", kT0, 6) + views("user", kT0, 2));
  DiscardOutput discard;
  const auto moved = d->instance().move_key_out(hash_key("anon"), kMinEventTime, discard);
  ASSERT_TRUE(moved.has_value());
  const auto before = d->query("user");
  StateWriter good;
  good.put<uint8_t>(1);
  good.put<uint32_t>(1);
  StateWriter bad_flag;
  bad_flag.put<uint8_t>(2);
  bad_flag.put<uint32_t>(1);
  std::vector<std::string> parts = {bad_flag.bytes()};
  for (size_t keep = 0; keep < good.size(); ++keep)
    parts.push_back(good.bytes().substr(0, keep));
  for (const std::string& part : parts) {
    SCOPED_TRACE(part.size());
    const Status s = d->instance().merge_key_in(
        hash_key("user"), "user", with_operator_part(*moved, 1, part), kMinEventTime, discard);
    EXPECT_EQ(s.code(), Errc::kCorrupt);
    EXPECT_EQ(d->query("user"), before);
  }
}

std::vector<Step> random_script(uint64_t seed, int customers, int events) {
  std::mt19937_64 rng(seed);
  std::vector<Step> steps;
  int64_t now = kT0;
  for (int i = 0; i < events; ++i) {
    now += static_cast<int64_t>(rng() % (kMillisPerDay / 4));
    const std::string c = "c" + std::to_string(rng() % customers);
    const int64_t t = now - static_cast<int64_t>(rng() % kMillisPerHour);
    const std::string campaign = "m" + std::to_string(rng() % 3);
    switch (rng() % 12) {
      case 0:
        steps.push_back(ev(c, "Order Completed", t));
        break;
      case 1:
      case 2:
        steps.push_back(ev(c, "Session Ended", t));
        break;
      case 3:
        steps.push_back(ev(c, "Email Opened", t).item(campaign));
        break;
      case 4:
        steps.push_back(ev(c, "Email Link Clicked", t).item(campaign));
        break;
      default:
        steps.push_back(view(c, t));
        break;
    }
    if (i % 101 == 100) steps.push_back(Step::watermark(now - kMillisPerHour / 2));
  }
  return steps;
}

TEST(ThresholdTrigger, SameResultForAnyWorkerCountBatchSizeAndInterleaving) {
  constexpr int kCustomers = 80;
  const std::vector<Step> steps = random_script(17, kCustomers, 4000);
  auto run = [&](const HarnessOptions& o) {
    auto h = harness({kBrowseAbandon, kProductPageRevisits, kOpenedNoClick}, o);
    EXPECT_TRUE(h->run(steps).is_ok());
    std::map<std::string, std::string> profiles;
    for (int c = 0; c < kCustomers; ++c) {
      const std::string key = "c" + std::to_string(c);
      auto q = h->query("customers", key);
      profiles[key] = q.is_ok() ? boost::json::serialize(*q) : q.status().to_string();
    }
    return std::pair{h->sink("fired"), profiles};
  };
  const auto [expected_fired, expected_profiles] = run(HarnessOptions{});
  std::set<std::string> names;
  for (const Record& r : expected_fired)
    names.insert(prop(r, "trigger"));
  ASSERT_EQ(names.size(), 3u) << "every trigger fires somewhere in the script";
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    const HarnessOptions o = HarnessOptions::random(seed);
    SCOPED_TRACE(o.describe());
    const auto [fired, profiles] = run(o);
    EXPECT_EQ(fired, expected_fired);
    EXPECT_EQ(profiles, expected_profiles);
  }
}

}  // namespace
}  // namespace eddy
