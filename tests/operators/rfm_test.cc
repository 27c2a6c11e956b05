#include "operators/rfm.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "runtime/key_hash.h"
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

constexpr int64_t kDay = kMillisPerDay;

TopologySpec topology_with(boost::json::object config) {
  auto registry = testing::test_registry();
  auto spec = TopologyBuilder("rfm", registry)
                  .accept_types({"Order Completed", "Product Viewed"})
                  .stage("profiles")
                  .op("rfm", "rfm", std::move(config))
                  .build();
  EXPECT_TRUE(spec.is_ok()) << spec.status().to_string();
  return std::move(spec).value();
}

TopologySpec topology(int64_t lookback_days = 365) {
  return topology_with({{"lookback_ms", lookback_days * kDay}});
}

struct Rfm3 {
  int r, f, m;
  std::string segment;
  bool operator==(const Rfm3&) const = default;
};

Rfm3 read(Harness& h, const std::string& key) {
  auto q = h.query("profiles", key);
  EXPECT_TRUE(q.is_ok()) << key;
  if (!q.is_ok()) return {};
  const auto& rfm = q->at("rfm").as_object();
  return {static_cast<int>(rfm.at("r").as_int64()), static_cast<int>(rfm.at("f").as_int64()),
          static_cast<int>(rfm.at("m").as_int64()),
          rfm.at("segment").is_null() ? "" : std::string(rfm.at("segment").as_string())};
}

TEST(Rfm, NamesEveryCellOfTheGrid) {
  EXPECT_EQ(Rfm::segment_name(1, 1), "Hibernating");
  EXPECT_EQ(Rfm::segment_name(2, 4), "At Risk");
  EXPECT_EQ(Rfm::segment_name(1, 5), "Cannot Lose Them");
  EXPECT_EQ(Rfm::segment_name(3, 2), "About To Sleep");
  EXPECT_EQ(Rfm::segment_name(3, 3), "Need Attention");
  EXPECT_EQ(Rfm::segment_name(3, 5), "Loyal Customers");
  EXPECT_EQ(Rfm::segment_name(4, 4), "Loyal Customers");
  EXPECT_EQ(Rfm::segment_name(4, 1), "Promising");
  EXPECT_EQ(Rfm::segment_name(5, 1), "New Customers");
  EXPECT_EQ(Rfm::segment_name(4, 3), "Potential Loyalists");
  EXPECT_EQ(Rfm::segment_name(5, 2), "Potential Loyalists");
  EXPECT_EQ(Rfm::segment_name(5, 5), "Champions");
  EXPECT_EQ(Rfm::segment_name(0, 0), "");
  for (int r = 1; r <= 5; ++r) {
    for (int f = 1; f <= 5; ++f)
      EXPECT_FALSE(Rfm::segment_name(r, f).empty()) << r << "," << f;
  }
}

TEST(Rfm, ScoresByQuintilesWithTiesGettingTheLowestRank) {
  // Ten customers: cN orders N times (N = 1..10), all on day 100 (ties on recency).
  std::vector<Step> steps;
  for (int n = 1; n <= 10; ++n) {
    for (int i = 0; i < n; ++i)
      steps.push_back(ev("c" + std::to_string(n), "Order Completed", 100 * kDay).amount(10.0 * n));
  }
  steps.push_back(Step::watermark(101 * kDay));
  auto h = Harness::create(topology(), {});
  ASSERT_TRUE(h.is_ok());
  ASSERT_TRUE((*h)->run(steps).is_ok());
  // f: below counts 0..9 of 10 -> 1 + floor(5*below/10): 1,1,2,2,3,3,4,4,5,5.
  const int expected_f[] = {1, 1, 2, 2, 3, 3, 4, 4, 5, 5};
  for (int n = 1; n <= 10; ++n) {
    const Rfm3 got = read(**h, "c" + std::to_string(n));
    EXPECT_EQ(got.f, expected_f[n - 1]) << n;
    EXPECT_EQ(got.m, expected_f[n - 1]) << n;
    EXPECT_EQ(got.r, 1) << "everyone tied on recency gets the lowest rank's score";
  }
  EXPECT_EQ(read(**h, "c10").segment, "Cannot Lose Them");
}

