#include "operators/rfm.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "runtime/topology_builder.h"
#include "tests/harness/harness.h"
#include "tests/harness/test_operators.h"

namespace eddy {
namespace {

using testing::ev;
using testing::Harness;
using testing::HarnessOptions;
using testing::Step;

constexpr int64_t kDay = kMillisPerDay;

TopologySpec topology(int64_t lookback_days = 365) {
  auto registry = testing::test_registry();
  auto spec = TopologyBuilder("rfm", registry)
                  .accept_types({"Order Completed", "Product Viewed"})
                  .stage("profiles")
                  .op("rfm", "rfm", {{"lookback_ms", lookback_days * kDay}})
                  .build();
  EXPECT_TRUE(spec.is_ok()) << spec.status().to_string();
  return std::move(spec).value();
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
