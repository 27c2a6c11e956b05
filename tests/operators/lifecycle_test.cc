#include "operators/lifecycle.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <map>
#include <random>
#include <set>

#include "runtime/batch_builder.h"
#include "runtime/event_types.h"
#include "runtime/key_hash.h"
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
using testing::TestEvent;

constexpr int64_t kHour = kMillisPerHour;
constexpr int64_t kDay = kMillisPerDay;
constexpr int64_t kT0 = 1'700'000'000'000;
constexpr int64_t kPurchaseWindow = 30 * kDay;
constexpr int64_t kDormantAfter = 90 * kDay;

std::shared_ptr<OperatorRegistry> registry() {
  auto r = testing::test_registry();
  EXPECT_TRUE(r->contains("lifecycle")) << "registered by register_builtin_operators";
  return r;
}

TopologySpec topology(boost::json::object config = {}) {
  auto built = TopologyBuilder("lifecycle", registry())
                   .accept_types({"Product Viewed", "Product Added", "Order Completed",
                                  "Email Opened", "Cart Abandoned", "Lifecycle Changed"})
                   .stage("customers")
                   .op("lifecycle", "lifecycle", std::move(config))
                   .sink("changes", {"Lifecycle Changed"})
                   .build();
  EXPECT_TRUE(built.is_ok()) << built.status().to_string();
  return std::move(built).value();
}

std::string prop(const CollectingSink::Record& r, const std::string& name) {
  for (const auto& [k, v] : r.props) {
    if (k == name) return v;
  }
  return "<missing>";
}

// "from>to@ms since kT0" for each change of the key, in order.
std::vector<std::string> changes(const Harness& h, const std::string& key) {
  std::vector<std::string> out;
  for (const auto& r : h.sink("changes")) {
    if (r.key != key) continue;
    out.push_back(prop(r, "from") + ">" + prop(r, "to") + "@" +
                  std::to_string(r.time.value() - kT0));
  }
  return out;
}

std::string at(int64_t offset) {
  return "@" + std::to_string(offset);
}

std::string stage(Harness& h, const std::string& key) {
  auto q = h.query("customers", key);
  EXPECT_TRUE(q.is_ok()) << q.status().to_string();
  if (!q.is_ok() || !q->contains("lifecycle")) return "<none>";
  return std::string(q->at("lifecycle").as_string());
}

std::unique_ptr<Harness> run(const std::vector<Step>& steps, boost::json::object config = {},
                             HarnessOptions options = {}) {
  auto h = Harness::create(topology(std::move(config)), options);
  EXPECT_TRUE(h.is_ok()) << h.status().to_string();
  EXPECT_TRUE((*h)->run(steps).is_ok());
  return std::move(h).value();
}

TEST(Lifecycle, FollowsACustomerFromAwarenessToRetention) {
  auto h = run({
      ev("u1", "Product Viewed", kT0).item("p1"),
      ev("u1", "Product Viewed", kT0 + kHour).item("p2"),
      ev("u1", "Product Viewed", kT0 + 2 * kHour).item("p3"),
      ev("u1", "Order Completed", kT0 + kDay).amount(40),
      ev("u1", "Email Opened", kT0 + 5 * kDay).item("spring"),
      ev("u1", "Order Completed", kT0 + 10 * kDay).amount(25),
      Step::watermark(kT0 + 11 * kDay),
  });
  EXPECT_EQ(changes(*h, "u1"), (std::vector<std::string>{
                                   "none>awareness" + at(0),
                                   "awareness>consideration" + at(2 * kHour),
                                   "consideration>purchase" + at(kDay),
                                   "purchase>retention" + at(10 * kDay),
                               }));
  auto q = h->query("customers", "u1");
  ASSERT_TRUE(q.is_ok());
  EXPECT_EQ(q->at("lifecycle").as_string(), "retention");
  EXPECT_EQ(q->at("lifecycle_since_ms").as_int64(), kT0 + 10 * kDay);

  const auto records = h->sink("changes");
  ASSERT_EQ(records.size(), 4u);
  std::vector<std::string> ids;
  for (const auto& r : records) {
    const std::string id = prop(r, "trigger_id");
    EXPECT_EQ(id.size(), 16u);
    EXPECT_TRUE(std::all_of(id.begin(), id.end(), [](char c) { return std::isxdigit(c); })) << id;
    ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::unique(ids.begin(), ids.end()), ids.end()) << "one id per transition";
}