TEST(Rfm, ACustomerWithoutOrdersInTheWindowScoresZero) {
  auto h = Harness::create(topology(30), {});
  ASSERT_TRUE(h.is_ok());
  ASSERT_TRUE((*h)->run({ev("a", "Order Completed", 0).amount(5),
                         ev("b", "Order Completed", 20 * kDay).amount(5),
                         ev("c", "Product Viewed", 20 * kDay), Step::watermark(30 * kDay - 1)})
                  .is_ok());
  EXPECT_EQ(read(**h, "a").f, 1) << "the order is still inside the window";
  // Exactly at order time + lookback the order leaves the window.
  ASSERT_TRUE((*h)->run({Step::watermark(30 * kDay)}).is_ok());
  EXPECT_EQ(read(**h, "a"), (Rfm3{0, 0, 0, ""}));
  EXPECT_EQ(read(**h, "c"), (Rfm3{0, 0, 0, ""}));
  auto q = (*h)->query("profiles", "a");
  EXPECT_EQ(q->at("rfm").at("frequency").as_uint64(), 0u);
  EXPECT_EQ(read(**h, "b").f, 1);
}

TEST(Rfm, LateOrdersCountWhileTheWindowCoversThem) {
  auto h = Harness::create(topology(365), {});
  ASSERT_TRUE(h.is_ok());
  ASSERT_TRUE(
      (*h)->run({Step::watermark(400 * kDay), ev("u", "Order Completed", 200 * kDay).amount(7),
                 ev("u", "Order Completed", 30 * kDay).amount(9), Step::watermark(401 * kDay)})
          .is_ok());
  auto q = (*h)->query("profiles", "u");
  ASSERT_TRUE(q.is_ok());
  EXPECT_EQ(q->at("rfm").at("frequency").as_uint64(), 1u)
      << "200 days ago counts; 370 days ago does not";
  EXPECT_EQ(q->at("rfm").at("monetary").as_double(), 7.0);
  EXPECT_EQ((*h)->side_output("*").size(), 1u)
      << "the order from 370 days ago went to outside_window";
}

TEST(Rfm, RejectsInvalidRevenueWithoutTouchingTheProfile) {
  auto h = Harness::create(topology(), {});
  ASSERT_TRUE(h.is_ok());
  ASSERT_TRUE((*h)->run({ev("u", "Order Completed", kDay).amount(-3),
                         ev("u", "Order Completed", kDay).amount(4)})
                  .is_ok());
  EXPECT_EQ((*h)->side_output("rejected").size(), 1u);
  auto q = (*h)->query("profiles", "u");
  EXPECT_EQ(q->at("rfm").at("monetary").as_double(), 4.0);
}

// ---- Identity resolution: moving "anon" into "user" ----

using testing::split_and_whole;
using testing::SplitAndWhole;

// InstanceDriver does not merge global aggregates: hand the instance its own population, which
// is the whole population when there is one instance.
void score(InstanceDriver& d, int64_t watermark) {
  Operator& rfm = d.instance().mutable_op(0);
  rfm.on_global_aggregate(std::shared_ptr<const GlobalAggregate>(rfm.local_aggregate()),
                          EventTime(watermark));
}

std::optional<boost::json::object> empty_profile(const TopologySpec& spec) {
  auto d = InstanceDriver::create(spec);
  d->run({ev("anon", "Product Viewed", kDay)});
  return d->query("anon");
}

