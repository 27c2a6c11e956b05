#pragma once

#include <cstdint>
#include <queue>
#include <string>
#include <string_view>
#include <vector>

#include "bench/load/zipf.h"

namespace eddy::load {

// A synthetic online shop's traffic, as the Segment calls a shop's front end and email tool send.
//
// A fixed number of session slots run at once in simulated time. When a slot's session ends, a new
// one starts there after a pause, for a customer drawn from a Zipf distribution (a few customers
// are very active, most are seen rarely; the hottest ones may have overlapping sessions, as a
// shopper on two devices does). A session is either an email interaction ("Email Opened", and
// sometimes "Email Link Clicked" leading into a visit) or a visit: a landing page call, perhaps an
// identify call with an email trait, then a funnel walked as a Markov chain: many "Product
// Viewed", fewer "Product Added", some "Product Removed", fewer "Checkout Started", fewer still
// "Order Completed" carrying revenue and products; events are separated by think times. Products
// are drawn from their own Zipf distribution.
//
// Events come out in simulated-time order, and the whole stream is a function of the options
// alone: the same seed gives the same events on every run (the generator uses its own arithmetic
// for every random draw, none of the implementation-defined standard distributions).
//
// Not thread-safe.

enum class CallType { kTrack, kPage, kIdentify };

struct LineItem {
  uint32_t product = 0;
  uint32_t quantity = 0;
};

struct ShopEvent {
  CallType call = CallType::kTrack;
  // The track event's name ("Product Viewed", ...) or the page's name ("Home", ...); empty for
  // identify. Points at static text.
  std::string_view name;
  uint64_t customer = 0;  // userId "u<customer>"
  int64_t time_ms = 0;    // simulated event time, milliseconds since the epoch
  uint64_t sequence = 0;  // position in the stream, from 0: makes messageId unique
  uint32_t product = 0;   // Product Viewed / Added / Removed; a Product page
  uint32_t quantity = 0;  // Product Added / Removed
  uint64_t order = 0;     // Checkout Started / Order Completed
  int64_t revenue_cents = 0;
  std::vector<LineItem> items;  // Checkout Started / Order Completed
  uint32_t campaign = 0;        // Email Opened / Email Link Clicked
};

struct ShopModelOptions {
  uint64_t seed = 1;
  uint64_t customers = 100'000;
  uint32_t products = 10'000;
  double customer_skew = 1.0;  // Zipf exponent of customer activity
  double product_skew = 1.1;   // Zipf exponent of product popularity
  // Sessions in progress at once; with the think times below, simulated time advances by about
  // 25 s / concurrent_sessions per event.
  uint32_t concurrent_sessions = 1000;
  int64_t start_ms = 0;  // simulated time of the first session starts
};

// Segment's e-commerce event names, as the model emits them.
namespace event_names {
inline constexpr std::string_view kProductViewed = "Product Viewed";
inline constexpr std::string_view kProductAdded = "Product Added";
inline constexpr std::string_view kProductRemoved = "Product Removed";
inline constexpr std::string_view kCheckoutStarted = "Checkout Started";
inline constexpr std::string_view kOrderCompleted = "Order Completed";
inline constexpr std::string_view kEmailOpened = "Email Opened";
inline constexpr std::string_view kEmailLinkClicked = "Email Link Clicked";
}  // namespace event_names

class ShopModel {
 public:
  explicit ShopModel(const ShopModelOptions& options);

  // The next event in simulated-time order.
  const ShopEvent& next();
  const ShopModelOptions& options() const { return options_; }

 private:
  enum class Phase : uint8_t {
    kStart,        // the slot's next session begins
    kEmailOpened,  // an email session: the click may follow
    kLanding,      // a visit begins with a page call
    kBrowsing,     // walking the funnel
    kCheckout,     // checkout started: order, abandon or browse on
  };
  struct Session {
    Phase phase = Phase::kStart;
    int64_t due_ms = 0;
    uint64_t customer = 0;
    uint32_t campaign = 0;
    bool identify_pending = false;
    bool checkout_pending = false;
    bool last_was_view = false;
    uint64_t order = 0;
    uint32_t last_viewed = 0;
    std::vector<LineItem> cart;
  };
  struct Due {
    int64_t due_ms;
    uint32_t slot;
    bool operator>(const Due& o) const {
      return due_ms != o.due_ms ? due_ms > o.due_ms : slot > o.slot;
    }
  };

  uint64_t next_u64();
  double uniform();  // [0, 1)
  int64_t exponential_ms(double mean_ms);
  uint32_t draw_product();
  uint32_t draw_quantity();

  // Each fills event_ for the session's next step and schedules the one after it.
  void start(Session& s);
  void email_opened(Session& s);
  void landing(Session& s);
  void browse(Session& s);
  void checkout(Session& s);
  void emit_track(Session& s, std::string_view name);
  void emit_page(Session& s, std::string_view name);
  void emit_identify(Session& s);
  void emit_order_event(Session& s, std::string_view name);
  void think(Session& s);
  void end(Session& s);

  ShopModelOptions options_;
  ZipfDistribution customer_dist_;
  ZipfDistribution product_dist_;
  uint64_t rng_state_;
  std::vector<Session> sessions_;
  std::priority_queue<Due, std::vector<Due>, std::greater<>> due_;
  std::vector<bool> identified_;  // by customer
  uint64_t orders_ = 0;
  uint64_t sequence_ = 0;
  bool emitted_ = false;
  ShopEvent event_;
};

// Catalogue facts derived from a product's number, the same in every run.
int64_t product_price_cents(uint32_t product);
std::string_view product_category(uint32_t product);

// The route of a single Segment call: /v1/track, /v1/page, /v1/identify.
std::string_view segment_path(CallType call);

// Appends the event as one Segment message (a JSON object with `type`, `messageId`, `userId`,
// `timestamp`, `sentAt` and `properties` or `traits`). `timestamp_ms` is the event time to state
// (the simulated time for a replay, the wall clock for live traffic); messageId is
// "<message_id_prefix>-<sequence>" and order ids "<message_id_prefix>-o<order>", so that runs with
// different prefixes never collide in eddy's de-duplication memory.
void append_segment_message(std::string& out, const ShopEvent& e, int64_t timestamp_ms,
                            int64_t sent_at_ms, std::string_view message_id_prefix);

// UTC, millisecond precision: 2024-06-01T12:34:56.789Z.
void append_iso8601(std::string& out, int64_t ms_since_epoch);

}  // namespace eddy::load