TEST(Lifecycle, ACustomerWhoViewsMoreThanFiveProductsWithoutBuyingIsConsidering) {
  std::vector<Step> steps;
  for (int p = 1; p <= 6; ++p) {
    steps.push_back(ev("u1", "Product Viewed", kT0 + p * kHour).item("p" + std::to_string(p)));
  }
  steps.push_back(Step::watermark(kT0 + 2 * kDay));
  auto h = run(steps);
  EXPECT_EQ(stage(*h, "u1"), "consideration");
  EXPECT_EQ(changes(*h, "u1"),
            (std::vector<std::string>{"none>awareness" + at(kHour),
                                      "awareness>consideration" + at(3 * kHour)}));
}

TEST(Lifecycle, ConsiderationNeedsDistinctProductsOrACart) {
  struct Case {
    const char* what;
    std::vector<Step> steps;
    const char* expected;
  };
  const Case cases[] = {
      {"one product viewed three times",
       {ev("u1", "Product Viewed", kT0).item("p1"), ev("u1", "Product Viewed", kT0 + 1).item("p1"),
        ev("u1", "Product Viewed", kT0 + 2).item("p1")},
       "awareness"},
      {"two products",
       {ev("u1", "Product Viewed", kT0).item("p1"), ev("u1", "Product Viewed", kT0 + 1).item("p2")},
       "awareness"},
      {"three products",
       {ev("u1", "Product Viewed", kT0).item("p1"), ev("u1", "Product Viewed", kT0 + 1).item("p2"),
        ev("u1", "Product Viewed", kT0 + 2).item("p3")},
       "consideration"},
      {"views without a product id",
       {ev("u1", "Product Viewed", kT0), ev("u1", "Product Viewed", kT0 + 1),
        ev("u1", "Product Viewed", kT0 + 2)},
       "awareness"},
      {"a cart",
       {ev("u1", "Email Opened", kT0).item("c"), ev("u1", "Product Added", kT0 + 1).item("p1")},
       "consideration"},
      {"an order first of all", {ev("u1", "Order Completed", kT0).amount(5)}, "purchase"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    auto steps = c.steps;
    steps.push_back(Step::watermark(kT0 + kDay));
    auto h = run(steps);
    EXPECT_EQ(stage(*h, "u1"), c.expected);
  }
}

TEST(Lifecycle, PurchaseDecaysToConsiderationExactlyAtTheEndOfThePurchaseWindow) {
  struct Case {
    int64_t watermark;
    const char* expected;
  };
  const Case cases[] = {
      {kT0 + kPurchaseWindow - 1, "purchase"},
      {kT0 + kPurchaseWindow, "consideration"},
      {kT0 + kPurchaseWindow + 1, "consideration"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.watermark - kT0);
    auto h = run({ev("u1", "Order Completed", kT0).amount(10), Step::watermark(c.watermark)});
    EXPECT_EQ(stage(*h, "u1"), c.expected);
  }
  auto h = run({ev("u1", "Order Completed", kT0).amount(10), Step::watermark(kT0 + 40 * kDay)});
  EXPECT_EQ(changes(*h, "u1"), (std::vector<std::string>{
                                   "none>purchase" + at(0),
                                   "purchase>consideration" + at(kPurchaseWindow),
                               }));
  // A second order inside the window makes a repeat customer, who does not decay.
  auto repeat = run({ev("u1", "Order Completed", kT0).amount(10),
                     ev("u1", "Order Completed", kT0 + kPurchaseWindow - 1).amount(10),
                     Step::watermark(kT0 + 40 * kDay)});
  EXPECT_EQ(changes(*repeat, "u1"), (std::vector<std::string>{
                                        "none>purchase" + at(0),
                                        "purchase>retention" + at(kPurchaseWindow - 1),
                                    }));
}

TEST(Lifecycle, GoesDormantExactlyAfterTheQuietTime) {
  struct Case {
    int64_t watermark;
    const char* expected;
  };
  const Case cases[] = {
      {kT0 + kDormantAfter - 1, "awareness"},
      {kT0 + kDormantAfter, "dormant"},
      {kT0 + kDormantAfter + 1, "dormant"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.watermark - kT0);
    auto h = run({ev("u1", "Product Viewed", kT0).item("p1"), Step::watermark(c.watermark)});
    EXPECT_EQ(stage(*h, "u1"), c.expected);
  }
  // Activity one millisecond before the deadline moves it.
  auto h =
      run({ev("u1", "Product Viewed", kT0).item("p1"),
           ev("u1", "Email Opened", kT0 + kDormantAfter - 1).item("c"),
           Step::watermark(kT0 + kDormantAfter), Step::watermark(2 * kDormantAfter + kT0 - 2)});
  EXPECT_EQ(stage(*h, "u1"), "awareness");
  ASSERT_TRUE(h->run({Step::watermark(kT0 + 2 * kDormantAfter - 1)}).is_ok());
  EXPECT_EQ(changes(*h, "u1"), (std::vector<std::string>{
                                   "none>awareness" + at(0),
                                   "awareness>dormant" + at(2 * kDormantAfter - 1),
                               }));
  // Events operators emit are not the customer's activity.
  auto derived = run({ev("u1", "Product Viewed", kT0).item("p1"),
                      ev("u1", "Cart Abandoned", kT0 + kDormantAfter - 1),
                      ev("u2", "Cart Abandoned", kT0), Step::watermark(kT0 + kDormantAfter)});
  EXPECT_EQ(stage(*derived, "u1"), "dormant");
  EXPECT_EQ(stage(*derived, "u2"), "<none>");
}

TEST(Lifecycle, ADormantCustomerWhoComesBackReturnsToTheStageTheirHistoryEarns) {
  const int64_t back = kT0 + 200 * kDay;
  struct Case {
    const char* what;
    std::vector<Step> history;
    Step comeback;
    const char* expected;
  };
  const Case cases[] = {
      {"a repeat customer",
       {ev("u1", "Order Completed", kT0).amount(1), ev("u1", "Order Completed", kT0 + 1).amount(1)},
       ev("u1", "Email Opened", back).item("c"),
       "retention"},
      {"a one-time buyer",
       {ev("u1", "Order Completed", kT0).amount(1)},
       ev("u1", "Email Opened", back).item("c"),
       "consideration"},
      {"a one-time buyer who orders again",
       {ev("u1", "Order Completed", kT0).amount(1)},
       ev("u1", "Order Completed", back).amount(1),
       "retention"},
      {"a browser who had considered",
       {ev("u1", "Product Added", kT0).item("p1")},
       ev("u1", "Email Opened", back).item("c"),
       "consideration"},
      {"a visitor who had only looked",
       {ev("u1", "Product Viewed", kT0).item("p1")},
       ev("u1", "Email Opened", back).item("c"),
       "awareness"},
      {"a visitor who buys on return",
       {ev("u1", "Product Viewed", kT0).item("p1")},
       ev("u1", "Order Completed", back).amount(1),
       "purchase"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    std::vector<Step> steps = c.history;
    steps.push_back(Step::watermark(back - 1));
    auto h = run(steps);
    EXPECT_EQ(stage(*h, "u1"), "dormant");
    ASSERT_TRUE(h->run({c.comeback, Step::watermark(back)}).is_ok());
    EXPECT_EQ(stage(*h, "u1"), c.expected);
    const auto all = changes(*h, "u1");
    ASSERT_FALSE(all.empty());
    EXPECT_EQ(all.back(), "dormant>" + std::string(c.expected) + at(back - kT0));
  }
}

TEST(Lifecycle, LateAndImportedEventsCountButNeverRestoreAnExpiredStage) {
  // Today is kT0 + 300 days; a history import brings this customer's past.
  const int64_t today = kT0 + 300 * kDay;
  auto h = run({
      Step::watermark(today),
      ev("u1", "Order Completed", today - 200 * kDay).amount(10),
      ev("u1", "Product Viewed", today - 5 * kDay).item("p1"),
      ev("u1", "Order Completed", today - 100 * kDay).amount(10),
      Step::watermark(today + 1),
  });
  // Lands straight in the stage in force today, one change per imported event. The changes share
  // one instant, so the collected (sorted) records are compared as a set.
  auto got = changes(*h, "u1");
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{
                     "consideration>retention" + at(300 * kDay),
                     "dormant>consideration" + at(300 * kDay),
                     "none>dormant" + at(300 * kDay),
                 }));
  EXPECT_TRUE(h->side_output("late").empty());
  auto q = h->query("customers", "u1");
  ASSERT_TRUE(q.is_ok());
  EXPECT_EQ(q->at("lifecycle").as_string(), "retention");

  // A single old order makes a past buyer, not a recent one.
  auto old = run({Step::watermark(today), ev("u1", "Order Completed", today - 40 * kDay).amount(1),
                  Step::watermark(today + 1)});
  EXPECT_EQ(changes(*old, "u1"), std::vector<std::string>{"none>consideration" + at(300 * kDay)});
}

