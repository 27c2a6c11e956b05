#include "bench/load/shop_model.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstddef>

namespace eddy::load {
namespace {

// Simulated behaviour. Think time separates a visitor's events; a slot pauses between sessions.
constexpr double kMeanThinkMs = 25'000;
constexpr int64_t kMinThinkMs = 1'000;
constexpr double kMeanSessionPauseMs = 30'000;
constexpr double kEmailSessionShare = 0.15;
constexpr double kEmailClickRate = 0.35;
constexpr double kLoginRate = 0.3;  // unknown visitors who log in (identify) on landing

// The browsing step's choices, as weights; a choice that does not apply has weight 0.
constexpr double kViewWeight = 0.60;
constexpr double kPageWeight = 0.12;
constexpr double kEndWeight = 0.10;
constexpr double kAddAfterViewWeight = 0.15;
constexpr double kRemoveWeight = 0.03;
constexpr double kCheckoutWeight = 0.08;
// At checkout: order, abandon the cart (the session ends), or go back to browsing.
constexpr double kOrderRate = 0.6;
constexpr double kAbandonRate = 0.3;
constexpr double kEndAfterOrderRate = 0.7;

constexpr std::array<std::string_view, 12> kCategories = {
    "Shoes", "Dresses", "Shirts",  "Trousers",  "Jackets",    "Bags",
    "Hats",  "Socks",   "Watches", "Jewellery", "Sportswear", "Underwear",
};

uint64_t mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

void append_uint(std::string& out, uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  assert(ec == std::errc());
  out.append(buf, end);
}

// Fixed width, zero padded.
void append_padded(std::string& out, int64_t v, int width) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  assert(ec == std::errc());
  for (int n = static_cast<int>(end - buf); n < width; ++n)
    out += '0';
  out.append(buf, end);
}

void append_money(std::string& out, int64_t cents) {
  append_uint(out, static_cast<uint64_t>(cents / 100));
  out += '.';
  append_padded(out, cents % 100, 2);
}

void append_field(std::string& out, std::string_view key, std::string_view value) {
  out += '"';
  out += key;
  out += "\":\"";
  out += value;  // every value the model writes is plain ASCII without quotes or backslashes
  out += '"';
}

void append_product(std::string& out, uint32_t product, uint32_t quantity) {
  out += "\"product_id\":\"p";
  append_uint(out, product);
  out += "\",\"sku\":\"SKU-";
  append_padded(out, product, 6);
  out += "\",\"name\":\"Product ";
  append_uint(out, product);
  out += "\",";
  append_field(out, "category", product_category(product));
  out += ",\"price\":";
  append_money(out, product_price_cents(product));
  if (quantity > 0) {
    out += ",\"quantity\":";
    append_uint(out, quantity);
  }
}

void append_properties(std::string& out, const ShopEvent& e, std::string_view prefix) {
  using namespace event_names;
  out += "\"properties\":{";
  if (e.name == kProductViewed || e.name == kProductAdded || e.name == kProductRemoved) {
    append_product(out, e.product, e.quantity);
    out += ",\"currency\":\"USD\"";
  } else if (e.name == kCheckoutStarted || e.name == kOrderCompleted) {
    out += "\"order_id\":\"";
    out += prefix;
    out += "-o";
    append_uint(out, e.order);
    out += "\",\"";
    out += e.name == kOrderCompleted ? "total" : "value";
    out += "\":";
    append_money(out, e.revenue_cents);
    out += ",\"revenue\":";
    append_money(out, e.revenue_cents);
    out += ",\"currency\":\"USD\",\"products\":[";
    for (size_t i = 0; i < e.items.size(); ++i) {
      if (i > 0) out += ',';
      out += '{';
      append_product(out, e.items[i].product, e.items[i].quantity);
      out += '}';
    }
    out += ']';
  } else if (e.name == kEmailOpened || e.name == kEmailLinkClicked) {
    out += "\"campaign_id\":\"cmp-";
    append_uint(out, e.campaign);
    out += "\",\"email_subject\":\"Offers of the week ";
    append_uint(out, e.campaign);
    out += '"';
    if (e.name == kEmailLinkClicked) out += ",\"link_url\":\"https://shop.example/offers\"";
  }
  out += '}';
}

void append_page_properties(std::string& out, const ShopEvent& e) {
  out += "\"properties\":{\"path\":\"";
  if (e.name == "Home") {
    out += "/";
  } else if (e.name == "Product") {
    out += "/products/p";
    append_uint(out, e.product);
  } else {
    out += "/c/";
    out += product_category(e.product);
  }
  out += "\",\"title\":\"";
  out += e.name;
  out += "\",\"url\":\"https://shop.example/\"}";
}

}  // namespace