TEST(Rfm, MovingAKeyJoinsTheOrderHistories) {
  const TopologySpec spec = topology(365);
  struct Case {
    const char* what;
    std::vector<Step> history;
  };
  const std::vector<Case> cases = {
      {"anon only, into a key the instance never saw",
       {ev("anon", "Order Completed", 10 * kDay).amount(5),
        ev("anon", "Order Completed", 12 * kDay).amount(7.25), Step::watermark(20 * kDay)}},
      {"interleaved: anon's orders are older",
       {ev("anon", "Order Completed", 10 * kDay).amount(5),
        ev("user", "Order Completed", 200 * kDay).amount(30),
        ev("anon", "Order Completed", 100 * kDay).amount(1), Step::watermark(250 * kDay)}},
      {"interleaved: anon's order is the last",
       {ev("user", "Order Completed", 10 * kDay).amount(5),
        ev("anon", "Order Completed", 300 * kDay).amount(0.1),
        ev("user", "Order Completed", 300 * kDay).amount(0.2), Step::watermark(300 * kDay)}},
      {"anon's orders left the window before the merge",
       {ev("anon", "Order Completed", 10 * kDay).amount(5),
        ev("user", "Order Completed", 380 * kDay).amount(2), Step::watermark(374 * kDay),
        Step::watermark(376 * kDay)}},
  };
  // The merged key's expiry timer must take anon's oldest order out at day 375.
  const std::vector<Step> after = {Step::watermark(301 * kDay),
                                   Step::watermark(375 * kDay),
                                   ev("user", "Order Completed", 390 * kDay).amount(4),
                                   Step::watermark(466 * kDay),
                                   Step::watermark(665 * kDay),
                                   Step::watermark(800 * kDay)};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    SplitAndWhole r = split_and_whole(spec, c.history);
    EXPECT_EQ(r.split->query("user"), r.whole->query("user")) << "right after the move";
    EXPECT_EQ(r.split->query("anon"), empty_profile(spec)) << "the old key holds nothing";
    for (size_t i = 0; i < after.size(); ++i) {
      r.split->run({after[i]});
      r.whole->run({after[i]});
      EXPECT_EQ(r.split->query("user"), r.whole->query("user")) << "after step " << i;
    }
  }
}

TEST(Rfm, MovingAKeyAddsItsOrdersUpAsOneCustomer) {
  const TopologySpec spec = topology(365);  // the driver keeps a reference
  auto d = InstanceDriver::create(spec);
  d->run({ev("anon", "Order Completed", 10 * kDay).amount(5),
          ev("anon", "Order Completed", 100 * kDay).amount(1),
          ev("user", "Order Completed", 50 * kDay).amount(30), Step::watermark(101 * kDay)});
  d->move("anon", "user");
  const auto q = d->query("user");
  ASSERT_TRUE(q.has_value());
  const auto& rfm = q->at("rfm").as_object();
  EXPECT_EQ(rfm.at("frequency").as_uint64(), 3u);
  EXPECT_EQ(rfm.at("monetary").as_double(), 36.0);
  EXPECT_EQ(rfm.at("last_order_at_ms").as_int64(), 100 * kDay) << "the later last order";
  EXPECT_EQ(rfm.at("recency_days").as_int64(), 1);
  // The oldest order (day 10) leaves the window at day 375, from the surviving key's timer.
  d->run({Step::watermark(375 * kDay)});
  EXPECT_EQ(d->query("user")->at("rfm").at("monetary").as_double(), 31.0);
}