// Journeys of customers each active for about a month somewhere in `days` days: some are long
// gone by the end, some buy once or often, some only look.
std::vector<TestEvent> random_journeys(uint64_t seed, int customers, int events, int64_t days) {
  std::mt19937_64 rng(seed);
  std::vector<TestEvent> out;
  for (int i = 0; i < events; ++i) {
    // Skewed: low numbers are busy customers, high numbers barely show up.
    const int ci = static_cast<int>((rng() % customers) * (rng() % customers) / customers);
    const std::string c = "c" + std::to_string(ci);
    const int64_t start = (ci * 7919 % customers) * (days - 30) * kDay / customers;
    const int64_t t = kT0 + start + static_cast<int64_t>(rng() % static_cast<uint64_t>(30 * kDay));
    const uint64_t pick = rng() % 100;
    if (pick < 75) {
      out.push_back(ev(c, "Product Viewed", t).item("p" + std::to_string(rng() % 8)).event());
    } else if (pick < 80) {
      out.push_back(ev(c, "Product Added", t).item("p1").event());
    } else if (pick < 85) {
      out.push_back(ev(c, "Order Completed", t).amount(10).event());
    } else if (pick < 95) {
      out.push_back(ev(c, "Email Opened", t).item("c1").event());
    } else {
      out.push_back(ev(c, "Cart Abandoned", t).event());
    }
  }
  return out;
}

