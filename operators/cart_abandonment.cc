#include "operators/cart_abandonment.h"

#include <algorithm>
#include <boost/json/object.hpp>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>

#include "runtime/event_types.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace eddy {
namespace {

// One timer per key at a time, so one tag.
constexpr uint32_t kTimerTag = 0;
// A snapshot never holds more lines per cart than this; more means the bytes are not ours.
constexpr uint32_t kMaxRestoredLines = 1 << 16;
constexpr std::string_view kTriggerKind = "cart_abandonment";
// The layout of a moved key (move_key_out); merge_key_in refuses any other.
constexpr uint32_t kMoveFormat = 1;

std::optional<int64_t> whole_number(const boost::json::value& v) {
  if (v.is_int64()) return v.as_int64();
  if (v.is_uint64() && v.as_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    return static_cast<int64_t>(v.as_uint64());
  }
  return std::nullopt;
}

// Event times come from clients; arithmetic on them must not overflow whatever they say.
int64_t saturating_add(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) {
    return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
  }
  return r;
}

Status require_type(const OperatorArgs& args, std::string_view name, EventType& out) {
  out = args.types.find(name);
  if (out == EventTypeRegistry::kUnknown) {
    return {Errc::kInvalidArgument,
            "the topology must accept '" + std::string(name) + "' for cart abandonment"};
  }
  return {};
}

std::string trigger_id(std::string_view key, int64_t started, int64_t last_change) {
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  XXH3_64bits_update(&state, kTriggerKind.data(), kTriggerKind.size());
  const char separator = '\0';
  XXH3_64bits_update(&state, &separator, 1);
  XXH3_64bits_update(&state, key.data(), key.size());
  XXH3_64bits_update(&state, &separator, 1);
  XXH3_64bits_update(&state, &started, sizeof started);
  XXH3_64bits_update(&state, &last_change, sizeof last_change);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(XXH3_64bits_digest(&state)));
  return hex;
}

}  // namespace

Result<std::unique_ptr<Operator>> CartAbandonment::create(const OperatorArgs& args) {
  auto op = std::make_unique<CartAbandonment>();
  for (const auto& [name, value] : args.config) {
    if (name == "timeout_ms") {
      const auto ms = whole_number(value);
      if (!ms || *ms <= 0) {
        return {Errc::kInvalidArgument, "'timeout_ms' must be a whole number of milliseconds > 0"};
      }
      op->timeout_ms_ = *ms;
    } else if (name == "max_products") {
      const auto n = whole_number(value);
      if (!n || *n < 1 || *n > kMaxMaxProducts) {
        return {Errc::kInvalidArgument, "'max_products' must be a whole number from 1 to " +
                                            std::to_string(kMaxMaxProducts)};
      }
      op->max_products_ = static_cast<uint32_t>(*n);
    } else {
      return {Errc::kInvalidArgument, "unknown config key '" + std::string(name) +
                                          "' (expected 'timeout_ms', 'max_products')"};
    }
  }
  for (auto [name, id] :
       {std::pair{"Product Added", &op->added_}, std::pair{"Product Removed", &op->removed_},
        std::pair{"Order Completed", &op->ordered_},
        std::pair{"Cart Abandoned", &op->abandoned_}}) {
    if (Status s = require_type(args, name, *id); !s) return s;
  }
  return std::unique_ptr<Operator>(std::move(op));
}

void CartAbandonment::on_new_slot(uint32_t slot) {
  if (slot >= state_.size()) state_.resize(slot + 1);
}

Flow CartAbandonment::on_event(const EventRef& event, Context& ctx) {
  const EventType type = event.type();
  if (type != added_ && type != removed_ && type != ordered_) return Flow::kPass;
  PerKey& k = state_[ctx.slot()];
  if (type == ordered_) {
    on_order(event, ctx, k);
    return Flow::kPass;
  }
  if (!valid_product_event(event, ctx)) return Flow::kDrop;
  if (type == added_) {
    on_add(event, ctx, k);
  } else {
    on_remove(event, ctx, k);
  }
  return Flow::kPass;
}

bool CartAbandonment::valid_product_event(const EventRef& event, Context& ctx) const {
  std::string_view reason;
  if (event.item().empty()) {
    reason = "missing_product_id";
  } else if (event.quantity() <= 0) {
    reason = "non_positive_quantity";
  } else if (event.quantity() > kMaxQuantity) {
    reason = "quantity_too_large";
  } else if (!std::isfinite(event.amount())) {
    reason = "invalid_price";
  } else if (event.amount() < 0) {
    reason = "negative_price";
  }
  if (reason.empty()) return true;
  ctx.reject(event, reason);
  return false;
}

