// Random journeys of a few thousand customers through the default topology, checked against a
// naive reference (ecommerce_reference.h): every customer's profile, segment memberships and
// delivered triggers must equal the reference's, at any worker count and batching.

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <cmath>
#include <iterator>
#include <random>

#include "operators/builtin.h"
#include "tests/harness/harness.h"
#include "tests/topologies/ecommerce_reference.h"
#include "topologies/ecommerce/ecommerce.h"

namespace eddy {
namespace {

using testing::EcommerceReference;
using testing::ev;
using testing::EventMaker;
using testing::Harness;
using testing::HarnessOptions;
using testing::Step;
using testing::TestEvent;

constexpr int64_t kT0 = 1'700'000'000'000;
constexpr int64_t kMinute = kMillisPerMinute;
constexpr int64_t kSpanMs = 100 * kMillisPerDay;
constexpr int kCustomers = 2000;

// Segments over the features that change with events, with time and with everyone's orders.
const std::pair<const char*, const char*> kSegments[] = {
    {"champions", "rfm.r >= 4 and rfm.f >= 4"},
    {"big_spenders", "rfm.m >= 4"},
    {"lapsing", "rfm.recency_days > 20"},
    {"browsers", "counters.product_views_7d > 5"},
    {"recent_buyers", "counters.orders_30d >= 1"},
    {"high_revenue", "counters.revenue_90d >= 300"},
    {"email_ignorers", "counters.email_opens_no_click_7d >= 1"},
    {"revisitors", "counters.product_page_visits_7d > 3"},
    {"retained", "lifecycle == \"retention\""},
    {"dormant", "lifecycle == \"dormant\""},
    {"cart_holders", "cart.value > 50"},
    {"regulars", "sessions.count >= 3"},
    {"pro", "traits.plan == \"pro\""},
    {"reachable", "consent.marketing == true"},
};

EcommerceSettings settings() {
  EcommerceSettings s;
  s.identity_stage = false;
  // Shorter than the journeys, so that orders leave the RFM window while the script runs.
  s.rfm_lookback_ms = 45 * kMillisPerDay;
  return s;
}

Step put_segment(const char* id, const char* rule) {
  return Step::command(kSegmentsOperator, {{"action", "put"}, {"id", id}, {"enter", rule}});
}

// One visit: a handful of events minutes apart, sometimes exactly a session gap apart, in a
// funnel where views are common and orders rare.
void visit(std::mt19937_64& random, const std::string& key, int64_t t,
           std::vector<TestEvent>& out) {
  const int events = 1 + static_cast<int>(random() % 10);
  for (int i = 0; i < events; ++i) {
    const uint64_t pause = random() % 20;
    t += pause == 0   ? 30 * kMinute      // exactly the gap: a new session
         : pause == 1 ? 30 * kMinute - 1  // just inside it
                      : 1000 + static_cast<int64_t>(random() % (10 * kMinute));
    const int product = static_cast<int>(random() % 8);
    const std::string item = "p" + std::to_string(product);
    const double price = 10 + 5 * product;
    const std::string campaign = "m" + std::to_string(random() % 3);
    EventMaker e = ev(key, "page", t);
    const uint64_t kind = random() % 100;
    if (kind < 40) {
      e = ev(key, "Product Viewed", t).item(item).amount(price);
    } else if (kind < 52) {
      e = ev(key, "page", t);
      if (random() % 2) e.prop("channel", random() % 2 ? "email" : "search");
      if (random() % 3 == 0) e.prop("referrer", "news.example");
    } else if (kind < 64) {
      e = ev(key, "Product Added", t).item(item).amount(price).quantity(1 + random() % 2);
    } else if (kind < 68) {
      e = ev(key, "Product Removed", t).item(item).amount(price).quantity(1);
    } else if (kind < 74) {
      e = ev(key, "Order Completed", t).amount(5 + static_cast<double>(random() % 40000) / 100);
    } else if (kind < 82) {
      e = ev(key, "Email Opened", t).item(campaign);
    } else if (kind < 86) {
      e = ev(key, "Email Link Clicked", t).item(campaign);
    } else if (kind < 95) {
      e = ev(key, "identify", t).prop("traits.plan", random() % 2 ? "pro" : "free");
      if (random() % 2) e.flag("traits.marketing_consent", random() % 4 != 0);
    } else if (kind < 96) {
      e = ev(key, "Unsubscribed", t);
    }
    out.push_back(e.event());
  }
}

// The customers' events in time order (each customer's at distinct times), a watermark a little
// behind the newest event every few events, segments put at the start and one half-way (a
// back-fill), then two final watermark steps: one past every session (carts of the last day stay
// open), and one an hour and a minute later, so that every key group has swept its time-dependent
// rules at the last watermark, in an hour in which no order leaves the RFM window (scores come from
// the population as of the step before).
std::vector<Step> journeys(uint64_t seed, int customers) {
  std::mt19937_64 random(seed);
  std::vector<TestEvent> events;
  for (int c = 0; c < customers; ++c) {
    const std::string key = "c" + std::to_string(c);
    std::vector<TestEvent> mine;
    const int visits = 1 + static_cast<int>(random() % 6);
    for (int v = 0; v < visits; ++v)
      visit(random, key, kT0 + static_cast<int64_t>(random() % kSpanMs), mine);
    std::stable_sort(mine.begin(), mine.end(),
                     [](const TestEvent& a, const TestEvent& b) { return a.time_ms < b.time_ms; });
    for (size_t i = 1; i < mine.size(); ++i)
      mine[i].time_ms = std::max(mine[i].time_ms, mine[i - 1].time_ms + 1);
    events.insert(events.end(), mine.begin(), mine.end());
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const TestEvent& a, const TestEvent& b) { return a.time_ms < b.time_ms; });