int64_t product_price_cents(uint32_t product) {
  // 4.99 to 299.99, skewed towards cheap items like most shops' catalogues.
  const double u = static_cast<double>(mix(product + 1) >> 11) * 0x1.0p-53;
  return 499 + static_cast<int64_t>(u * u * 29'500);
}

std::string_view product_category(uint32_t product) {
  return kCategories[mix(product ^ 0xC0FFEE) % kCategories.size()];
}

std::string_view segment_path(CallType call) {
  switch (call) {
    case CallType::kTrack:
      return "/v1/track";
    case CallType::kPage:
      return "/v1/page";
    case CallType::kIdentify:
      return "/v1/identify";
  }
  return "/v1/track";
}

void append_iso8601(std::string& out, int64_t ms) {
  // Howard Hinnant's civil_from_days.
  int64_t days = ms >= 0 ? ms / 86'400'000 : (ms - 86'399'999) / 86'400'000;
  int64_t rest = ms - days * 86'400'000;
  const int64_t z = days + 719'468;
  const int64_t era = (z >= 0 ? z : z - 146'096) / 146'097;
  const int64_t doe = z - era * 146'097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36'524 - doe / 146'096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  append_padded(out, y, 4);
  out += '-';
  append_padded(out, m, 2);
  out += '-';
  append_padded(out, d, 2);
  out += 'T';
  append_padded(out, rest / 3'600'000, 2);
  rest %= 3'600'000;
  out += ':';
  append_padded(out, rest / 60'000, 2);
  rest %= 60'000;
  out += ':';
  append_padded(out, rest / 1000, 2);
  out += '.';
  append_padded(out, rest % 1000, 3);
  out += 'Z';
}

void append_segment_message(std::string& out, const ShopEvent& e, int64_t timestamp_ms,
                            int64_t sent_at_ms, std::string_view message_id_prefix) {
  out += "{\"type\":\"";
  switch (e.call) {
    case CallType::kTrack:
      out += "track\",";
      append_field(out, "event", e.name);
      out += ',';
      break;
    case CallType::kPage:
      out += "page\",";
      append_field(out, "name", e.name);
      out += ',';
      break;
    case CallType::kIdentify:
      out += "identify\",";
      break;
  }
  out += "\"userId\":\"u";
  append_uint(out, e.customer);
  out += "\",\"messageId\":\"";
  out += message_id_prefix;
  out += '-';
  append_uint(out, e.sequence);
  out += "\",\"timestamp\":\"";
  append_iso8601(out, timestamp_ms);
  out += "\",\"sentAt\":\"";
  append_iso8601(out, sent_at_ms);
  out += "\",\"context\":{\"library\":{\"name\":\"eddy-load\",\"version\":\"0.1.0\"}},";
  switch (e.call) {
    case CallType::kTrack:
      append_properties(out, e, message_id_prefix);
      break;
    case CallType::kPage:
      append_page_properties(out, e);
      break;
    case CallType::kIdentify:
      out += "\"traits\":{\"email\":\"u";
      append_uint(out, e.customer);
      out += "@example.com\",\"first_name\":\"Customer\",\"last_name\":\"";
      append_uint(out, e.customer);
      out += "\"}";
      break;
  }
  out += '}';
}

ShopModel::ShopModel(const ShopModelOptions& options)
    : options_(options),
      customer_dist_(std::max<uint64_t>(options.customers, 1), options.customer_skew),
      product_dist_(std::max<uint32_t>(options.products, 1), options.product_skew),
      rng_state_(mix(options.seed)),
      sessions_(std::max<uint32_t>(options.concurrent_sessions, 1)),
      identified_(std::max<uint64_t>(options.customers, 1), false) {
  // Slots start spread over the first pause, not all at the first millisecond.
  for (uint32_t slot = 0; slot < sessions_.size(); ++slot) {
    sessions_[slot].due_ms = options_.start_ms + exponential_ms(kMeanSessionPauseMs);
    due_.push({sessions_[slot].due_ms, slot});
  }
}

uint64_t ShopModel::next_u64() {
  rng_state_ += 0x9E3779B97F4A7C15ull;  // splitmix64
  return mix(rng_state_);
}

double ShopModel::uniform() {
  return static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
}

int64_t ShopModel::exponential_ms(double mean_ms) {
  return static_cast<int64_t>(-std::log1p(-uniform()) * mean_ms);
}

uint32_t ShopModel::draw_product() {
  return static_cast<uint32_t>(product_dist_(uniform()));
}

uint32_t ShopModel::draw_quantity() {
  const double u = uniform();
  return u < 0.8 ? 1 : u < 0.95 ? 2 : 3;
}

const ShopEvent& ShopModel::next() {
  emitted_ = false;
  while (!emitted_) {
    const Due d = due_.top();
    due_.pop();
    Session& s = sessions_[d.slot];
    switch (s.phase) {
      case Phase::kStart:
        start(s);
        break;
      case Phase::kEmailOpened:
        email_opened(s);
        break;
      case Phase::kLanding:
        landing(s);
        break;
      case Phase::kBrowsing:
        browse(s);
        break;
      case Phase::kCheckout:
        checkout(s);
        break;
    }
    // Each step reschedules its session before returning.
    due_.push({s.due_ms, d.slot});
  }
  return event_;
}

void ShopModel::start(Session& s) {
  s.customer = customer_dist_(uniform());
  s.cart.clear();
  s.last_was_view = false;
  s.identify_pending = false;
  s.checkout_pending = false;
  if (uniform() < kEmailSessionShare) {
    s.campaign = 1 + static_cast<uint32_t>(next_u64() % 20);
    emit_track(s, event_names::kEmailOpened);
    s.phase = Phase::kEmailOpened;
    think(s);
    return;
  }
  landing(s);
}

void ShopModel::email_opened(Session& s) {
  if (uniform() >= kEmailClickRate) return end(s);
  emit_track(s, event_names::kEmailLinkClicked);
  s.phase = Phase::kLanding;
  think(s);
}

void ShopModel::landing(Session& s) {
  const double u = uniform();
  event_.product = 0;
  if (u < 0.4) {
    emit_page(s, "Home");
  } else if (u < 0.7) {
    emit_page(s, "Category");
    event_.product = draw_product();
  } else {
    emit_page(s, "Product");
    event_.product = draw_product();
  }
  s.identify_pending = !identified_[s.customer] && uniform() < kLoginRate;
  s.phase = Phase::kBrowsing;
  think(s);
}

void ShopModel::browse(Session& s) {
  if (s.identify_pending) {
    s.identify_pending = false;
    emit_identify(s);
    return think(s);
  }
  if (s.checkout_pending) {
    s.checkout_pending = false;
    s.order = ++orders_;
    emit_order_event(s, event_names::kCheckoutStarted);
    s.phase = Phase::kCheckout;
    return think(s);
  }
  const bool cart = !s.cart.empty();
  const std::array<double, 6> weights = {
      kViewWeight,
      kPageWeight,
      kEndWeight,
      s.last_was_view ? kAddAfterViewWeight : 0.0,
      cart ? kRemoveWeight : 0.0,
      cart ? kCheckoutWeight : 0.0,
  };
  double total = 0;
  for (double w : weights)
    total += w;
  double pick = uniform() * total;
  size_t choice = 0;
  while (choice + 1 < weights.size() && pick >= weights[choice])
    pick -= weights[choice++];
  switch (choice) {
    case 0:  // view
      s.last_viewed = draw_product();
      emit_track(s, event_names::kProductViewed);
      event_.product = s.last_viewed;
      s.last_was_view = true;
      return think(s);
    case 1:  // browse a category
      emit_page(s, "Category");
      event_.product = draw_product();
      s.last_was_view = false;
      return think(s);
    case 2:
      return end(s);
    case 3: {  // add the product just viewed
      const uint32_t quantity = draw_quantity();
      auto it = std::find_if(s.cart.begin(), s.cart.end(),
                             [&](const LineItem& i) { return i.product == s.last_viewed; });
      if (it == s.cart.end()) {
        s.cart.push_back({s.last_viewed, quantity});
      } else {
        it->quantity += quantity;
      }
      emit_track(s, event_names::kProductAdded);
      event_.product = s.last_viewed;
      event_.quantity = quantity;
      s.last_was_view = false;
      return think(s);
    }
    case 4: {  // remove a line of the cart
      const size_t line = next_u64() % s.cart.size();
      emit_track(s, event_names::kProductRemoved);
      event_.product = s.cart[line].product;
      event_.quantity = s.cart[line].quantity;
      s.cart.erase(s.cart.begin() + static_cast<std::ptrdiff_t>(line));
      s.last_was_view = false;
      return think(s);
    }
    default:  // checkout; a guest gives an email address first
      s.last_was_view = false;
      s.checkout_pending = true;
      if (!identified_[s.customer]) {
        emit_identify(s);
        return think(s);
      }
      return browse(s);
  }
}

void ShopModel::checkout(Session& s) {
  const double u = uniform();
  if (u < kOrderRate) {
    emit_order_event(s, event_names::kOrderCompleted);
    s.cart.clear();
    if (uniform() < kEndAfterOrderRate) return end(s);
    s.phase = Phase::kBrowsing;
    return think(s);
  }
  if (u < kOrderRate + kAbandonRate) return end(s);  // the cart is left behind
  s.phase = Phase::kBrowsing;
  browse(s);
}

void ShopModel::emit_track(Session& s, std::string_view name) {
  event_.call = CallType::kTrack;
  event_.name = name;
  event_.customer = s.customer;
  event_.time_ms = s.due_ms;
  event_.sequence = sequence_++;
  event_.product = 0;
  event_.quantity = 0;
  event_.order = 0;
  event_.revenue_cents = 0;
  event_.items.clear();
  event_.campaign = s.campaign;
  emitted_ = true;
}

void ShopModel::emit_page(Session& s, std::string_view name) {
  emit_track(s, name);
  event_.call = CallType::kPage;
  event_.campaign = 0;
}

void ShopModel::emit_identify(Session& s) {
  emit_track(s, "");
  event_.call = CallType::kIdentify;
  event_.campaign = 0;
  identified_[s.customer] = true;
}

void ShopModel::emit_order_event(Session& s, std::string_view name) {
  emit_track(s, name);
  event_.campaign = 0;
  event_.order = s.order;
  event_.items = s.cart;
  for (const LineItem& i : s.cart) {
    event_.revenue_cents += product_price_cents(i.product) * i.quantity;
  }
}

void ShopModel::think(Session& s) {
  s.due_ms += std::max(kMinThinkMs, exponential_ms(kMeanThinkMs));
}

void ShopModel::end(Session& s) {
  s.phase = Phase::kStart;
  s.campaign = 0;
  s.due_ms += 1 + exponential_ms(kMeanSessionPauseMs);
}

}  // namespace eddy::load
