#include "operators/windowed_counters.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <cmath>
#include <map>
#include <random>

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
using testing::InstanceDriver;
using testing::Step;
using testing::TestEvent;

constexpr int64_t kHour = kMillisPerHour;
constexpr int64_t kDay = kMillisPerDay;
// A Tuesday in November 2023; the tests that look at pane edges use times they align themselves.
constexpr int64_t kT0 = 1'700'000'000'000;

std::shared_ptr<OperatorRegistry> registry() {
  auto r = testing::test_registry();
  EXPECT_TRUE(r->contains("windowed_counters")) << "registered by register_builtin_operators";
  return r;
}

boost::json::object counter(
    std::initializer_list<std::pair<std::string_view, boost::json::value>> kv) {
  boost::json::object o;
  for (const auto& [k, v] : kv)
    o[k] = v;
  return o;
}

// The counters the issue asks for.
boost::json::object issue_config() {
  boost::json::array counters = {
      counter({{"name", "product_views_7d"},
               {"type", "Product Viewed"},
               {"window_ms", 7 * kDay},
               {"kind", "sliding"},
               {"aggregate", "count"}}),
      counter({{"name", "orders_30d"}, {"type", "Order Completed"}, {"window_ms", 30 * kDay}}),
      counter({{"name", "revenue_90d"},
               {"type", "Order Completed"},
               {"window_ms", 90 * kDay},
               {"aggregate", "sum"}}),
      counter({{"name", "email_opens_no_click_7d"},
               {"kind", "opens_without_click"},
               {"window_ms", 7 * kDay}}),
      counter({{"name", "product_page_visits_7d"},
               {"type", "Product Viewed"},
               {"window_ms", 7 * kDay},
               {"aggregate", "max_per_item"}}),
  };
  return {{"counters", std::move(counters)}};
}

boost::json::object single(boost::json::object c) {
  return {{"counters", boost::json::array{std::move(c)}}};
}

TopologySpec topology(boost::json::object config, boost::json::object second = {}) {
  TopologyBuilder b("counters", registry());
  b.accept_types(
       {"Product Viewed", "Product Added", "Order Completed", "Email Opened", "Email Link Clicked"})
      .stage("customers")
      .op("counters", "windowed_counters", std::move(config));
  if (!second.empty()) b.op("more_counters", "windowed_counters", std::move(second));
  auto built = b.sink("out").build();
  EXPECT_TRUE(built.is_ok()) << built.status().to_string();
  return std::move(built).value();
}

// What left a stage instance, in order.
class Recorder final : public StageOutput {
 public:
  void output(StageId, const EventRef& e) override { out.push_back(describe("out", e)); }
  void side_output(StageId, std::string_view name, const EventRef& e) override {
    out.push_back(describe(std::string(name), e));
  }
  void rejected(StageId, std::string_view reason, const EventRef& e) override {
    out.push_back(describe("rejected:" + std::string(reason), e));
  }
  size_t count(const std::string& prefix) const {
    return std::count_if(out.begin(), out.end(),
                         [&](const std::string& s) { return s.rfind(prefix + " ", 0) == 0; });
  }
  std::vector<std::string> out;

 private:
  static std::string describe(const std::string& what, const EventRef& e) {
    return what + " " + std::string(e.key()) + "@" + std::to_string(e.time().value());
  }
};

// Drives one stage instance directly: exact control over the watermark each event sees.
struct Driver {
  TopologySpec spec;
  std::unique_ptr<StageInstance> inst;
  Recorder rec;
  EventTime wm = kMinEventTime;

  explicit Driver(boost::json::object config) : spec(topology(std::move(config))) {
    auto made = StageInstance::create(spec, StageId(0), KeyGroup(0), EventTime(0));
    EXPECT_TRUE(made.is_ok()) << made.status().to_string();
    inst = std::move(made).value();
  }

  void send(const testing::EventMaker& maker) {
    BatchBuilder b;
    inst->on_event(testing::add_test_event(b, maker.event(), spec.types()), wm, rec);
  }
  void watermark(int64_t t) {
    wm = EventTime(t);
    inst->on_watermark(wm, rec);
  }
  double feature(const std::string& key, const std::string& name, int64_t now) const {
    const auto slot = inst->slots().find(hash_key(key));
    EXPECT_TRUE(slot.has_value()) << key;
    const auto* f = inst->features().find("counters." + name);
    EXPECT_NE(f, nullptr) << name;
    if (!slot || f == nullptr) return NAN;
    const FeatureValue v = f->get(*slot, EventTime(now));
    EXPECT_EQ(v.kind, FeatureValue::Kind::kNumber);
    return v.number;
  }
  boost::json::object counters(const std::string& key) const {
    auto q = inst->query(hash_key(key), EventTime(0));
    EXPECT_TRUE(q.has_value()) << key;
    return q ? q->at("counters").as_object() : boost::json::object();
  }
  const WindowedCounters& op() const { return dynamic_cast<const WindowedCounters&>(inst->op(0)); }
};

uint64_t metric(Harness& h, bool rejected, const std::string& name) {
  auto m = h.engine().metrics();
  EXPECT_TRUE(m.is_ok());
  uint64_t total = 0;
  for (const auto& w : m->workers) {
    const auto& map = rejected ? w.rejected : w.side_outputs;
    if (auto it = map.find(name); it != map.end()) total += it->second;
  }
  return total;
}

boost::json::object query_counters(Harness& h, const std::string& key) {
  auto q = h.query("customers", key);
  EXPECT_TRUE(q.is_ok()) << q.status().to_string();
  return q.is_ok() ? q->at("counters").as_object() : boost::json::object();
}