TEST(Rfm, MovingIntoAnInstanceFurtherAheadDropsWhatItsWindowHasLeft) {
  const TopologySpec spec = topology(365);
  auto from = InstanceDriver::create(spec);
  auto into = InstanceDriver::create(spec);
  auto whole = InstanceDriver::create(spec);
  // Key groups' watermarks differ: anon's day-10 order is still in its instance's window.
  from->run({ev("anon", "Order Completed", 10 * kDay).amount(5),
             ev("anon", "Order Completed", 300 * kDay).amount(1), Step::watermark(300 * kDay)});
  into->run({ev("user", "Order Completed", 390 * kDay).amount(2), Step::watermark(400 * kDay)});
  whole->run({ev("user", "Order Completed", 10 * kDay).amount(5),
              ev("user", "Order Completed", 300 * kDay).amount(1),
              ev("user", "Order Completed", 390 * kDay).amount(2), Step::watermark(400 * kDay)});
  from->move("anon", "user", into.get());
  EXPECT_EQ(into->query("user"), whole->query("user"));
  EXPECT_EQ(into->query("user")->at("rfm").at("monetary").as_double(), 3.0);
  EXPECT_EQ(from->query("anon"), empty_profile(spec));
}

TEST(Rfm, MovingAKeyKeepsTheMostRecentOrdersUnderTheCap) {
  const TopologySpec spec = topology_with({{"lookback_ms", 365 * kDay}, {"max_orders_per_key", 3}});
  SplitAndWhole r = split_and_whole(spec, {ev("anon", "Order Completed", 10 * kDay).amount(1),
                                           ev("user", "Order Completed", 11 * kDay).amount(2),
                                           ev("anon", "Order Completed", 12 * kDay).amount(4),
                                           ev("user", "Order Completed", 13 * kDay).amount(8)});
  EXPECT_EQ(r.split->query("user"), r.whole->query("user"));
  EXPECT_EQ(r.split->query("user")->at("rfm").at("monetary").as_double(), 14.0)
      << "the order of day 10 is beyond the cap";
}

TEST(Rfm, RandomHistoriesSplitBetweenTwoKeysScoreLikeOne) {
  const TopologySpec spec = topology(120);
  std::vector<std::string> keys = {"anon", "user"};
  for (int i = 0; i < 20; ++i)
    keys.push_back("c" + std::to_string(i));
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    SCOPED_TRACE(seed);
    std::mt19937_64 rng(seed);
    std::vector<Step> history;
    int64_t watermark = 0;
    for (int i = 0; i < 400; ++i) {
      const int64_t t = 100 * kDay + i * kDay / 2 - static_cast<int64_t>(rng() % (20 * kDay));
      // anon and user order more often than the rest, so that they move through the quintiles.
      const std::string& key = keys[rng() % 3 == 0 ? rng() % 2 : rng() % keys.size()];
      history.push_back(
          ev(key, "Order Completed", t).amount(static_cast<double>(rng() % 9000) / 100));
      watermark = std::max(watermark, t - kDay);
      if (i % 25 == 24) history.push_back(Step::watermark(watermark));
    }
    SplitAndWhole r = split_and_whole(spec, history);
    for (const int64_t wm : {watermark, watermark + 30 * kDay, watermark + 100 * kDay}) {
      SCOPED_TRACE(wm);
      r.split->run({Step::watermark(wm)});
      r.whole->run({Step::watermark(wm)});
      score(*r.split, wm);
      score(*r.whole, wm);
      for (const std::string& key : keys) {
        if (key == "anon") continue;
        EXPECT_EQ(r.split->query(key), r.whole->query(key)) << key;
      }
      EXPECT_EQ(r.split->query("anon"), empty_profile(spec));
    }
    EXPECT_GE(r.split->query("user")->at("rfm").at("f").as_int64(), 1) << "user is scored";
  }
}

// The stage's moved-key bytes with operator `op`'s part cut to its first `keep` bytes; and that
// part's size.
std::string cut_operator_bytes(std::string_view moved, uint32_t op, size_t keep, size_t* size) {
  StateReader in(moved);
  const auto n = in.get<uint32_t>();
  StateWriter out;
  out.put<uint32_t>(n);
  for (uint32_t i = 0; i < n; ++i) {
    const std::string_view part = in.get_view();
    if (i == op) *size = part.size();
    out.put_string(i == op ? part.substr(0, keep) : part);
  }
  return out.take();
}