void CartAbandonment::on_add(const EventRef& event, Context& ctx, PerKey& k) {
  const int64_t t = event.time().value();
  if (t <= k.settled_through) return;
  if (!k.cart) {
    k.cart = std::make_unique<Cart>();
    k.cart->started = t;
    k.last_change = t;
    ctx.set_timer(EventTime(due(k)), kTimerTag);
  } else {
    touch(t, ctx, k);
  }
  // The newest price is the one the customer would pay.
  add_to_cart(*k.cart, event.item(), event.quantity(), event.amount(), /*reprice=*/true);
}

void CartAbandonment::add_to_cart(Cart& cart, std::string_view product, int64_t quantity,
                                  double price, bool reprice) const {
  auto it = std::lower_bound(cart.lines.begin(), cart.lines.end(), product,
                             [](const Line& l, std::string_view p) { return l.product < p; });
  if (it != cart.lines.end() && it->product == product) {
    it->quantity += quantity;
    if (reprice) it->price = price;
  } else if (cart.lines.size() < max_products_) {
    cart.lines.insert(it, Line{std::string(product), quantity, price});
  } else {
    cart.untracked_units += quantity;
    cart.untracked_value += price * static_cast<double>(quantity);
  }
}

void CartAbandonment::on_remove(const EventRef& event, Context& ctx, PerKey& k) {
  const int64_t t = event.time().value();
  if (t <= k.settled_through) return;
  if (!k.cart || t < k.cart->started) {
    // No cart held what this removes: the adds it undoes may still be on their way, out of order,
    // and they must not open a cart the customer has emptied since. An open cart that started
    // later is a newer one and keeps its contents.
    k.settled_through = t;
    return;
  }
  Cart& cart = *k.cart;
  const std::string_view product = event.item();
  auto it = std::lower_bound(cart.lines.begin(), cart.lines.end(), product,
                             [](const Line& l, std::string_view p) { return l.product < p; });
  if (it != cart.lines.end() && it->product == product) {
    it->quantity -= event.quantity();
    if (it->quantity <= 0) cart.lines.erase(it);
  } else if (cart.untracked_units > 0) {
    // Most likely one of the products beyond max_products, whose units were counted untracked.
    const int64_t units = std::min(event.quantity(), cart.untracked_units);
    cart.untracked_units -= units;
    cart.untracked_value =
        cart.untracked_units == 0
            ? 0
            : std::max(0.0, cart.untracked_value - event.amount() * static_cast<double>(units));
  }
  if (cart.lines.empty() && cart.untracked_units == 0) {
    close(ctx, k);
    k.last_change = std::max(k.last_change, t);
    k.settled_through = std::max(k.settled_through, t);
    return;
  }
  touch(t, ctx, k);
}

void CartAbandonment::on_order(const EventRef& event, Context& ctx, PerKey& k) {
  const int64_t t = event.time().value();
  if (k.cart && t >= k.cart->started) close(ctx, k);
  k.settled_through = std::max(k.settled_through, t);
}

void CartAbandonment::touch(int64_t t, Context& ctx, PerKey& k) {
  k.cart->started = std::min(k.cart->started, t);
  if (t <= k.last_change) return;
  ctx.cancel_timer(EventTime(due(k)), kTimerTag);
  k.last_change = t;
  ctx.set_timer(EventTime(due(k)), kTimerTag);
}

void CartAbandonment::close(Context& ctx, PerKey& k) {
  ctx.cancel_timer(EventTime(due(k)), kTimerTag);
  k.cart.reset();
}

void CartAbandonment::on_timer(const TimerFiring& timer, Context& ctx) {
  PerKey& k = state_[timer.slot];
  // Every re-arm cancels the timer it replaces, so this only guards against a stale one.
  if (!k.cart || timer.time.value() != due(k)) return;
  emit_abandoned(timer.time, ctx, k);
  ++k.abandoned;
  k.settled_through = std::max(k.settled_through, saturating_add(timer.time.value(), -1));
  k.cart.reset();
}