TEST(WindowedCounters, CountsSumsAndPerItemMaximaOverTheirWindows) {
  auto h = Harness::create(topology(issue_config()), {});
  ASSERT_TRUE(h.is_ok()) << h.status().to_string();
  ASSERT_TRUE((*h)->run({
                            ev("u1", "Product Viewed", kT0).item("p1"),
                            ev("u1", "Product Viewed", kT0 + 1 * kHour).item("p1"),
                            ev("u1", "Product Viewed", kT0 + 2 * kHour).item("p2"),
                            ev("u1", "Product Viewed", kT0 + 3 * kHour).item("p1"),
                            ev("u1", "Order Completed", kT0 + 1 * kDay).amount(19.99),
                            ev("u1", "Order Completed", kT0 + 2 * kDay).amount(5.01),
                            ev("u1", "Email Opened", kT0).item("spring"),
                            ev("u1", "Email Opened", kT0 + kHour).item("summer"),
                            ev("u1", "Email Link Clicked", kT0 + 5 * kHour).item("summer"),
                            ev("u2", "Product Viewed", kT0).item("p9"),
                            Step::watermark(kT0 + 3 * kDay),
                        })
                  .is_ok());
  EXPECT_EQ(query_counters(**h, "u1"), (boost::json::object{{"product_views_7d", 4},
                                                            {"orders_30d", 2},
                                                            {"revenue_90d", 25.0},
                                                            {"email_opens_no_click_7d", 1},
                                                            {"product_page_visits_7d", 3}}));
  EXPECT_EQ(query_counters(**h, "u2"), (boost::json::object{{"product_views_7d", 1},
                                                            {"orders_30d", 0},
                                                            {"revenue_90d", 0.0},
                                                            {"email_opens_no_click_7d", 0},
                                                            {"product_page_visits_7d", 1}}));

  // A week and a day later the views and opens have left their windows; the orders have not.
  ASSERT_TRUE((*h)->run({Step::watermark(kT0 + 8 * kDay)}).is_ok());
  EXPECT_EQ(query_counters(**h, "u1"), (boost::json::object{{"product_views_7d", 0},
                                                            {"orders_30d", 2},
                                                            {"revenue_90d", 25.0},
                                                            {"email_opens_no_click_7d", 0},
                                                            {"product_page_visits_7d", 0}}));
  ASSERT_TRUE((*h)->run({Step::watermark(kT0 + 40 * kDay)}).is_ok());
  EXPECT_EQ(query_counters(**h, "u1").at("orders_30d").as_int64(), 0);
  EXPECT_EQ(query_counters(**h, "u1").at("revenue_90d").as_double(), 25.0);
  ASSERT_TRUE((*h)->run({Step::watermark(kT0 + 100 * kDay)}).is_ok());
  EXPECT_EQ(query_counters(**h, "u1").at("revenue_90d").as_double(), 0.0);
  EXPECT_TRUE((*h)->side_output("late").empty());
  EXPECT_TRUE((*h)->side_output("rejected").empty());
}

TEST(WindowedCounters, SumsMoneyExactlyToTheCent) {
  Driver d(single(counter({{"name", "revenue"},
                           {"type", "Order Completed"},
                           {"window_ms", 365 * kDay},
                           {"aggregate", "sum"}})));
  // 0.1 + 0.2 is not 0.3 in floating point, and a float loses cents long before a year's revenue.
  for (int i = 0; i < 10'000; ++i) {
    d.send(ev("u1", "Order Completed", kT0 + i * kHour / 4).amount(i % 2 == 0 ? 0.1 : 0.2));
  }
  d.send(ev("u1", "Order Completed", kT0 + 200 * kDay).amount(1'234'567.89));
  EXPECT_EQ(d.feature("u1", "revenue", kT0 + 200 * kDay), 1'234'567.89 + 1500.0);
  EXPECT_EQ(d.counters("u1").at("revenue").as_double(), 1'236'067.89);
}

TEST(WindowedCounters, PublishesOneFeaturePerCounterThatAgesWithNow) {
  Driver d(issue_config());
  d.send(ev("u1", "Product Viewed", kT0).item("p1"));
  d.send(ev("u1", "Order Completed", kT0).amount(10));
  EXPECT_EQ(d.feature("u1", "product_views_7d", kT0), 1);
  EXPECT_EQ(d.feature("u1", "product_views_7d", kT0 + 8 * kDay), 0);
  EXPECT_EQ(d.feature("u1", "orders_30d", kT0 + 8 * kDay), 1);
  EXPECT_EQ(d.feature("u1", "revenue_90d", kT0 + 8 * kDay), 10);
  EXPECT_EQ(d.feature("u1", "product_page_visits_7d", kT0), 1);
  EXPECT_EQ(d.feature("u1", "email_opens_no_click_7d", kT0), 0);
}