TEST(Lifecycle, TheFinalStageDoesNotDependOnTheOrderEventsArriveIn) {
  const auto events = random_journeys(3, 60, 600, 150);
  const int64_t end = kT0 + 151 * kDay;
  auto by_time = events;
  std::stable_sort(by_time.begin(), by_time.end(),
                   [](const TestEvent& a, const TestEvent& b) { return a.time_ms < b.time_ms; });
  std::vector<Step> in_time;
  for (size_t i = 0; i < by_time.size(); ++i) {
    in_time.push_back(Step::of(by_time[i]));
    if (i % 25 == 24) in_time.push_back(Step::watermark(by_time[i].time_ms));
  }
  in_time.push_back(Step::watermark(end));
  auto by_customer = events;
  std::stable_sort(by_customer.begin(), by_customer.end(),
                   [](const TestEvent& a, const TestEvent& b) { return a.key < b.key; });
  std::vector<Step> in_customer = {Step::watermark(end - 1)};
  for (const auto& e : by_customer)
    in_customer.push_back(Step::of(e));
  in_customer.push_back(Step::watermark(end));

  auto a = run(in_time);
  auto b = run(in_customer);
  std::set<std::string> keys;
  for (const auto& e : events)
    keys.insert(e.key);
  std::map<std::string, int> stages;
  for (const std::string& key : keys) {
    SCOPED_TRACE(key);
    const auto qa = a->query("customers", key);
    const auto qb = b->query("customers", key);
    ASSERT_TRUE(qa.is_ok() && qb.is_ok());
    EXPECT_EQ(qa->at("lifecycle"), qb->at("lifecycle"));
    ++stages[std::string(qa->at("lifecycle").as_string())];
  }
  EXPECT_EQ(stages.size(), 5u) << "the journeys reach every stage";
  // The import emits at most a few changes per customer; time order walks through every stage.
  EXPECT_LT(b->sink("changes").size(), a->sink("changes").size());
}

// What left a stage instance, in order.
class Recorder final : public StageOutput {
 public:
  void output(StageId, const EventRef& e) override {
    std::string s = "out " + std::string(e.key()) + "@" + std::to_string(e.time().value());
    for (size_t i = 0; i < e.prop_count(); ++i) {
      s += " " + std::string(e.prop_name(i)) + "=" + render_prop_value(e.prop_value(i));
    }
    out.push_back(s);
  }
  void side_output(StageId, std::string_view name, const EventRef& e) override {
    out.push_back(std::string(name) + " " + std::string(e.key()));
  }
  void rejected(StageId, std::string_view reason, const EventRef& e) override {
    out.push_back("rejected:" + std::string(reason) + " " + std::string(e.key()));
  }
  std::vector<std::string> out;
};

struct Driver {
  TopologySpec spec = topology();
  std::unique_ptr<StageInstance> inst;
  Recorder rec;
  EventTime wm = kMinEventTime;

  Driver() {
    auto made = StageInstance::create(spec, StageId(0), KeyGroup(0), EventTime(0));
    EXPECT_TRUE(made.is_ok()) << made.status().to_string();
    inst = std::move(made).value();
  }
  void send(const TestEvent& e) {
    EventDraft d;
    d.key = e.key;
    d.type = spec.types().find(e.type);
    d.time = EventTime(e.time_ms);
    d.amount = e.amount;
    d.item = e.item;
    BatchBuilder b;
    b.add(d);
    EventBatch batch = b.finish();
    inst->on_event(EventRef(batch.events[0], *batch.payload), wm, rec);
  }
  void watermark(int64_t t) {
    wm = EventTime(t);
    inst->on_watermark(wm, rec);
  }
  FeatureValue feature(const std::string& key, const std::string& path) const {
    const auto slot = inst->slots().find(hash_key(key));
    const auto* f = inst->features().find(path);
    EXPECT_TRUE(slot.has_value() && f != nullptr) << key << " " << path;
    return slot && f ? f->get(*slot, wm) : FeatureValue::missing();
  }
};