void CartAbandonment::emit_abandoned(EventTime at, Context& ctx, const PerKey& k) {
  const Totals sum = totals(k);
  std::string products;
  const auto& lines = k.cart->lines;
  for (size_t i = 0; i < lines.size() && i < kMaxListedProducts; ++i) {
    if (i != 0) products.push_back(',');
    products += lines[i].product;
  }
  const std::string id = trigger_id(ctx.key(), k.cart->started, k.last_change);
  const PropDraft props[] = {
      {"items", PropValue::of_int(sum.items)},
      {"units", PropValue::of_int(sum.units)},
      {"value", PropValue::of_double(sum.value)},
      {"products", PropValue::of_string(products)},
      {"cart_started_ms", PropValue::of_int(k.cart->started)},
      {"last_change_ms", PropValue::of_int(k.last_change)},
      {"trigger_id", PropValue::of_string(id)},
  };
  EventDraft d;
  d.type = abandoned_;
  d.time = at;
  d.amount = sum.value;
  d.quantity = sum.units;
  d.props = props;
  ctx.emit(d);
}

int64_t CartAbandonment::due(const PerKey& k) const {
  return saturating_add(k.last_change, timeout_ms_);
}

CartAbandonment::Totals CartAbandonment::totals(const PerKey& k) {
  Totals sum;
  if (!k.cart) return sum;
  sum.items = static_cast<int64_t>(k.cart->lines.size());
  sum.units = k.cart->untracked_units;
  sum.value = k.cart->untracked_value;
  for (const Line& l : k.cart->lines) {
    sum.units += l.quantity;
    sum.value += l.price * static_cast<double>(l.quantity);
  }
  return sum;
}

Status CartAbandonment::declare_features(FeatureCatalog& catalog) {
  using Kind = FeatureValue::Kind;
  const struct {
    const char* path;
    Kind kind;
    FeatureCatalog::Getter get;
  } features[] = {
      {"cart.items", Kind::kNumber,
       [this](uint32_t slot, EventTime) {
         return FeatureValue::of_number(static_cast<double>(totals(state_[slot]).items));
       }},
      {"cart.units", Kind::kNumber,
       [this](uint32_t slot, EventTime) {
         return FeatureValue::of_number(static_cast<double>(totals(state_[slot]).units));
       }},
      {"cart.value", Kind::kNumber,
       [this](uint32_t slot, EventTime) {
         return FeatureValue::of_number(totals(state_[slot]).value);
       }},
      {"cart.open", Kind::kBool,
       [this](uint32_t slot, EventTime) {
         return FeatureValue::of_bool(state_[slot].cart != nullptr);
       }},
  };
  // Cart events change the cart; so does its abandonment, on a timer, after the "Cart Abandoned"
  // it emits has gone by: that change waits for the sweep.
  for (const auto& f : features) {
    if (Status s = catalog.add(f.path, f.kind, f.get, FeatureCatalog::Changes::kAlsoWithTime,
                               {added_, removed_, ordered_});
        !s) {
      return s;
    }
  }
  return {};
}

void CartAbandonment::on_query(uint32_t slot, EventTime /*now*/, boost::json::object& out) const {
  const PerKey& k = state_[slot];
  const Totals sum = totals(k);
  boost::json::object cart;
  cart["open"] = k.cart != nullptr;
  cart["items"] = sum.items;
  cart["units"] = sum.units;
  cart["value"] = sum.value;
  if (k.last_change == INT64_MIN) {
    cart["last_change_ms"] = nullptr;
  } else {
    cart["last_change_ms"] = k.last_change;
  }
  cart["abandoned_count"] = k.abandoned;
  out["cart"] = std::move(cart);
}

void CartAbandonment::snapshot(StateWriter& out) const {
  out.put<uint64_t>(state_.size());
  for (const PerKey& k : state_)
    write_key(out, k);
}

Status CartAbandonment::restore(StateReader& in, uint32_t slot_count) {
  const auto n = in.get<uint64_t>();
  if (!in.ok() || n != slot_count) {
    return {Errc::kCorrupt, "cart state holds " + std::to_string(n) + " keys, expected " +
                                std::to_string(slot_count)};
  }
  std::vector<PerKey> state(n);
  for (PerKey& k : state) {
    if (Status s = read_key(in, k); !s) return s;
  }
  state_ = std::move(state);
  return {};
}

void CartAbandonment::write_key(StateWriter& out, const PerKey& k) {
  out.put<int64_t>(k.last_change);
  out.put<int64_t>(k.settled_through);
  out.put<uint32_t>(k.abandoned);
  out.put<uint8_t>(k.cart ? 1 : 0);
  if (!k.cart) return;
  out.put<int64_t>(k.cart->started);
  out.put<uint32_t>(static_cast<uint32_t>(k.cart->lines.size()));
  for (const Line& l : k.cart->lines) {
    out.put_string(l.product);
    out.put<int64_t>(l.quantity);
    out.put<double>(l.price);
  }
  out.put<int64_t>(k.cart->untracked_units);
  out.put<double>(k.cart->untracked_value);
}

