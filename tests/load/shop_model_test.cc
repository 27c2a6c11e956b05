#include "bench/load/shop_model.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace eddy::load {
namespace {

constexpr size_t kEvents = 300'000;

ShopModelOptions options(uint64_t seed) {
  ShopModelOptions o;
  o.seed = seed;
  o.start_ms = 1'717'200'000'000;  // 2024-06-01
  return o;
}

std::string serialise(ShopModel& model, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    const ShopEvent& e = model.next();
    append_segment_message(out, e, e.time_ms, e.time_ms, "run");
    out += '\n';
  }
  return out;
}

// Counts over one long stream, shared by the statistical tests.
struct Stream {
  std::map<std::string, uint64_t, std::less<>> by_name;  // track events by name
  uint64_t pages = 0;
  uint64_t identifies = 0;
  std::vector<uint64_t> by_customer;
  std::vector<uint64_t> views_by_product;
  int64_t first_ms = 0;
  int64_t last_ms = 0;
  bool ordered = true;
  bool sequential = true;
  uint64_t long_gaps = 0;  // a customer's consecutive events more than 30 min apart
};

const Stream& stream() {
  static const Stream s = [] {
    Stream out;
    ShopModelOptions o = options(42);
    ShopModel model(o);
    out.by_customer.assign(o.customers, 0);
    out.views_by_product.assign(o.products, 0);
    std::vector<int64_t> last_seen(o.customers, -1);
    for (size_t i = 0; i < kEvents; ++i) {
      const ShopEvent& e = model.next();
      if (i == 0) out.first_ms = e.time_ms;
      out.ordered = out.ordered && e.time_ms >= out.last_ms;
      out.sequential = out.sequential && e.sequence == i;
      out.last_ms = e.time_ms;
      ++out.by_customer[e.customer];
      if (last_seen[e.customer] >= 0 && e.time_ms - last_seen[e.customer] > 30 * 60'000) {
        ++out.long_gaps;
      }
      last_seen[e.customer] = e.time_ms;
      switch (e.call) {
        case CallType::kTrack:
          ++out.by_name[std::string(e.name)];
          if (e.name == event_names::kProductViewed) ++out.views_by_product[e.product];
          break;
        case CallType::kPage:
          ++out.pages;
          break;
        case CallType::kIdentify:
          ++out.identifies;
          break;
      }
    }
    return out;
  }();
  return s;
}

double count(std::string_view name) {
  auto it = stream().by_name.find(name);
  return it == stream().by_name.end() ? 0.0 : static_cast<double>(it->second);
}