  std::vector<Step> steps{Step::watermark(kT0)};
  const size_t half = std::size(kSegments) / 2;
  for (size_t i = 0; i < half; ++i)
    steps.push_back(put_segment(kSegments[i].first, kSegments[i].second));
  int64_t watermark = kT0;
  for (size_t i = 0; i < events.size(); ++i) {
    steps.push_back(Step::of(events[i]));
    if (i == events.size() / 2) {
      for (size_t j = half; j < std::size(kSegments); ++j)
        steps.push_back(put_segment(kSegments[j].first, kSegments[j].second));
    }
    if (i % 20 == 19) {
      watermark =
          std::max(watermark, events[i].time_ms - static_cast<int64_t>(random() % (20 * kMinute)));
      steps.push_back(Step::watermark(watermark));
    }
  }
  std::vector<int64_t> expiries;
  const int64_t lookback = settings().rfm_lookback_ms;
  for (const TestEvent& e : events) {
    if (e.type == "Order Completed") expiries.push_back(e.time_ms + lookback);
  }
  int64_t end = events.back().time_ms + 2 * kMillisPerHour;
  const int64_t hour = kMillisPerHour + kMinute;
  auto expiry_within = [&](int64_t from) {
    return std::any_of(expiries.begin(), expiries.end(),
                       [&](int64_t x) { return x > from && x <= from + hour; });
  };
  while (expiry_within(end))
    end += 10 * kMinute;
  steps.push_back(Step::watermark(end));
  steps.push_back(Step::watermark(end + hour));
  return steps;
}

bool same_number(double a, double b) {
  return std::fabs(a - b) <= 1e-9 * std::max({1.0, std::fabs(a), std::fabs(b)});
}

// Where `actual` differs from `expected` in what `expected` names, as "path: expected vs actual".
void diff(const boost::json::value& expected, const boost::json::value* actual,
          const std::string& path, std::vector<std::string>& out) {
  auto differ = [&] {
    out.push_back(path + ": " + boost::json::serialize(expected) + " vs " +
                  (actual ? boost::json::serialize(*actual) : std::string("(missing)")));
  };
  if (actual == nullptr) return differ();
  if (expected.is_object()) {
    if (!actual->is_object()) return differ();
    for (const auto& [name, v] : expected.as_object())
      diff(v, actual->as_object().if_contains(name), path + "." + std::string(name), out);
    return;
  }
  if (expected.is_number()) {
    if (!actual->is_number() ||
        !same_number(expected.to_number<double>(), actual->to_number<double>())) {
      differ();
    }
    return;
  }
  if (expected != *actual) differ();
}

boost::json::value sorted(boost::json::value v) {
  if (auto* a = v.if_array()) {
    std::sort(a->begin(), a->end(),
              [](const auto& x, const auto& y) { return x.as_string() < y.as_string(); });
  }
  return v;
}

std::string prop(const CollectingSink::Record& r, const std::string& name) {
  for (const auto& [n, v] : r.props) {
    if (n == name) return v;
  }
  return "-";
}

// Compares every customer's profile with the reference's; returns how many segments each
// customer is in by the reference, when `segments` says to compare those.
std::map<std::string, size_t> expect_profiles(Harness& engine, const EcommerceReference& reference,
                                              bool segments, const std::string& when) {
  size_t wrong = 0;
  std::map<std::string, size_t> members;
  for (auto& [key, expected] : reference.profiles()) {
    if (!segments) expected.erase("segments");
    auto actual = engine.query(kProfilesStage, key);
    EXPECT_TRUE(actual.is_ok()) << key << ": " << actual.status().to_string();
    if (!actual.is_ok()) continue;
    if (auto* s = actual->if_contains("segments")) *s = sorted(*s);
    const boost::json::value got(std::move(actual).value());
    std::vector<std::string> differences;
    diff(expected, &got, key, differences);
    if (segments) {
      for (const auto& segment : expected.at("segments").as_array())
        ++members[std::string(segment.as_string())];
    }
    if (differences.empty()) continue;
    if (++wrong <= 5) {
      std::string all;
      for (const std::string& d : differences)
        all += "\n  " + d;
      ADD_FAILURE() << when << ", customer " << key << " differs from the reference:" << all;
    }
  }
  EXPECT_EQ(wrong, 0u) << when << ": customers whose profile differs from the reference's";
  return members;
}

// Where to stop and compare midway: after a watermark step into a new minute, the epoch at which
// the RFM population is merged, so that scores are as of the last step for both.
std::vector<size_t> checkpoints(const std::vector<Step>& steps) {
  std::vector<size_t> out;
  int64_t epoch = 0;
  for (size_t i = 0; i < steps.size(); ++i) {
    if (steps[i].kind != Step::Kind::kWatermark) continue;
    const int64_t e = steps[i].watermark_ms / kMinute;
    const size_t next = (out.size() + 1) * steps.size() / 3;
    if (e != epoch && i >= next && out.size() < 2) out.push_back(i + 1);
    epoch = e;
  }
  return out;
}

class RandomJourneys : public ::testing::TestWithParam<uint64_t> {};

TEST_P(RandomJourneys, GiveTheReferencesProfilesSegmentsAndTriggers) {
  const uint64_t seed = GetParam();
  const HarnessOptions options = HarnessOptions::random(seed);
  SCOPED_TRACE("seed " + std::to_string(seed) + ", " + options.describe());
  const std::vector<Step> steps = journeys(seed, kCustomers);

  EcommerceReference reference(settings());
  for (const auto& [id, rule] : kSegments)
    reference.segment(id, rule);
  auto registry = std::make_shared<OperatorRegistry>();
  ASSERT_TRUE(register_builtin_operators(*registry).is_ok());
  auto spec = make_ecommerce_topology(registry, settings());
  ASSERT_TRUE(spec.is_ok()) << spec.status().to_string();
  auto h = Harness::create(std::move(spec).value(), options);
  ASSERT_TRUE(h.is_ok()) << h.status().to_string();
  Harness& engine = **h;

  // Midway, memberships depend on when each rule was last checked; profiles do not.
  size_t from = 0;
  const std::vector<size_t> midway = checkpoints(steps);
  EXPECT_EQ(midway.size(), 2u);
  for (size_t to : midway) {
    const std::vector<Step> part(steps.begin() + static_cast<ptrdiff_t>(from),
                                 steps.begin() + static_cast<ptrdiff_t>(to));
    reference.run(part);
    const Status ran = engine.run(part);
    ASSERT_TRUE(ran.is_ok()) << ran.to_string();
    expect_profiles(engine, reference, /*segments=*/false, "at step " + std::to_string(to));
    from = to;
  }
  const std::vector<Step> rest(steps.begin() + static_cast<ptrdiff_t>(from), steps.end());
  reference.run(rest);
  const Status ran = engine.run(rest);
  ASSERT_TRUE(ran.is_ok()) << ran.to_string();
  EXPECT_TRUE(engine.rejections().empty());
  const auto members = expect_profiles(engine, reference, /*segments=*/true, "at the end");
  // Every segment has members, or the comparison would prove little about it.
  for (const auto& [id, rule] : kSegments)
    EXPECT_GT(members.count(id) ? members.at(id) : 0, 0u) << id << " has no member";

  std::vector<std::string> delivered;
  const EventTypeRegistry& types = engine.engine().topology().types();
  for (const auto& r : engine.sink("triggers")) {
    delivered.push_back(r.key + " " + std::string(types.name(r.type)) + " " + prop(r, "trigger"));
  }
  std::sort(delivered.begin(), delivered.end());
  const std::vector<std::string> expected_delivered = reference.delivered();
  EXPECT_FALSE(expected_delivered.empty());
  std::vector<std::string> missing, extra;
  std::set_difference(expected_delivered.begin(), expected_delivered.end(), delivered.begin(),
                      delivered.end(), std::back_inserter(missing));
  std::set_difference(delivered.begin(), delivered.end(), expected_delivered.begin(),
                      expected_delivered.end(), std::back_inserter(extra));
  EXPECT_TRUE(missing.empty()) << missing.size() << " triggers the engine did not deliver, first "
                               << missing.front();
  EXPECT_TRUE(extra.empty()) << extra.size() << " triggers only the engine delivered, first "
                             << extra.front();

  // Each key's entries and exits add up to its membership.
  std::map<std::pair<std::string, std::string>, int> net;
  for (const auto& r : engine.sink("segment_changes")) {
    net[{r.key, prop(r, "segment")}] += types.name(r.type) == "Segment Entered" ? 1 : -1;
  }
  size_t in = 0;
  for (const auto& [which, n] : net) {
    EXPECT_TRUE(n == 0 || n == 1) << which.first << " " << which.second << ": " << n;
    in += n == 1;
  }
  size_t expected_in = 0;
  for (const auto& [id, n] : members)
    expected_in += n;
  EXPECT_EQ(in, expected_in) << "memberships by the changes emitted";
  ASSERT_TRUE(engine.stop().is_ok());
}

// Each seed also picks the worker count, batch size and shuffling (HarnessOptions::random).
// 1: one worker; 3: four, shuffled, batches of 1000; 8: two; 11: four, shuffled, batches of 3.
INSTANTIATE_TEST_SUITE_P(EcommerceReference, RandomJourneys, ::testing::Values(1, 3, 8, 11));

}  // namespace
}  // namespace eddy