TEST(Rfm, MergeRefusesTruncatedOrdersAndLeavesTheKeyAsItWas) {
  const TopologySpec spec = topology(365);  // the driver keeps a reference
  auto d = InstanceDriver::create(spec);
  d->run({ev("anon", "Order Completed", 10 * kDay).amount(5),
          ev("anon", "Order Completed", 11 * kDay).amount(6),
          ev("user", "Order Completed", 12 * kDay).amount(7), Step::watermark(12 * kDay)});
  DiscardOutput discard;
  const auto moved = d->instance().move_key_out(hash_key("anon"), EventTime(12 * kDay), discard);
  ASSERT_TRUE(moved.has_value());
  const auto before = d->query("user");
  size_t size = 0;
  cut_operator_bytes(*moved, 0, 0, &size);
  ASSERT_EQ(size, 4u + 2 * 16) << "a count and two orders";
  for (size_t keep = 0; keep < size; ++keep) {
    const Status s = d->instance().merge_key_in(hash_key("user"), "user",
                                                cut_operator_bytes(*moved, 0, keep, &size),
                                                EventTime(12 * kDay), discard);
    EXPECT_EQ(s.code(), Errc::kCorrupt) << "cut at " << keep;
    EXPECT_EQ(d->query("user"), before) << "cut at " << keep;
  }
  ASSERT_TRUE(d->instance()
                  .merge_key_in(hash_key("user"), "user", *moved, EventTime(12 * kDay), discard)
                  .is_ok());
  EXPECT_EQ(d->query("user")->at("rfm").at("frequency").as_uint64(), 3u);
}

// ---- CDNOW: a real purchase history, scored by the engine and by a plain reference ----

struct Purchase {
  std::string customer;
  int64_t time_ms;
  double dollars;
};