// Window 10 s in 1 s panes: a pane is [k * 1000, k * 1000 + 999].
boost::json::object ten_second_window(std::string_view kind = "sliding") {
  auto c = counter({{"name", "c"},
                    {"type", "Product Viewed"},
                    {"window_ms", 10'000},
                    {"kind", boost::json::value(kind)}});
  if (kind == "sliding") c["panes"] = 10;
  return single(std::move(c));
}

TEST(WindowedCounters, ASlidingCountIsExactAtPaneGranularity) {
  constexpr int64_t kPane = 1'700'000'005'000;  // a pane start
  struct Case {
    const char* what;
    int64_t event;
    int64_t now;
    double expected;
  };
  const Case cases[] = {
      // An event in a pane's last millisecond leaves exactly window_ms later: (now - 10 s, now].
      {"last ms of its pane, 1 ms before it leaves", kPane + 999, kPane + 999 + 10'000 - 1, 1},
      {"last ms of its pane, as it leaves", kPane + 999, kPane + 999 + 10'000, 0},
      {"last ms of its pane, 1 ms after it left", kPane + 999, kPane + 999 + 10'000 + 1, 0},
      // An event early in its pane stays as long as its pane overlaps the window: up to one pane
      // longer than an exact per-event window would keep it.
      {"first ms of its pane, where an exact window drops it", kPane, kPane + 10'000, 1},
      {"first ms of its pane, the pane's last moment", kPane, kPane + 10'999 - 1, 1},
      {"first ms of its pane, after the pane left", kPane, kPane + 10'999, 0},
      {"at the watermark", kPane, kPane, 1},
      {"ahead of the watermark (counts at once)", kPane, kPane - 3000, 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    Driver d(ten_second_window());
    d.send(ev("u1", "Product Viewed", c.event));
    EXPECT_EQ(d.feature("u1", "c", c.now), c.expected);
  }
}

TEST(WindowedCounters, AnEventArrivingAfterItsPaneLeftTheWindowGoesToOutsideWindow) {
  constexpr int64_t kPane = 1'700'000'005'000;
  struct Case {
    int64_t event;
    int64_t watermark;
    bool counted;
  };
  const Case cases[] = {
      {kPane + 999, kPane + 999 + 10'000 - 1, true},
      {kPane + 999, kPane + 999 + 10'000, false},
      {kPane + 999, kPane + 999 + 10'000 + 1, false},
      {kPane, kPane + 10'999 - 1, true},
      {kPane, kPane + 10'999, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE("event " + std::to_string(c.event) + " watermark " + std::to_string(c.watermark));
    Driver d(ten_second_window());
    d.watermark(c.watermark);
    d.send(ev("u1", "Product Viewed", c.event));
    EXPECT_EQ(d.feature("u1", "c", c.watermark), c.counted ? 1 : 0);
    EXPECT_EQ(d.rec.count("outside_window"), c.counted ? 0u : 1u);
    EXPECT_EQ(d.rec.count("out"), 1u) << "every event passes on";
  }
}

TEST(WindowedCounters, ATumblingCountCoversTheAlignedWindowHoldingNow) {
  constexpr int64_t kStart = 1'700'000'000'000;  // a multiple of 10 s
  struct Case {
    const char* what;
    int64_t event;
    int64_t now;
    double expected;
  };
  const Case cases[] = {
      {"first ms of the window", kStart, kStart, 1},
      {"last ms of the window", kStart + 9'999, kStart + 9'999, 1},
      {"1 ms before the window ends", kStart, kStart + 9'998, 1},
      {"as the next window starts", kStart + 9'999, kStart + 10'000, 0},
      {"1 ms into the next window", kStart, kStart + 10'001, 0},
      {"an event of the next window waits for it", kStart + 10'000, kStart + 9'999, 0},
      {"and counts once it starts", kStart + 10'000, kStart + 10'000, 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    Driver d(ten_second_window("tumbling"));
    d.send(ev("u1", "Product Viewed", c.event));
    EXPECT_EQ(d.feature("u1", "c", c.now), c.expected);
  }

  Driver late(ten_second_window("tumbling"));
  late.watermark(kStart + 10'000);
  late.send(ev("u1", "Product Viewed", kStart + 9'999));
  late.send(ev("u1", "Product Viewed", kStart + 10'000));
  EXPECT_EQ(late.rec.count("outside_window"), 1u) << "the previous window has closed";
  EXPECT_EQ(late.feature("u1", "c", kStart + 10'000), 1);
}

TEST(WindowedCounters, LateEventsStillInsideTheirWindowCount) {
  auto config = single(counter({{"name", "revenue_365d"},
                                {"type", "Order Completed"},
                                {"window_ms", 365 * kDay},
                                {"aggregate", "sum"}}));
  auto h = Harness::create(topology(config), {});
  ASSERT_TRUE(h.is_ok());
  // Today is kT0; a history import brings orders from long ago.
  ASSERT_TRUE((*h)->run({
                            Step::watermark(kT0),
                            ev("u1", "Order Completed", kT0 - 200 * kDay).amount(100),
                            ev("u1", "Order Completed", kT0 - 400 * kDay).amount(7),
                            ev("u1", "Order Completed", kT0 - 1 * kDay).amount(1),
                            Step::watermark(kT0 + 1),
                        })
                  .is_ok());
  EXPECT_EQ(query_counters(**h, "u1").at("revenue_365d").as_double(), 101.0);
  EXPECT_TRUE((*h)->side_output("late").empty()) << "the operator takes late events itself";
  EXPECT_EQ(metric(**h, false, "outside_window"), 1u) << "the 400-day-old order counts nowhere";
  EXPECT_EQ((*h)->sink("out").size(), 3u);
}

struct History {
  std::vector<TestEvent> events;
  std::vector<std::string> customers;
};

// Random customer histories over `days` days before kT0, with out-of-order events within a key.
History random_history(uint64_t seed, int customers, int events, int64_t days) {
  std::mt19937_64 rng(seed);
  History h;
  for (int c = 0; c < customers; ++c)
    h.customers.push_back("c" + std::to_string(c));
  for (int i = 0; i < events; ++i) {
    const std::string& c = h.customers[rng() % h.customers.size()];
    const int64_t t = kT0 - static_cast<int64_t>(rng() % static_cast<uint64_t>(days * kDay));
    const std::string product = "p" + std::to_string(rng() % 12);
    const std::string campaign = "camp" + std::to_string(rng() % 4);
    const uint64_t pick = rng() % 100;
    testing::EventMaker e = ev(c, "Product Viewed", t).item(product);
    if (pick < 12) {
      e = ev(c, "Order Completed", t).amount(static_cast<double>(rng() % 20'000) / 100.0);
    } else if (pick < 14) {
      e = ev(c, "Order Completed", t).amount(-3);  // rejected by the sum, counted as an order
    } else if (pick < 28) {
      e = ev(c, "Email Opened", t).item(campaign);
    } else if (pick < 36) {
      e = ev(c, "Email Link Clicked", t).prop("campaign_id", campaign);
    } else if (pick < 38) {
      e = ev(c, "Product Viewed", t);  // no product: rejected by max_per_item only
    }
    h.events.push_back(e.event());
  }
  return h;
}

boost::json::object history_config() {
  auto config = issue_config();
  config["counters"].as_array().push_back(counter({{"name", "revenue_365d"},
                                                   {"type", "Order Completed"},
                                                   {"window_ms", 365 * kDay},
                                                   {"aggregate", "sum"}}));
  config["counters"].as_array().push_back(counter({{"name", "orders_this_week"},
                                                   {"kind", "tumbling"},
                                                   {"type", "Order Completed"},
                                                   {"window_ms", 7 * kDay}}));
  return config;
}

std::map<std::string, std::string> all_counters(Harness& h, const History& history) {
  std::map<std::string, std::string> out;
  for (const auto& c : history.customers) {
    out[c] = boost::json::serialize(query_counters(h, c));
  }
  return out;
}

TEST(WindowedCounters, EventsInCustomerOrderGiveTheSameCountersAsInTimeOrder) {
  const History history = random_history(11, 40, 4000, 400);

  std::vector<TestEvent> by_time = history.events;
  std::stable_sort(by_time.begin(), by_time.end(),
                   [](const TestEvent& a, const TestEvent& b) { return a.time_ms < b.time_ms; });
  std::vector<Step> in_time_order;
  for (size_t i = 0; i < by_time.size(); ++i) {
    in_time_order.push_back(Step::of(by_time[i]));
    // The watermark trails the newest event, as the source's out-of-orderness makes it.
    if (i % 50 == 49) in_time_order.push_back(Step::watermark(by_time[i].time_ms - kHour));
  }
  in_time_order.push_back(Step::watermark(kT0 + 1));

  // An import sorted by customer: the watermark is already at today, every event is late, and
  // each customer's events come in no particular time order.
  std::vector<TestEvent> by_customer = history.events;
  std::stable_sort(by_customer.begin(), by_customer.end(),
                   [](const TestEvent& a, const TestEvent& b) { return a.key < b.key; });
  std::vector<Step> in_customer_order = {Step::watermark(kT0)};
  for (const TestEvent& e : by_customer)
    in_customer_order.push_back(Step::of(e));
  in_customer_order.push_back(Step::watermark(kT0 + 1));

  auto time_run = Harness::create(topology(history_config()), {});
  auto customer_run = Harness::create(topology(history_config()), {});
  ASSERT_TRUE(time_run.is_ok() && customer_run.is_ok());
  ASSERT_TRUE((*time_run)->run(in_time_order).is_ok());
  ASSERT_TRUE((*customer_run)->run(in_customer_order).is_ok());

  const auto expected = all_counters(**time_run, history);
  EXPECT_EQ(all_counters(**customer_run, history), expected);
  EXPECT_GT(metric(**customer_run, false, "outside_window"), 1000u);
  EXPECT_EQ(metric(**time_run, false, "outside_window"), 0u);
  // The histories are not trivially empty.
  size_t nonzero = 0;
  for (const auto& c : history.customers) {
    for (const auto& kv : query_counters(**time_run, c)) {
      nonzero += kv.value().is_int64() ? kv.value().as_int64() != 0 : kv.value().as_double() != 0;
    }
  }
  EXPECT_GT(nonzero, 100u);
}

TEST(WindowedCounters, OpensWithoutClickFollowsEachCampaign) {
  struct Case {
    const char* what;
    std::vector<testing::EventMaker> events;
    double expected;
  };
  const int64_t t = kT0;
  const Case cases[] = {
      {"an open", {ev("u1", "Email Opened", t).item("a")}, 1},
      {"two opens of one campaign",
       {ev("u1", "Email Opened", t).item("a"), ev("u1", "Email Opened", t + kHour).item("a")},
       2},
      {"an open then a click",
       {ev("u1", "Email Opened", t).item("a"),
        ev("u1", "Email Link Clicked", t + 2 * kDay).item("a")},
       0},
      {"a click on another campaign",
       {ev("u1", "Email Opened", t).item("a"), ev("u1", "Email Link Clicked", t + kHour).item("b")},
       1},
      {"a click long before the open",
       {ev("u1", "Email Link Clicked", t - 2 * kDay).item("a"),
        ev("u1", "Email Opened", t).item("a")},
       1},
      {"a click that arrives before its earlier open",
       {ev("u1", "Email Link Clicked", t + kDay).item("a"), ev("u1", "Email Opened", t).item("a")},
       0},
      {"the campaign from the campaign_id property",
       {ev("u1", "Email Opened", t).prop("campaign_id", "a"),
        ev("u1", "Email Link Clicked", t + kHour).prop("campaign_id", "a"),
        ev("u1", "Email Opened", t).prop("campaign_id", "b")},
       1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    Driver d(issue_config());
    for (const auto& e : c.events)
      d.send(e);
    EXPECT_EQ(d.feature("u1", "email_opens_no_click_7d", t + 3 * kDay), c.expected);
  }
}

TEST(WindowedCounters, MaxPerItemForgetsTheLeastRecentlyViewedItem) {
  Driver d(single(counter({{"name", "visits"},
                           {"type", "Product Viewed"},
                           {"window_ms", 7 * kDay},
                           {"aggregate", "max_per_item"},
                           {"max_items", 2}})));
  d.send(ev("u1", "Product Viewed", kT0).item("p1"));
  d.send(ev("u1", "Product Viewed", kT0 + kHour).item("p1"));
  d.send(ev("u1", "Product Viewed", kT0 + 7 * kHour).item("p2"));
  EXPECT_EQ(d.feature("u1", "visits", kT0 + kDay), 2);
  // A third product: p1, viewed least recently, is forgotten.
  d.send(ev("u1", "Product Viewed", kT0 + 13 * kHour).item("p3"));
  EXPECT_EQ(d.feature("u1", "visits", kT0 + kDay), 1);
  // A product viewed before every tracked one is not tracked, and says so.
  d.send(ev("u1", "Product Viewed", kT0 - kDay).item("p4"));
  EXPECT_EQ(d.rec.count("items_overflow"), 1u);
  d.send(ev("u1", "Product Viewed", kT0 + 14 * kHour).item("p3"));
  EXPECT_EQ(d.feature("u1", "visits", kT0 + kDay), 2);
}

TEST(WindowedCounters, RejectsWhatItCannotUseAndStillCountsTheRest) {
  struct Case {
    testing::EventMaker event;
    const char* reason;
    double orders;
    double views;
  };
  const Case cases[] = {
      {ev("u1", "Order Completed", kT0).amount(-5), "negative_amount", 1, 0},
      {ev("u1", "Order Completed", kT0).amount(NAN), "invalid_amount", 1, 0},
      {ev("u1", "Order Completed", kT0).amount(1e300), "invalid_amount", 1, 0},
      {ev("u1", "Product Viewed", kT0), "missing_item", 0, 1},
      {ev("u1", "Email Opened", kT0), "missing_campaign_id", 0, 0},
      {ev("u1", "Product Viewed", -1).item("p"), "time_out_of_range", 0, 0},
      {ev("u1", "Product Viewed", int64_t{1} << 50).item("p"), "time_out_of_range", 0, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.reason);
    Driver d(issue_config());
    d.send(c.event);
    EXPECT_EQ(d.rec.out,
              (std::vector<std::string>{"rejected:" + std::string(c.reason) + " u1@" +
                                            std::to_string(c.event.event().time_ms),
                                        "out u1@" + std::to_string(c.event.event().time_ms)}));
    EXPECT_EQ(d.feature("u1", "orders_30d", kT0), c.orders);
    EXPECT_EQ(d.feature("u1", "product_views_7d", kT0), c.views);
    EXPECT_EQ(d.feature("u1", "revenue_90d", kT0), 0);
  }
}

TEST(WindowedCounters, MemoryPerCustomerStaysBoundedHoweverManyEvents) {
  Driver d(issue_config());
  // Two years of a very busy customer: an event every 10 minutes of every kind.
  std::mt19937_64 rng(3);
  int step = 0;
  for (int64_t t = kT0; t < kT0 + 730 * kDay; t += 10 * 60 * 1000, ++step) {
    d.send(ev("busy", "Product Viewed", t).item("p" + std::to_string(rng() % 100)));
    d.send(ev("busy", "Order Completed", t).amount(12.34));
    d.send(ev("busy", "Email Opened", t).item("c" + std::to_string(rng() % 100)));
    if (step % 144 == 0) d.watermark(t - kHour);
  }
  StateWriter w;
  d.inst->snapshot(w);
  // Bounded by the panes of one window (times max_items per product or campaign), never by the
  // 300k events: 29 + 29 + 29 count/sum panes and at most 2 x 32 x 29 per-item records.
  EXPECT_LT(w.bytes().size(), 30'000u);

  // A customer who did a little costs a few dozen bytes.
  Driver light(issue_config());
  for (int c = 0; c < 1000; ++c) {
    const std::string key = "k" + std::to_string(c);
    light.send(ev(key, "Product Viewed", kT0 + c).item("p1"));
    light.send(ev(key, "Product Viewed", kT0 + c + kHour).item("p2"));
  }
  EXPECT_LT(light.op().state_bytes().used / 1000, 100u);
}

TEST(WindowedCounters, MergesIntoAnExistingCountersObject) {
  auto h = Harness::create(
      topology(
          issue_config(),
          single(counter({{"name", "carts_1d"}, {"type", "Product Added"}, {"window_ms", kDay}}))),
      {});
  ASSERT_TRUE(h.is_ok()) << h.status().to_string();
  ASSERT_TRUE((*h)->run({ev("u1", "Product Added", kT0).item("p1"), Step::watermark(kT0)}).is_ok());
  const auto counters = query_counters(**h, "u1");
  EXPECT_EQ(counters.size(), 6u);
  EXPECT_EQ(counters.at("carts_1d").as_int64(), 1);
  EXPECT_EQ(counters.at("product_views_7d").as_int64(), 0);
}

TEST(WindowedCounters, RestoringASnapshotContinuesExactlyLikeTheOriginal) {
  const History history = random_history(5, 30, 1200, 60);
  std::vector<TestEvent> events = history.events;
  // Ten days of disorder, so that some events arrive after their window has passed.
  std::stable_sort(events.begin(), events.end(), [](const TestEvent& a, const TestEvent& b) {
    return a.time_ms / (10 * kDay) < b.time_ms / (10 * kDay);
  });
  const size_t half = events.size() / 2;
  auto feed = [&](Driver& d, size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      testing::EventMaker m(events[i].key, events[i].type, events[i].time_ms);
      m.amount(events[i].amount).item(events[i].item);
      for (const auto& [k, v] : events[i].string_props)
        m.prop(k, v);
      d.send(m);
      if (i % 40 == 39) d.watermark(std::max(d.wm.value(), events[i].time_ms));
    }
  };
  Driver original(history_config());
  feed(original, 0, half);

  StateWriter w;
  original.inst->snapshot(w);
  Driver restored(history_config());
  StateReader r(w.bytes());
  ASSERT_TRUE(restored.inst->restore(r).is_ok());
  EXPECT_TRUE(r.at_end());
  restored.wm = original.wm;
  original.rec.out.clear();

  feed(original, half, events.size());
  feed(restored, half, events.size());
  original.watermark(kT0 + 1);
  restored.watermark(kT0 + 1);
  EXPECT_EQ(original.rec.out, restored.rec.out);
  EXPECT_GT(original.rec.count("outside_window"), 0u);
  for (const auto& c : history.customers) {
    SCOPED_TRACE(c);
    EXPECT_EQ(original.inst->query(hash_key(c), EventTime(0)),
              restored.inst->query(hash_key(c), EventTime(0)));
  }
  StateWriter a, b;
  original.inst->snapshot(a);
  restored.inst->snapshot(b);
  EXPECT_EQ(a.bytes(), b.bytes());
}

TEST(WindowedCounters, RefusesTruncatedSnapshotsAndOnesWrittenUnderAnotherConfig) {
  Driver d(issue_config());
  d.send(ev("u1", "Product Viewed", kT0).item("p1"));
  d.send(ev("u2", "Order Completed", kT0).amount(3));
  StateWriter w;
  d.op().snapshot(w);
  const std::string bytes = w.bytes();
  auto restore = [&](const boost::json::object& config, std::string_view in, uint32_t slots) {
    auto op = WindowedCounters::create(OperatorArgs{config, d.spec.types()});
    EXPECT_TRUE(op.is_ok());
    StateReader r(in);
    return (*op)->restore(r, slots);
  };
  EXPECT_TRUE(restore(issue_config(), bytes, 2).is_ok());
  for (size_t cut : {size_t{0}, size_t{3}, bytes.size() / 2, bytes.size() - 1}) {
    SCOPED_TRACE(cut);
    EXPECT_EQ(restore(issue_config(), std::string_view(bytes).substr(0, cut), 2).code(),
              Errc::kCorrupt);
  }
  EXPECT_EQ(restore(issue_config(), bytes, 3).code(), Errc::kCorrupt) << "another slot count";
  auto other = issue_config();
  other["counters"].as_array()[0].as_object()["panes"] = 7;
  EXPECT_EQ(restore(other, bytes, 2).code(), Errc::kCorrupt) << "other panes";
}

struct Outcome {
  std::vector<CollectingSink::Record> out, rejected, late;
  uint64_t outside = 0;
  std::map<std::string, std::string> counters;
  bool operator==(const Outcome&) const = default;
};

Outcome run(const std::vector<Step>& steps, const History& history, const HarnessOptions& o) {
  Outcome out;
  auto h = Harness::create(topology(history_config()), o);
  EXPECT_TRUE(h.is_ok()) << h.status().to_string();
  EXPECT_TRUE((*h)->run(steps).is_ok());
  out.out = (*h)->sink("out");
  out.rejected = (*h)->side_output("rejected");
  out.late = (*h)->side_output("late");
  out.outside = metric(**h, false, "outside_window");
  out.counters = all_counters(**h, history);
  return out;
}

TEST(WindowedCounters, SameResultForAnyWorkerCountBatchSizeAndInterleaving) {
  const History history = random_history(23, 150, 3000, 120);
  std::vector<TestEvent> events = history.events;
  // Roughly in time order, with ten days of disorder, and watermarks that leave some events late.
  std::stable_sort(events.begin(), events.end(), [](const TestEvent& a, const TestEvent& b) {
    return a.time_ms / (10 * kDay) < b.time_ms / (10 * kDay);
  });
  std::vector<Step> steps;
  for (size_t i = 0; i < events.size(); ++i) {
    steps.push_back(Step::of(events[i]));
    if (i % 200 == 199) steps.push_back(Step::watermark(events[i].time_ms));
  }
  steps.push_back(Step::watermark(kT0 + 1));

  const Outcome expected = run(steps, history, {});
  ASSERT_FALSE(expected.rejected.empty());
  ASSERT_GT(expected.outside, 0u);
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    const HarnessOptions o = HarnessOptions::random(seed);
    SCOPED_TRACE(o.describe());
    const Outcome got = run(steps, history, o);
    EXPECT_EQ(got.out, expected.out);
    EXPECT_EQ(got.rejected, expected.rejected);
    EXPECT_EQ(got.late, expected.late);
    EXPECT_EQ(got.outside, expected.outside);
    EXPECT_EQ(got.counters, expected.counters);
  }
}

// ---- Identity resolution: moving "anon" into "user" ----

using testing::rekeyed;
using testing::split_and_whole;
using testing::SplitAndWhole;

// Runs `after` on both, one step at a time, and expects the same profile of "user" before and
// after every step.
void expect_user_alike(SplitAndWhole& r, const std::vector<Step>& after) {
  EXPECT_EQ(r.split->query("user"), r.whole->query("user")) << "right after the move";
  for (size_t i = 0; i < after.size(); ++i) {
    r.split->run({after[i]});
    r.whole->run({after[i]});
    EXPECT_EQ(r.split->query("user"), r.whole->query("user")) << "after step " << i;
  }
}

// What a key that holds nothing answers: one whose only event no counter reads.
std::optional<boost::json::object> empty_profile(const TopologySpec& spec) {
  auto d = InstanceDriver::create(spec);
  d->run({ev("anon", "Product Added", kT0)});
  return d->query("anon");
}

std::vector<Step> later_steps() {
  return {ev("user", "Product Viewed", kT0 + kDay).item("p1"),
          ev("user", "Email Link Clicked", kT0 + kDay).item("spring"),
          ev("user", "Order Completed", kT0 + 2 * kDay).amount(1.1),
          Step::watermark(kT0 + 3 * kDay),
          Step::watermark(kT0 + 7 * kDay + kHour),
          ev("user", "Product Viewed", kT0 + 8 * kDay).item("p2"),
          Step::watermark(kT0 + 9 * kDay),
          Step::watermark(kT0 + 31 * kDay),
          Step::watermark(kT0 + 91 * kDay),
          Step::watermark(kT0 + 366 * kDay)};
}

TEST(WindowedCounters, MovingAKeyGivesWhatOneKeyWouldHaveCounted) {
  const TopologySpec spec = topology(history_config());
  struct Case {
    const char* what;
    std::vector<Step> history;
  };
  const std::vector<Case> cases = {
      {"anon only, into a key the instance never saw",
       {ev("anon", "Product Viewed", kT0).item("p1"),
        ev("anon", "Order Completed", kT0 + kHour).amount(3.5),
        ev("anon", "Email Opened", kT0 + kHour).item("spring"), Step::watermark(kT0 + 2 * kHour)}},
      {"anon only, into a key with events of other counters",
       {ev("anon", "Product Viewed", kT0).item("p1"),
        ev("user", "Email Opened", kT0).item("summer"), Step::watermark(kT0 + kHour)}},
      {"interleaved, same panes and items",
       {ev("anon", "Product Viewed", kT0).item("p1"), ev("user", "Product Viewed", kT0).item("p1"),
        ev("anon", "Order Completed", kT0).amount(0.1),
        ev("user", "Order Completed", kT0).amount(0.2), Step::watermark(kT0),
        ev("anon", "Email Opened", kT0 + kHour).item("spring"),
        ev("user", "Email Link Clicked", kT0 + 2 * kHour).item("spring"),
        ev("user", "Product Viewed", kT0 + 2 * kHour).item("p1")}},
      {"interleaved across days, one side far ahead",
       {ev("user", "Product Viewed", kT0 - 6 * kDay).item("p3"),
        ev("user", "Order Completed", kT0 - 20 * kDay).amount(20),
        ev("anon", "Order Completed", kT0 - 3 * kDay).amount(7),
        ev("anon", "Product Viewed", kT0 + 2 * kDay).item("p3"),
        ev("anon", "Order Completed", kT0 + 10 * kDay).amount(1), Step::watermark(kT0)}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    SplitAndWhole r = split_and_whole(spec, c.history);
    expect_user_alike(r, later_steps());
    EXPECT_EQ(r.split->query("anon"), empty_profile(spec)) << "the old key holds nothing";
  }
}

TEST(WindowedCounters, MovingAddsEveryKindOfCounterPaneByPane) {
  const TopologySpec spec = topology(history_config());
  SplitAndWhole r = split_and_whole(
      spec, {ev("anon", "Product Viewed", kT0).item("p1"),
             ev("anon", "Product Viewed", kT0 + kHour).item("p1"),
             ev("user", "Product Viewed", kT0 + 2 * kHour).item("p1"),
             ev("user", "Product Viewed", kT0 + 3 * kHour).item("p2"),
             ev("anon", "Order Completed", kT0).amount(0.1),
             ev("user", "Order Completed", kT0).amount(0.2),
             ev("anon", "Email Opened", kT0).item("spring"),
             ev("anon", "Email Opened", kT0).item("summer"),
             ev("user", "Email Link Clicked", kT0 + kDay).item("spring"), Step::watermark(kT0)});
  const auto got = r.split->query("user");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->at("counters").as_object(), (boost::json::object{{"product_views_7d", 4},
                                                                  {"orders_30d", 2},
                                                                  {"revenue_90d", 0.3},
                                                                  {"email_opens_no_click_7d", 1},
                                                                  {"product_page_visits_7d", 3},
                                                                  {"revenue_365d", 0.3},
                                                                  {"orders_this_week", 2}}))
      << "p1's views add across keys; user's click cancels anon's open of spring";
  EXPECT_EQ(got, r.whole->query("user"));
}

TEST(WindowedCounters, MovingPrunesAndBoundsAsEventsOfOneKeyWould) {
  boost::json::array counters = {
      counter({{"name", "views"}, {"type", "Product Viewed"}, {"window_ms", 7 * kDay}}),
      counter({{"name", "visits"},
               {"type", "Product Viewed"},
               {"window_ms", 7 * kDay},
               {"aggregate", "max_per_item"},
               {"max_items", 2}})};
  const TopologySpec spec = topology({{"counters", std::move(counters)}});
  // anon's view of p1 a week before user's newest view shares no window with it, though it did
  // with anon's own newest. Of the three products left, p4 was viewed least recently: with two
  // tracked per customer, it is forgotten. No watermark yet: every kept pane counts.
  SplitAndWhole r = split_and_whole(spec, {ev("anon", "Product Viewed", kT0 - 7 * kDay).item("p1"),
                                           ev("anon", "Product Viewed", kT0 - kDay).item("p4"),
                                           ev("anon", "Product Viewed", kT0 - kDay).item("p4"),
                                           ev("anon", "Product Viewed", kT0 - kDay).item("p4"),
                                           ev("user", "Product Viewed", kT0).item("p2"),
                                           ev("user", "Product Viewed", kT0 + kDay).item("p3"),
                                           ev("user", "Product Viewed", kT0 + kDay).item("p2")});
  EXPECT_EQ(r.split->query("user")->at("counters").as_object(),
            (boost::json::object{{"views", 6}, {"visits", 2}}));
  expect_user_alike(
      r,
      {ev("user", "Product Viewed", kT0 + kDay).item("p4"), Step::watermark(kT0 + kDay),
       ev("user", "Product Viewed", kT0 + 2 * kDay).item("p4"), Step::watermark(kT0 + 7 * kDay)});
}

TEST(WindowedCounters, RandomHistoriesSplitBetweenTwoKeysMergeLikeOne) {
  const TopologySpec spec = topology(history_config());
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    SCOPED_TRACE(seed);
    History history = random_history(seed, 2, 600, 60);
    std::stable_sort(history.events.begin(), history.events.end(),
                     [](const TestEvent& a, const TestEvent& b) {
                       return a.time_ms / (5 * kDay) < b.time_ms / (5 * kDay);
                     });
    std::vector<Step> steps;
    int64_t watermark = 0;
    for (size_t i = 0; i < history.events.size(); ++i) {
      TestEvent e = history.events[i];
      e.key = e.key == "c0" ? "anon" : "user";
      steps.push_back(Step::of(e));
      watermark = std::max(watermark, e.time_ms - kDay);
      if (i % 40 == 39) steps.push_back(Step::watermark(watermark));
    }
    SplitAndWhole r{InstanceDriver::create(spec), InstanceDriver::create(spec)};
    r.split->run(steps);
    const auto user_alone = r.split->query("user");
    r.split->move("anon", "user");
    r.whole->run(rekeyed(steps, "user"));
    EXPECT_NE(r.split->query("user"), user_alone) << "anon's history counts";
    std::vector<Step> after;
    for (int64_t d = 0; d < 40; d += 3) {
      after.push_back(ev("user", "Email Opened", kT0 + d * kDay).item("camp1"));
      after.push_back(ev("user", "Product Viewed", kT0 - d * kDay).item("p3"));
      after.push_back(Step::watermark(kT0 + d * kDay));
    }
    expect_user_alike(r, after);
    EXPECT_EQ(r.split->query("anon"), empty_profile(spec));
  }
}

TEST(WindowedCounters, MovingToAnotherInstanceEmptiesTheOldKey) {
  const TopologySpec spec = topology(issue_config());
  auto from = InstanceDriver::create(spec);
  auto into = InstanceDriver::create(spec);
  auto whole = InstanceDriver::create(spec);
  const std::vector<Step> history = {ev("anon", "Product Viewed", kT0).item("p1"),
                                     ev("anon", "Order Completed", kT0).amount(12),
                                     Step::watermark(kT0)};
  from->run(history);
  into->run({ev("user", "Product Viewed", kT0 + kHour).item("p1"), Step::watermark(kT0)});
  whole->run(rekeyed(history, "user"));
  whole->run({ev("user", "Product Viewed", kT0 + kHour).item("p1")});
  from->move("anon", "user", into.get());
  EXPECT_EQ(into->query("user"), whole->query("user"));
  EXPECT_EQ(into->query("user")->at("counters").at("product_page_visits_7d").as_int64(), 2);
  EXPECT_EQ(from->query("anon"), empty_profile(spec));
  EXPECT_FALSE(from->query("user").has_value()) << "the key moved to the other instance only";
  // The emptied key counts afresh.
  from->run({ev("anon", "Order Completed", kT0 + kHour).amount(1)});
  EXPECT_EQ(from->query("anon")->at("counters").at("revenue_90d").as_double(), 1.0);
}

// Operator `op`'s part of a stage's moved-key bytes.
std::string_view operator_part(std::string_view moved, uint32_t op) {
  StateReader in(moved);
  const auto n = in.get<uint32_t>();
  std::string_view part;
  for (uint32_t i = 0; i <= op && i < n; ++i)
    part = in.get_view();
  return part;
}

// The stage's moved-key bytes with operator `op`'s part cut to its first `keep` bytes.
std::string cut_operator_bytes(std::string_view moved, uint32_t op, size_t keep) {
  StateReader in(moved);
  const auto n = in.get<uint32_t>();
  StateWriter out;
  out.put<uint32_t>(n);
  for (uint32_t i = 0; i < n; ++i) {
    const std::string_view part = in.get_view();
    out.put_string(i == op ? part.substr(0, keep) : part);
  }
  return out.take();
}

TEST(WindowedCounters, MergeRefusesTruncatedInputAndLeavesTheKeyAsItWas) {
  const TopologySpec spec = topology(issue_config());
  auto d = InstanceDriver::create(spec);
  d->run({ev("anon", "Product Viewed", kT0).item("p1"),
          ev("anon", "Email Opened", kT0).item("spring"),
          ev("anon", "Order Completed", kT0).amount(2),
          ev("user", "Product Viewed", kT0).item("p2"), Step::watermark(kT0)});
  DiscardOutput discard;
  const auto moved = d->instance().move_key_out(hash_key("anon"), EventTime(kT0), discard);
  ASSERT_TRUE(moved.has_value());
  const auto before = d->query("user");
  const size_t size = operator_part(*moved, 0).size();
  ASSERT_GT(size, 40u) << "the counters wrote their records";
  for (size_t keep = 0; keep < size; ++keep) {
    const Status s = d->instance().merge_key_in(
        hash_key("user"), "user", cut_operator_bytes(*moved, 0, keep), EventTime(kT0), discard);
    EXPECT_EQ(s.code(), Errc::kCorrupt) << "cut at " << keep;
    EXPECT_EQ(d->query("user"), before) << "cut at " << keep;
  }
  ASSERT_TRUE(d->instance()
                  .merge_key_in(hash_key("user"), "user", *moved, EventTime(kT0), discard)
                  .is_ok());
  EXPECT_EQ(d->query("user")->at("counters").at("product_views_7d").as_int64(), 2);
}

TEST(WindowedCounters, RefusesConfigurationsItCannotHonour) {
  EventTypeRegistry types;
  types.add_all({"Product Viewed", "Order Completed", "Email Opened", "Email Link Clicked"});
  auto views = [](std::initializer_list<std::pair<std::string_view, boost::json::value>> extra) {
    auto c = counter({{"name", "v"}, {"type", "Product Viewed"}, {"window_ms", 7 * kDay}});
    for (const auto& [k, v] : extra)
      c[k] = v;
    return single(std::move(c));
  };
  struct Case {
    boost::json::object config;
    const char* message;
  };
  const Case cases[] = {
      {{}, "'counters' must be a non-empty list"},
      {{{"counters", boost::json::array{}}}, "'counters' must be a non-empty list"},
      {{{"counters", "x"}}, "'counters' must be a non-empty list"},
      {{{"counters", boost::json::array{1}}}, "must be an object"},
      {{{"countres", boost::json::array{}}}, "unknown setting 'countres'"},
      {single(counter({{"type", "Product Viewed"}, {"window_ms", 1000}})), "needs a 'name'"},
      {views({{"name", "product views"}}), "needs a 'name'"},
      {views({{"name", "7d"}}), "needs a 'name'"},
      {{{"counters", boost::json::array{views({})["counters"].as_array()[0],
                                        views({})["counters"].as_array()[0]}}},
       "declared twice"},
      {views({{"kind", "hopping"}}), "'kind' must be"},
      {views({{"aggregate", "avg"}}), "'aggregate' must be"},
      {views({{"type", "Page Viewed"}}), "'Page Viewed' is not accepted by the topology"},
      {single(counter({{"name", "v"}, {"window_ms", 1000}})), "'type' is required"},
      {views({{"window_ms", -5}}), "'window_ms' must be between"},
      {views({{"window_ms", 0}}), "'window_ms' must be between"},
      {views({{"window_ms", 999}}), "'window_ms' must be between"},
      {views({{"window_ms", "7d"}}), "'window_ms' must be a whole number"},
      {views({{"window_ms", 1.5}}), "'window_ms' must be a whole number"},
      {views({{"panes", 0}}), "'panes' must be between"},
      {views({{"panes", 10'000}}), "'panes' must be between"},
      {views({{"window_ms", 10'000}, {"panes", 20}}), "at least a second wide"},
      {views({{"kind", "tumbling"}, {"panes", 4}}), "'panes' is for sliding"},
      {views({{"max_items", 4}}), "'max_items' is for max_per_item"},
      {views({{"aggregate", "max_per_item"}, {"max_items", 0}}), "'max_items' must be between"},
      {views({{"aggregate", "max_per_item"}, {"max_items", 1000}, {"panes", 1000}}), "too large"},
      {views({{"click_type", "Email Link Clicked"}}), "'click_type' is for opens_without_click"},
      {views({{"windowms", 5}}), "unknown setting 'windowms'"},
      {single(counter({{"name", "o"},
                       {"kind", "opens_without_click"},
                       {"window_ms", 1000},
                       {"aggregate", "sum"}})),
       "takes no 'aggregate'"},
      {single(counter({{"name", "o"},
                       {"kind", "opens_without_click"},
                       {"window_ms", 1000},
                       {"click_type", "Email Opened"}})),
       "must differ"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(boost::json::serialize(c.config));
    auto made = WindowedCounters::create(OperatorArgs{c.config, types});
    ASSERT_FALSE(made.is_ok());
    EXPECT_EQ(made.status().code(), Errc::kInvalidArgument);
    EXPECT_NE(made.status().message().find(c.message), std::string::npos)
        << made.status().message();
  }
  // The email counter needs the email events it reads.
  EventTypeRegistry no_email;
  no_email.add_all({"Product Viewed", "Order Completed"});
  auto made = WindowedCounters::create(OperatorArgs{issue_config(), no_email});
  ASSERT_FALSE(made.is_ok());
  EXPECT_NE(made.status().message().find("'Email Opened' is not accepted"), std::string::npos);
  EXPECT_TRUE(WindowedCounters::create(OperatorArgs{issue_config(), types}).is_ok());
}

}  // namespace
}  // namespace eddy