TEST(ShopModel, TheSameSeedGivesTheSameStream) {
  ShopModel a(options(7));
  ShopModel b(options(7));
  ShopModel c(options(8));
  const std::string sa = serialise(a, 20'000);
  EXPECT_EQ(sa, serialise(b, 20'000));
  EXPECT_NE(sa, serialise(c, 20'000));
}

TEST(ShopModel, EventTimeAdvancesInOrderAndSequencesCount) {
  const Stream& s = stream();
  EXPECT_TRUE(s.ordered);
  EXPECT_TRUE(s.sequential);
  // 1,000 sessions at once, about one event per 25 s of think time each, with pauses between
  // sessions: tens of milliseconds of simulated time per event.
  const double ms_per_event = static_cast<double>(s.last_ms - s.first_ms) / kEvents;
  EXPECT_GT(ms_per_event, 15.0);
  EXPECT_LT(ms_per_event, 60.0);
}

TEST(ShopModel, FunnelNarrowsFromViewsToOrders) {
  using namespace event_names;
  const double views = count(kProductViewed);
  const double adds = count(kProductAdded);
  const double removes = count(kProductRemoved);
  const double checkouts = count(kCheckoutStarted);
  const double orders = count(kOrderCompleted);
  SCOPED_TRACE(::testing::Message()
               << "views " << views << " adds " << adds << " removes " << removes << " checkouts "
               << checkouts << " orders " << orders);
  EXPECT_GT(views, 0.4 * kEvents) << "views are most of the traffic";
  EXPECT_GT(adds / views, 0.08);
  EXPECT_LT(adds / views, 0.25);
  EXPECT_GT(removes / adds, 0.05);
  EXPECT_LT(removes / adds, 0.5);
  EXPECT_GT(checkouts / adds, 0.2);
  EXPECT_LT(checkouts / adds, 0.8);
  EXPECT_GT(orders / checkouts, 0.45);
  EXPECT_LT(orders / checkouts, 0.8);
  EXPECT_GT(orders, 1000);
}

TEST(ShopModel, EmailsPagesAndIdentifiesTakePart) {
  using namespace event_names;
  const Stream& s = stream();
  const double opened = count(kEmailOpened);
  const double clicked = count(kEmailLinkClicked);
  EXPECT_GT(opened, 0.01 * kEvents);
  EXPECT_GT(clicked / opened, 0.28);
  EXPECT_LT(clicked / opened, 0.42);
  EXPECT_GT(s.pages, 0.1 * kEvents);
  EXPECT_GT(s.identifies, 0.01 * kEvents);
  EXPECT_GT(s.long_gaps, 1000u) << "customers come back in later sessions";
}

// Sessions pick customers by Zipf and the events of a session do not depend on who the customer
// is, so a customer's share of events follows its Zipf probability.
TEST(ShopModel, CustomersAndProductsFollowTheirZipfSkew) {
  const Stream& s = stream();
  const ShopModelOptions o = options(42);
  const ZipfDistribution customers(o.customers, o.customer_skew);
  const double share0 = static_cast<double>(s.by_customer[0]) / kEvents;
  EXPECT_NEAR(share0 / customers.probability(0), 1.0, 0.2);
  const double ratio = static_cast<double>(s.by_customer[0]) / (s.by_customer[99] + 1);
  EXPECT_GT(ratio, 40.0) << "Zipf 1.0: rank 1 is 100 times as active as rank 100";
  EXPECT_LT(ratio, 250.0);
  uint64_t top_percent = 0;
  for (size_t k = 0; k < o.customers / 100; ++k)
    top_percent += s.by_customer[k];
  EXPECT_GT(static_cast<double>(top_percent) / kEvents, 0.5)
      << "the top 1% of customers bring over half of the traffic";

  const ZipfDistribution products(o.products, o.product_skew);
  const double views = count(event_names::kProductViewed);
  EXPECT_NEAR(s.views_by_product[0] / views / products.probability(0), 1.0, 0.1);
  EXPECT_NEAR(s.views_by_product[9] / views / products.probability(9), 1.0, 0.25);
}

TEST(ShopModel, MessagesAreSegmentCallsWithUniqueIdsAndConsistentOrders) {
  ShopModel model(options(3));
  std::set<std::string> ids;
  size_t orders = 0;
  for (int i = 0; i < 50'000; ++i) {
    const ShopEvent& e = model.next();
    std::string text;
    append_segment_message(text, e, e.time_ms, e.time_ms + 5, "p");
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(text, ec);
    ASSERT_FALSE(ec) << text;
    const boost::json::object& m = v.as_object();
    ASSERT_TRUE(ids.insert(std::string(m.at("messageId").as_string())).second) << text;
    EXPECT_EQ(m.at("userId").as_string(), "u" + std::to_string(e.customer));
    EXPECT_EQ(m.at("timestamp").as_string().size(), 24u) << text;
    EXPECT_EQ(m.at("sentAt").as_string().size(), 24u) << text;
    const std::string_view type = m.at("type").as_string();
    if (e.call == CallType::kIdentify) {
      EXPECT_EQ(type, "identify");
      EXPECT_EQ(m.at("traits").at("email").as_string(),
                "u" + std::to_string(e.customer) + "@example.com");
    } else if (e.call == CallType::kPage) {
      EXPECT_EQ(type, "page");
      EXPECT_TRUE(m.at("properties").as_object().contains("path"));
    } else {
      EXPECT_EQ(type, "track");
      EXPECT_EQ(m.at("event").as_string(), e.name);
    }
    if (e.name == event_names::kOrderCompleted) {
      ++orders;
      const boost::json::object& p = m.at("properties").as_object();
      double sum = 0;
      for (const boost::json::value& item : p.at("products").as_array()) {
        sum += item.at("price").to_number<double>() * item.at("quantity").to_number<double>();
      }
      EXPECT_FALSE(p.at("products").as_array().empty());
      EXPECT_NEAR(p.at("revenue").to_number<double>(), sum, 0.005) << text;
      EXPECT_EQ(p.at("revenue"), p.at("total"));
    }
    if (e.name == event_names::kEmailOpened) {
      EXPECT_TRUE(m.at("properties").as_object().contains("campaign_id"));
    }
  }
  EXPECT_GT(orders, 100u);
}

TEST(ShopModel, TimestampsAreIso8601Utc) {
  struct Case {
    int64_t ms;
    std::string_view text;
  };
  const Case cases[] = {
      {0, "1970-01-01T00:00:00.000Z"},
      {1'717'245'296'789, "2024-06-01T12:34:56.789Z"},
      {951'868'799'999, "2000-02-29T23:59:59.999Z"},
      {-1, "1969-12-31T23:59:59.999Z"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.ms);
    std::string out;
    append_iso8601(out, c.ms);
    EXPECT_EQ(out, c.text);
  }
}

}  // namespace
}  // namespace eddy::load