int64_t days_from_civil(int y, unsigned m, unsigned d) {  // Howard Hinnant's algorithm
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::vector<Purchase> load_cdnow() {
  std::ifstream in(std::string(EDDY_SHARED_DATA) + "/cdnow/CDNOW_master.txt");
  std::vector<Purchase> out;
  std::string header;
  std::getline(in, header);
  std::string id, date;
  int cds = 0;
  double dollars = 0;
  while (in >> id >> date >> cds >> dollars) {
    const int y = std::stoi(date.substr(0, 4));
    const unsigned m = static_cast<unsigned>(std::stoi(date.substr(4, 2)));
    const unsigned d = static_cast<unsigned>(std::stoi(date.substr(6, 2)));
    // Noon, so that every order of a day lies inside the day whatever the window's edge.
    out.push_back({id, days_from_civil(y, m, d) * kDay + 12 * kMillisPerHour, dollars});
  }
  return out;
}

std::map<std::string, Rfm3> reference_scores(const std::vector<Purchase>& purchases, int64_t now,
                                             int64_t lookback) {
  struct Agg {
    int64_t last = INT64_MIN, orders = 0, cents = 0;
  };
  std::map<std::string, Agg> by;
  for (const Purchase& p : purchases) {
    if (p.time_ms <= now - lookback || p.time_ms > now) continue;
    Agg& a = by[p.customer];
    a.last = std::max(a.last, p.time_ms);
    ++a.orders;
    a.cents += std::llround(p.dollars * 100);
  }
  const int64_t n = static_cast<int64_t>(by.size());
  std::map<std::string, Rfm3> out;
  for (const auto& [c, a] : by) {
    int64_t older = 0, fewer = 0, less = 0;
    for (const auto& [c2, b] : by) {
      older += b.last / kDay < a.last / kDay;
      fewer += b.orders < a.orders;
      less += Rfm::money_bucket(b.cents) < Rfm::money_bucket(a.cents);
    }
    const int r = static_cast<int>(std::min<int64_t>(5, 1 + 5 * older / n));
    const int f = static_cast<int>(std::min<int64_t>(5, 1 + 5 * fewer / n));
    const int m = static_cast<int>(std::min<int64_t>(5, 1 + 5 * less / n));
    out[c] = {r, f, m, std::string(Rfm::segment_name(r, f))};
  }
  return out;
}

TEST(Rfm, CdnowHistoryImportedByCustomerMatchesAPlainReferenceOnAnyWorkerCount) {
  const std::vector<Purchase> purchases = load_cdnow();
  ASSERT_EQ(purchases.size(), 69'659u) << "the CDNOW file is missing or changed";
  const int64_t now = days_from_civil(1998, 7, 1) * kDay;
  const int64_t lookback = 365 * kDay;
  const auto expected = reference_scores(purchases, now, lookback);
  ASSERT_GT(expected.size(), 5000u);

  // The file is sorted by customer, as a shop's export would be: one watermark at the end.
  std::vector<Step> steps;
  for (const Purchase& p : purchases)
    steps.push_back(ev(p.customer, "Order Completed", p.time_ms).amount(p.dollars));
  steps.push_back(Step::watermark(now));
  std::map<std::string, int> segment_sizes;
  for (uint32_t workers : {1u, 3u}) {
    SCOPED_TRACE(workers);
    HarnessOptions o;
    o.workers = workers;
    o.batch_size = 2500;
    auto h = Harness::create(topology(), o);
    ASSERT_TRUE(h.is_ok());
    ASSERT_TRUE((*h)->run(steps).is_ok());
    size_t mismatches = 0;
    for (const auto& [customer, want] : expected) {
      const Rfm3 got = read(**h, customer);
      if (!(got == want) && ++mismatches <= 5) {
        ADD_FAILURE() << customer << ": got " << got.r << got.f << got.m << " " << got.segment
                      << ", want " << want.r << want.f << want.m << " " << want.segment;
      }
      if (workers == 1) ++segment_sizes[got.segment];
    }
    EXPECT_EQ(mismatches, 0u);
  }
  // Most CDNOW customers bought once, long ago: the grid must reflect that.
  EXPECT_GT(segment_sizes["Hibernating"], segment_sizes["Champions"]);
  for (const auto& [name, size] : segment_sizes)
    RecordProperty(name.empty() ? "none" : name, size);
}

TEST(Rfm, CdnowInTimeOrderGivesTheSameScoresAsByCustomer) {
  std::vector<Purchase> purchases = load_cdnow();
  ASSERT_FALSE(purchases.empty());
  const int64_t now = days_from_civil(1998, 7, 1) * kDay;
  auto run = [&](const std::vector<Purchase>& order, bool daily_watermarks) {
    std::vector<Step> steps;
    int64_t day = INT64_MIN;
    for (const Purchase& p : order) {
      if (daily_watermarks && p.time_ms / kDay != day) {
        day = p.time_ms / kDay;
        steps.push_back(Step::watermark(p.time_ms - 1));
      }
      steps.push_back(ev(p.customer, "Order Completed", p.time_ms).amount(p.dollars));
    }
    steps.push_back(Step::watermark(now));
    HarnessOptions o;
    o.workers = 2;
    o.batch_size = 1000;
    auto h = Harness::create(topology(), o);
    EXPECT_TRUE(h.is_ok());
    EXPECT_TRUE((*h)->run(steps).is_ok());
    std::map<std::string, Rfm3> out;
    for (int i = 1; i <= 23570; i += 7) {
      char id[8];
      std::snprintf(id, sizeof id, "%05d", i);
      out[id] = read(**h, id);
    }
    return out;
  };
  const auto by_customer = run(purchases, false);
  std::stable_sort(purchases.begin(), purchases.end(),
                   [](const Purchase& a, const Purchase& b) { return a.time_ms < b.time_ms; });
  EXPECT_EQ(run(purchases, true), by_customer);
}

}  // namespace
}  // namespace eddy