TEST(Lifecycle, PublishesTheStageAndTheOrderCountAsFeatures) {
  Driver d;
  d.send(ev("u1", "Order Completed", kT0).event());
  d.send(ev("u1", "Order Completed", kT0 + kHour).event());
  d.send(ev("u2", "Cart Abandoned", kT0).event());
  EXPECT_EQ(d.feature("u1", "lifecycle").kind, FeatureValue::Kind::kString);
  EXPECT_EQ(d.feature("u1", "lifecycle").text, "retention");
  EXPECT_EQ(d.feature("u1", "lifecycle.orders").number, 2);
  EXPECT_EQ(d.feature("u2", "lifecycle").kind, FeatureValue::Kind::kMissing);
  EXPECT_EQ(d.feature("u2", "lifecycle.orders").number, 0);
}

TEST(Lifecycle, RestoringASnapshotContinuesExactlyLikeTheOriginal) {
  auto events = random_journeys(9, 25, 600, 300);
  std::stable_sort(events.begin(), events.end(), [](const TestEvent& a, const TestEvent& b) {
    return a.time_ms / (5 * kDay) < b.time_ms / (5 * kDay);
  });
  auto feed = [&](Driver& d, size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      d.send(events[i]);
      if (i % 20 == 19) d.watermark(std::max(d.wm.value(), events[i].time_ms));
    }
  };
  const size_t half = events.size() / 2;
  Driver original;
  feed(original, 0, half);
  StateWriter w;
  original.inst->snapshot(w);

  Driver restored;
  StateReader r(w.bytes());
  ASSERT_TRUE(restored.inst->restore(r).is_ok());
  EXPECT_TRUE(r.at_end());
  EXPECT_EQ(restored.inst->timer_count(), original.inst->timer_count());
  restored.wm = original.wm;
  original.rec.out.clear();

  feed(original, half, events.size());
  feed(restored, half, events.size());
  original.watermark(kT0 + 500 * kDay);
  restored.watermark(kT0 + 500 * kDay);
  EXPECT_EQ(original.rec.out, restored.rec.out);
  EXPECT_GT(original.rec.out.size(), 100u);
  for (int c = 0; c < 25; ++c) {
    const std::string key = "c" + std::to_string(c);
    EXPECT_EQ(original.inst->query(hash_key(key), EventTime(0)),
              restored.inst->query(hash_key(key), EventTime(0)))
        << key;
  }

  // Truncated state, or state written under another configuration, is refused.
  StateWriter op_state;
  original.inst->op(0).snapshot(op_state);
  const std::string bytes = op_state.bytes();
  const auto slots = static_cast<uint32_t>(original.inst->slots().size());
  auto restore = [&](const boost::json::object& config, std::string_view in, uint32_t n) {
    auto op = Lifecycle::create(OperatorArgs{config, original.spec.types()});
    EXPECT_TRUE(op.is_ok());
    StateReader reader(in);
    return (*op)->restore(reader, n);
  };
  EXPECT_TRUE(restore({}, bytes, slots).is_ok());
  for (size_t cut : {size_t{0}, size_t{6}, bytes.size() / 2, bytes.size() - 1}) {
    SCOPED_TRACE(cut);
    EXPECT_EQ(restore({}, std::string_view(bytes).substr(0, cut), slots).code(), Errc::kCorrupt);
  }
  EXPECT_EQ(restore({}, bytes, slots + 1).code(), Errc::kCorrupt);
  EXPECT_EQ(restore({{"consideration_views", 5}}, bytes, slots).code(), Errc::kCorrupt);
}

TEST(Lifecycle, SameResultForAnyWorkerCountBatchSizeAndInterleaving) {
  auto events = random_journeys(17, 120, 3000, 300);
  std::stable_sort(events.begin(), events.end(), [](const TestEvent& a, const TestEvent& b) {
    return a.time_ms / (3 * kDay) < b.time_ms / (3 * kDay);
  });
  std::vector<Step> steps;
  for (size_t i = 0; i < events.size(); ++i) {
    steps.push_back(Step::of(events[i]));
    if (i % 150 == 149) steps.push_back(Step::watermark(events[i].time_ms));
  }
  steps.push_back(Step::watermark(kT0 + 500 * kDay));

  struct Outcome {
    std::vector<CollectingSink::Record> changes, late;
    std::map<std::string, std::string> profiles;
    bool operator==(const Outcome&) const = default;
  };
  auto outcome = [&](const HarnessOptions& o) {
    auto h = run(steps, {}, o);
    Outcome out;
    out.changes = h->sink("changes");
    out.late = h->side_output("late");
    for (int c = 0; c < 120; ++c) {
      const std::string key = "c" + std::to_string(c);
      auto q = h->query("customers", key);
      out.profiles[key] = q.is_ok() ? boost::json::serialize(*q) : q.status().to_string();
    }
    return out;
  };
  const Outcome expected = outcome({});
  ASSERT_GT(expected.changes.size(), 300u);
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    const HarnessOptions o = HarnessOptions::random(seed);
    SCOPED_TRACE(o.describe());
    const Outcome got = outcome(o);
    EXPECT_EQ(got.changes, expected.changes);
    EXPECT_EQ(got.late, expected.late);
    EXPECT_EQ(got.profiles, expected.profiles);
  }
}