Status CartAbandonment::read_key(StateReader& in, PerKey& k) {
  const Status truncated(Errc::kCorrupt, "cart state is truncated");
  k.last_change = in.get<int64_t>();
  k.settled_through = in.get<int64_t>();
  k.abandoned = in.get<uint32_t>();
  const auto has_cart = in.get<uint8_t>();
  if (!in.ok()) return truncated;
  if (has_cart > 1) return {Errc::kCorrupt, "cart state has a bad cart marker"};
  if (has_cart == 0) return {};
  k.cart = std::make_unique<Cart>();
  k.cart->started = in.get<int64_t>();
  const auto lines = in.get<uint32_t>();
  if (lines > kMaxRestoredLines) return {Errc::kCorrupt, "cart state has an oversized cart"};
  for (uint32_t i = 0; i < lines && in.ok(); ++i) {
    Line l;
    l.product = in.get_string();
    l.quantity = in.get<int64_t>();
    l.price = in.get<double>();
    if (in.ok() && (l.quantity <= 0 ||
                    (!k.cart->lines.empty() && !(k.cart->lines.back().product < l.product)))) {
      return {Errc::kCorrupt, "cart state has a bad cart line"};
    }
    k.cart->lines.push_back(std::move(l));
  }
  k.cart->untracked_units = in.get<int64_t>();
  k.cart->untracked_value = in.get<double>();
  if (!in.ok()) return truncated;
  return {};
}

void CartAbandonment::move_key_out(StateWriter& out, Context& ctx) {
  PerKey& k = state_[ctx.slot()];
  out.put<uint32_t>(kMoveFormat);
  write_key(out, k);
  // The runtime has cancelled the key's timer.
  k = PerKey{};
}

Status CartAbandonment::merge_key_in(StateReader& in, Context& ctx) {
  const auto format = in.get<uint32_t>();
  if (!in.ok()) return {Errc::kCorrupt, "a moved cart is truncated"};
  if (format != kMoveFormat) {
    return {Errc::kCorrupt, "a moved cart has format " + std::to_string(format)};
  }
  PerKey moved;
  if (Status s = read_key(in, moved); !s) return s;
  PerKey& k = state_[ctx.slot()];
  if (k.cart) ctx.cancel_timer(EventTime(due(k)), kTimerTag);
  // Each side's settled-through time settles the other side's cart as an order at that time would.
  settle(moved, k.settled_through);
  settle(k, moved.settled_through);
  merge_cart(k, moved);
  k.last_change = std::max(k.last_change, moved.last_change);
  k.settled_through = std::max(k.settled_through, moved.settled_through);
  k.abandoned += std::min(moved.abandoned, UINT32_MAX - k.abandoned);
  if (k.cart) ctx.set_timer(EventTime(due(k)), kTimerTag);
  return {};
}

void CartAbandonment::settle(PerKey& k, int64_t settled_through) {
  if (k.cart && settled_through >= k.cart->started) k.cart.reset();
}

void CartAbandonment::merge_cart(PerKey& k, PerKey& moved) const {
  if (!moved.cart) return;
  if (!k.cart) {
    k.cart = std::move(moved.cart);
    return;
  }
  // Lines keep no times: the side whose cart changed last is taken to hold the newer prices.
  const bool moved_newer = moved.last_change > k.last_change;
  for (const Line& l : moved.cart->lines)
    add_to_cart(*k.cart, l.product, l.quantity, l.price, moved_newer);
  k.cart->untracked_units += moved.cart->untracked_units;
  k.cart->untracked_value += moved.cart->untracked_value;
  k.cart->started = std::min(k.cart->started, moved.cart->started);
}

size_t CartAbandonment::state_bytes() const {
  size_t bytes = state_.capacity() * sizeof(PerKey);
  for (const PerKey& k : state_) {
    if (!k.cart) continue;
    bytes += sizeof(Cart) + k.cart->lines.capacity() * sizeof(Line);
    for (const Line& l : k.cart->lines) {
      // Ids longer than the small-string buffer live on the heap.
      if (l.product.capacity() > std::string().capacity()) bytes += l.product.capacity() + 1;
    }
  }
  return bytes;
}

}  // namespace eddy