TEST(Lifecycle, OnlyTheConfiguredEventsShowActivity) {
  auto h = run(
      {ev("u1", "Product Viewed", kT0).item("p1"),
       ev("u1", "Email Opened", kT0 + 80 * kDay).item("c"), Step::watermark(kT0 + 100 * kDay)},
      {{"activity_types", boost::json::array{"Product Viewed"}}, {"dormant_after_ms", 90 * kDay}});
  EXPECT_EQ(stage(*h, "u1"), "dormant") << "email opens do not count as activity here";
  auto custom =
      run({ev("u1", "Email Opened", kT0).item("c1"), ev("u1", "Email Opened", kT0 + 1).item("c2"),
           Step::watermark(kT0 + 10)},
          {{"view_types", boost::json::array{"Email Opened"}}, {"consideration_views", 2}});
  EXPECT_EQ(stage(*custom, "u1"), "consideration");
}

TEST(Lifecycle, RefusesConfigurationsItCannotHonour) {
  EventTypeRegistry types;
  types.add_all({"Product Viewed", "Product Added", "Order Completed", "Lifecycle Changed"});
  struct Case {
    boost::json::object config;
    const char* message;
  };
  const Case cases[] = {
      {{{"dormant_after", 5}}, "unknown setting 'dormant_after'"},
      {{{"consideration_views", 0}}, "'consideration_views' must be"},
      {{{"consideration_views", 17}}, "'consideration_views' must be"},
      {{{"consideration_views", "3"}}, "'consideration_views' must be"},
      {{{"purchase_window_ms", -1}}, "'purchase_window_ms' must be positive"},
      {{{"purchase_window_ms", 1.5}}, "'purchase_window_ms' must be a whole number"},
      {{{"dormant_after_ms", 0}}, "'dormant_after_ms' must be positive"},
      {{{"view_types", "Product Viewed"}}, "'view_types' must be a list"},
      {{{"order_types", boost::json::array{"Purchase"}}}, "'Purchase' is not accepted"},
      {{{"cart_types", boost::json::array{"Product Viewed"}}},
       "more than one of views, carts, orders"},
      {{{"activity_types", boost::json::array{"Lifecycle Changed"}}},
       "cannot list the operator's own"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(boost::json::serialize(c.config));
    auto made = Lifecycle::create(OperatorArgs{c.config, types});
    ASSERT_FALSE(made.is_ok());
    EXPECT_EQ(made.status().code(), Errc::kInvalidArgument);
    EXPECT_NE(made.status().message().find(c.message), std::string::npos)
        << made.status().message();
  }
  EventTypeRegistry no_output;
  no_output.add_all({"Product Viewed", "Order Completed"});
  auto made = Lifecycle::create(OperatorArgs{{}, no_output});
  ASSERT_FALSE(made.is_ok());
  EXPECT_NE(made.status().message().find("must accept 'Lifecycle Changed'"), std::string::npos);
  EXPECT_TRUE(Lifecycle::create(OperatorArgs{{}, types}).is_ok());
}

// Identity resolution (Lifecycle::move_key_out / merge_key_in). A history split between "anon" and
// "user", with "anon" then moved into "user", against the same history under "user" alone.
using testing::InstanceDriver;
using Record = CollectingSink::Record;

using testing::rekeyed;

struct Merged {
  std::unique_ptr<InstanceDriver> split;  // the history as written, "anon" then moved into "user"
  std::unique_ptr<InstanceDriver> whole;  // the same history under "user" alone
  size_t outputs_before_move = 0;         // of split
  size_t outputs_of_move = 0;             // of split
};

// Runs `history` both ways, moves "anon" into "user" on the split instance at the watermark
// `move_at`, then runs `after` on both.
Merged merged(const TopologySpec& spec, const std::vector<Step>& history, int64_t move_at,
              const std::vector<Step>& after) {
  Merged m{InstanceDriver::create(spec), InstanceDriver::create(spec)};
  m.split->run(history);
  m.split->watermark(move_at);
  m.outputs_before_move = m.split->outputs().size();
  m.split->move("anon", "user");
  m.outputs_of_move = m.split->outputs().size() - m.outputs_before_move;
  m.split->run(after);
  m.whole->run(rekeyed(history, "user"));
  m.whole->watermark(move_at);
  m.whole->run(after);
  return m;
}

// The changes of `key` later than `t`.
std::vector<Record> changes_after(const InstanceDriver& d, const std::string& key, int64_t t) {
  std::vector<Record> out;
  for (const Record& r : d.outputs("Lifecycle Changed")) {
    if (r.key == key && r.time.value() > t) out.push_back(r);
  }
  return out;
}

// What the merge itself emitted, as "key from>to@ms since kT0".
std::vector<std::string> merge_changes(const Merged& m) {
  std::vector<std::string> out;
  const auto& all = m.split->outputs();
  for (size_t i = m.outputs_before_move; i < m.outputs_before_move + m.outputs_of_move; ++i) {
    out.push_back(all[i].key + " " + prop(all[i], "from") + ">" + prop(all[i], "to") + "@" +
                  std::to_string(all[i].time.value() - kT0));
  }
  return out;
}

TEST(LifecycleMerge, ASplitHistoryMergesIntoTheStageAndTimersOfTheWholeHistory) {
  const TopologySpec spec = topology();
  struct Case {
    const char* name;
    std::vector<Step> history;
    int64_t move_at;  // since kT0
    std::vector<Step> after;
    std::vector<std::string> merge;  // what the merge emits
  };
  const std::vector<Case> cases = {
      {"anonymous history moved into a key never seen",
       {ev("anon", "Product Viewed", kT0).item("p1"),
        ev("anon", "Product Viewed", kT0 + kHour).item("p2"),
        ev("anon", "Product Viewed", kT0 + 2 * kHour).item("p3"),
        ev("anon", "Order Completed", kT0 + kDay)},
       kDay,
       {},
       {"user none>purchase" + at(kDay)}},
      {"interleaved views reach consideration together",
       {ev("anon", "Product Viewed", kT0).item("p1"),
        ev("user", "Product Viewed", kT0 + kHour).item("p2"),
        ev("anon", "Product Viewed", kT0 + 2 * kHour).item("p3")},
       2 * kHour,
       {ev("user", "Order Completed", kT0 + 3 * kHour)},
       {"user awareness>consideration" + at(2 * kHour)}},
      {"one order each makes a repeat customer, and no purchase window ends",
       {ev("anon", "Order Completed", kT0), ev("user", "Order Completed", kT0 + kDay)},
       kDay,
       {},
       {"user purchase>retention" + at(kDay)}},
      {"the anonymous order puts a browsing user into purchase, for its window",
       {ev("user", "Email Opened", kT0), ev("anon", "Order Completed", kT0 + kHour)},
       kHour,
       {},
       {"user awareness>purchase" + at(kHour)}},
      {"both aware: the earlier entry counts",
       {ev("anon", "Product Viewed", kT0).item("p1"), ev("user", "Email Opened", kT0 + 5 * kHour)},
       5 * kHour,
       {ev("user", "Product Viewed", kT0 + 6 * kHour).item("p2"),
        ev("user", "Product Viewed", kT0 + 7 * kHour).item("p3")},
       {}},
      {"a cart on one side, views on the other",
       {ev("user", "Product Added", kT0).item("p1"),
        ev("anon", "Product Viewed", kT0 + kHour).item("p2")},
       kHour,
       {},
       {}},
      {"the anonymous activity wakes a dormant user",
       {ev("user", "Product Viewed", kT0).item("p1"), Step::watermark(kT0 + 91 * kDay),
        ev("anon", "Product Viewed", kT0 + 95 * kDay).item("p2")},
       95 * kDay,
       {},
       {"user dormant>awareness" + at(95 * kDay)}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<Step> after = c.after;
    after.push_back(Step::watermark(kT0 + 400 * kDay));
    Merged m = merged(spec, c.history, kT0 + c.move_at, after);
    EXPECT_EQ(merge_changes(m), c.merge);
    EXPECT_EQ(m.split->query("user"), m.whole->query("user"));
    // Purchase-window ends, dormancy and later input: the same changes, ids included.
    const auto later = changes_after(*m.split, "user", kT0 + c.move_at);
    EXPECT_EQ(later, changes_after(*m.whole, "user", kT0 + c.move_at));
    ASSERT_FALSE(later.empty());
    EXPECT_EQ(prop(later.back(), "to"), "dormant");
    EXPECT_EQ(m.split->query("anon"), boost::json::object()) << "no stage";
    EXPECT_TRUE(changes_after(*m.split, "anon", kT0 + c.move_at).empty()) << "no timer left";
  }
}

TEST(LifecycleMerge, TheMovedKeyLeavesItsStageSilentlyAndItsTimersAreGone) {
  const TopologySpec spec = topology();
  auto d = InstanceDriver::create(spec);
  d->run({ev("anon", "Order Completed", kT0), Step::watermark(kT0)});
  EXPECT_EQ(d->instance().timer_count(), 2u) << "purchase window and dormancy";
  const size_t before = d->outputs().size();
  d->move("anon", "user");
  EXPECT_EQ(d->outputs().size(), before + 1) << "only the user's none>purchase";
  EXPECT_EQ(d->outputs().back().key, "user");
  EXPECT_EQ(d->instance().timer_count(), 2u) << "the user's, set again";
  EXPECT_EQ(d->query("anon"), boost::json::object());
  // The old key starts afresh, as if never seen.
  d->run({ev("anon", "Product Viewed", kT0 + kHour).item("p1")});
  EXPECT_EQ(prop(d->outputs("Lifecycle Changed").back(), "from"), "none");
  EXPECT_EQ(d->outputs("Lifecycle Changed").back().key, "anon");
}

// A stage the merged history earns is entered when the merge happens, never in the past: the
// operator's rule for late input, so that entry times do not go backwards.
TEST(LifecycleMerge, AStageTheMergeEarnsIsEnteredAtTheWatermarkWhenThatIsLater) {
  const TopologySpec spec = topology();
  Merged m = merged(spec,
                    {ev("anon", "Product Viewed", kT0).item("p1"),
                     ev("anon", "Product Viewed", kT0 + kHour).item("p2"),
                     ev("user", "Product Viewed", kT0 + 2 * kHour).item("p3")},
                    kT0 + 10 * kHour, {});
  EXPECT_EQ(merge_changes(m),
            std::vector<std::string>{"user awareness>consideration" + at(10 * kHour)});
  EXPECT_EQ(m.split->query("user")->at("lifecycle_since_ms").as_int64(), kT0 + 10 * kHour);
  EXPECT_EQ(m.whole->query("user")->at("lifecycle_since_ms").as_int64(), kT0 + 2 * kHour)
      << "live, the third view made the change";
}

TEST(LifecycleMerge, DistinctViewsAreUnitedNotAdded) {
  const TopologySpec spec = topology();
  Merged m = merged(spec,
                    {ev("anon", "Product Viewed", kT0).item("p1"),
                     ev("anon", "Product Viewed", kT0 + 1).item("p2"),
                     ev("user", "Product Viewed", kT0 + 2).item("p1"),
                     ev("user", "Product Viewed", kT0 + 3).item("p2")},
                    kT0 + 3, {ev("user", "Product Viewed", kT0 + 4).item("p2")});
  EXPECT_EQ(m.split->query("user")->at("lifecycle").as_string(), "awareness");
  EXPECT_EQ(m.split->query("user"), m.whole->query("user"));
  m.split->run({ev("user", "Product Viewed", kT0 + 5).item("p3")});
  EXPECT_EQ(m.split->query("user")->at("lifecycle").as_string(), "consideration");
}

TEST(LifecycleMerge, RefusesTruncatedOrForeignBytes) {
  const TopologySpec spec = topology();
  auto d = InstanceDriver::create(spec);
  d->run({ev("anon", "Product Viewed", kT0).item("p1"),
          ev("anon", "Product Viewed", kT0 + 1).item("p2"),
          ev("anon", "Order Completed", kT0 + 2)});
  DiscardOutput out;
  auto moved = d->instance().move_key_out(hash_key("anon"), EventTime(kT0), out);
  ASSERT_TRUE(moved.has_value());
  // The stage's framing: the operator count, then the operator's bytes with their length.
  const std::string mine = moved->substr(2 * sizeof(uint32_t));
  auto merge = [&](std::string_view bytes) {
    StateWriter w;
    w.put<uint32_t>(1);
    w.put_string(bytes);
    return d->instance().merge_key_in(hash_key("user"), "user", w.bytes(), EventTime(kT0), out);
  };
  for (size_t cut = 0; cut < mine.size(); ++cut)
    ASSERT_EQ(merge(std::string_view(mine).substr(0, cut)).code(), Errc::kCorrupt) << cut;
  EXPECT_EQ(d->query("user"), boost::json::object()) << "nothing merged";
  std::string foreign = mine;
  foreign[0] = 9;  // another build's format
  EXPECT_EQ(merge(foreign).code(), Errc::kCorrupt);
  std::string impossible = mine;
  impossible[4 + 8 + 8 + 8 + 4] = 42;  // the stage
  EXPECT_EQ(merge(impossible).code(), Errc::kCorrupt);
  EXPECT_TRUE(merge(mine).is_ok());
  EXPECT_EQ(d->query("user")->at("lifecycle").as_string(), "purchase");
}

}  // namespace
}  // namespace eddy
