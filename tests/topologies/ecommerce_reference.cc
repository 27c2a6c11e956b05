#include "tests/topologies/ecommerce_reference.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <set>
#include <sstream>

#include "operators/rfm.h"

namespace eddy::testing {
namespace {

constexpr int64_t kNever = std::numeric_limits<int64_t>::min();
constexpr int64_t kPanes = 28;  // windowed_counters' default
constexpr int64_t kPurchaseWindowMs = 30 * kMillisPerDay;
constexpr size_t kConsiderationViews = 3;
constexpr const char* kTriggerNames[] = {"browse_abandon", "product_revisit", "email_no_click"};

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - (a % b != 0 && (a < 0) != (b < 0) ? 1 : 0);
}

int64_t ceil_div(int64_t a, int64_t b) {
  return -floor_div(-a, b);
}

const std::string* string_prop(const TestEvent& e, const std::string& name) {
  for (const auto& [n, v] : e.string_props) {
    if (n == name) return &v;
  }
  return nullptr;
}

// One session, as the sessionizer's summary describes it.
struct Session {
  int64_t start = 0;
  int64_t end = 0;
  int64_t events = 0;
  int64_t page_views = 0;
  int64_t product_views = 0;
  int64_t cart_adds = 0;
  bool converted = false;
  const std::string* channel = nullptr;
  const std::string* referrer = nullptr;
};

// Events strictly less than a gap apart form one session.
std::vector<Session> sessions_of(const std::vector<TestEvent>& events, int64_t gap) {
  std::vector<Session> out;
  for (const TestEvent& e : events) {
    if (out.empty() || e.time_ms - out.back().end >= gap) {
      Session s;
      s.start = e.time_ms;
      s.channel = string_prop(e, "channel");
      s.referrer = string_prop(e, "referrer");
      out.push_back(s);
    }
    Session& s = out.back();
    s.end = e.time_ms;
    ++s.events;
    s.page_views += e.type == "page" || e.type == "screen";
    s.product_views += e.type == "Product Viewed";
    s.cart_adds += e.type == "Product Added";
    s.converted = s.converted || e.type == "Order Completed";
  }
  return out;
}

boost::json::value summary_json(const Session& s) {
  auto label = [](const std::string* v) -> boost::json::value {
    if (v == nullptr) return nullptr;
    return boost::json::value(*v);
  };
  return boost::json::object{{"start_ms", s.start},
                             {"end_ms", s.end},
                             {"duration_ms", s.end - s.start},
                             {"events", s.events},
                             {"page_views", s.page_views},
                             {"product_views", s.product_views},
                             {"cart_adds", s.cart_adds},
                             {"converted", s.converted},
                             {"channel", label(s.channel)},
                             {"referrer", label(s.referrer)}};
}

// The topology's counters (topologies/ecommerce/ecommerce.cc), from their documented semantics.
struct CounterDef {
  enum class Kind { kCount, kSum, kMaxPerItem, kOpensWithoutClick };
  const char* name;
  const char* type;
  int64_t window_ms;
  Kind kind;
};

constexpr int64_t kWeek = 7 * kMillisPerDay;
const CounterDef kCounters[] = {
    {"product_views_7d", "Product Viewed", kWeek, CounterDef::Kind::kCount},
    {"orders_30d", "Order Completed", 30 * kMillisPerDay, CounterDef::Kind::kCount},
    {"revenue_90d", "Order Completed", 90 * kMillisPerDay, CounterDef::Kind::kSum},
    {"product_page_visits_7d", "Product Viewed", kWeek, CounterDef::Kind::kMaxPerItem},
    {"email_opens_no_click_7d", "Email Opened", kWeek, CounterDef::Kind::kOpensWithoutClick},
};

// A sliding window in panes of ceil(window / 28), aligned to the epoch: the panes that overlap
// (now - window, now] count, and so do those ahead of now. The panes too far behind the newest
// event of the counter for a window holding it were dropped when that event arrived.
double counter_value(const std::vector<TestEvent>& events, const CounterDef& c, int64_t now) {
  const bool opens = c.kind == CounterDef::Kind::kOpensWithoutClick;
  auto counted = [&](const TestEvent& e) {
    return e.type == c.type || (opens && e.type == "Email Link Clicked");
  };
  const int64_t pane = ceil_div(c.window_ms, kPanes);
  const int64_t span = ceil_div(c.window_ms - 1, pane);
  int64_t head = kNever;
  for (const TestEvent& e : events) {
    if (counted(e)) head = std::max(head, floor_div(e.time_ms, pane));
  }
  if (head == kNever) return 0;
  const int64_t from =
      std::max({int64_t{0}, floor_div(now - (c.window_ms - 1), pane), head - span});
  auto live = [&](const TestEvent& e) { return floor_div(e.time_ms, pane) >= from; };

  switch (c.kind) {
    case CounterDef::Kind::kCount:
      return static_cast<double>(std::count_if(
          events.begin(), events.end(), [&](const auto& e) { return counted(e) && live(e); }));
    case CounterDef::Kind::kSum: {
      int64_t cents = 0;
      for (const TestEvent& e : events) {
        if (counted(e) && live(e)) cents += std::llround(e.amount * 100);
      }
      return static_cast<double>(cents) / 100;
    }
    case CounterDef::Kind::kMaxPerItem: {
      std::map<std::string, int64_t> per_item;
      int64_t most = 0;
      for (const TestEvent& e : events) {
        if (counted(e) && live(e)) most = std::max(most, ++per_item[e.item]);
      }
      return static_cast<double>(most);
    }
    case CounterDef::Kind::kOpensWithoutClick: {
      // An open counts unless a click on its campaign followed in its pane or within a window's
      // worth of panes after it.
      const int64_t click_span = ceil_div(c.window_ms, pane);
      int64_t n = 0;
      for (const TestEvent& open : events) {
        if (open.type != c.type || !live(open)) continue;
        const int64_t p = floor_div(open.time_ms, pane);
        const bool clicked = std::any_of(events.begin(), events.end(), [&](const TestEvent& e) {
          const int64_t q = floor_div(e.time_ms, pane);
          return e.type == "Email Link Clicked" && e.item == open.item && q >= p &&
                 q - p <= click_span;
        });
        n += !clicked;
      }
      return static_cast<double>(n);
    }
  }
  return 0;
}

// The lifecycle stage at `now`, by the rules in operators/lifecycle.h.
std::string stage_of(const std::vector<TestEvent>& events, int64_t now, int64_t dormant_after) {
  if (events.empty()) return "";
  int64_t orders = 0;
  int64_t last_order = kNever;
  bool carted = false;
  std::set<std::string> viewed;
  for (const TestEvent& e : events) {
    if (e.type == "Order Completed") {
      ++orders;
      last_order = e.time_ms;
    }
    carted = carted || e.type == "Product Added";
    if (e.type == "Product Viewed") viewed.insert(e.item);
  }
  if (now >= events.back().time_ms + dormant_after) return "dormant";
  if (orders >= 2) return "retention";
  if (orders == 1 && now < last_order + kPurchaseWindowMs) return "purchase";
  if (orders == 1 || carted || viewed.size() >= kConsiderationViews) return "consideration";
  return "awareness";
}

// A feature's value for a segment rule: a number, a string, or missing.
struct Value {
  bool present = false;
  double number = 0;
  std::string text;
};

bool compare(const Value& v, const std::string& op, const std::string& operand) {
  if (!v.present) return false;
  if (operand.front() == '"') {
    const std::string s = operand.substr(1, operand.size() - 2);
    return op == "==" ? v.text == s : op == "!=" ? v.text != s : false;
  }
  const double x = operand == "true" ? 1 : operand == "false" ? 0 : std::stod(operand);
  if (op == "==") return v.number == x;
  if (op == "!=") return v.number != x;
  if (op == "<") return v.number < x;
  if (op == "<=") return v.number <= x;
  if (op == ">") return v.number > x;
  return v.number >= x;
}

// The profile's value at a dotted path ("rfm.m", "counters.orders_30d", "lifecycle"); the
// features a rule reads are the profile's values of the same names.
Value value_at(const boost::json::object& profile, const std::string& path) {
  const boost::json::value* v = nullptr;
  const boost::json::object* o = &profile;
  std::istringstream parts(path);
  for (std::string part; std::getline(parts, part, '.');) {
    if (o == nullptr) return {};
    v = o->if_contains(part);
    if (v == nullptr) return {};
    o = v->if_object();
  }
  Value out;
  out.present = !v->is_null();
  if (v->is_string()) out.text = v->as_string();
  if (v->is_bool()) out.number = v->as_bool() ? 1 : 0;
  if (v->is_number()) out.number = v->to_number<double>();
  return out;
}

// "<path> <op> <operand>" terms joined by " and ".
bool holds(const boost::json::object& profile, const std::string& rule) {
  std::istringstream in(rule);
  std::string path, op, operand, conjunction;
  while (in >> path >> op >> operand) {
    if (!compare(value_at(profile, path), op, operand)) return false;
    in >> conjunction;
  }
  return true;
}

}  // namespace

EcommerceReference::EcommerceReference(EcommerceSettings settings)
    : settings_(std::move(settings)) {}

void EcommerceReference::segment(std::string id, std::string rule) {
  segments_.emplace_back(std::move(id), std::move(rule));
}

void EcommerceReference::run(const std::vector<Step>& steps) {
  for (const Step& s : steps) {
    if (s.kind == Step::Kind::kEvent) on_event(s.event);
    if (s.kind == Step::Kind::kWatermark) on_watermark(s.watermark_ms);
  }
}

std::vector<std::string> EcommerceReference::delivered() const {
  std::vector<std::string> out = delivered_;
  std::sort(out.begin(), out.end());
  return out;
}

void EcommerceReference::deliver(Customer& c, const std::string& key, const std::string& type,
                                 const std::string& trigger) {
  const bool granted = c.said ? c.granted : settings_.marketing_consent == "granted";
  if (!granted) {
    ++c.withheld;
    return;
  }
  delivered_.push_back(key + " " + type + " " + trigger);
}

void EcommerceReference::on_event(const TestEvent& e) {
  Customer& c = customers_[e.key];
  c.events.push_back(e);
  const int64_t t = e.time_ms;

  // The cart (operators/cart_abandonment.h), for in-order input.
  if (e.type == "Order Completed") {
    if (c.cart_open && t >= c.cart_started) {
      c.cart_open = false;
      c.lines.clear();
    }
    c.settled_through = std::max(c.settled_through, t);
  } else if (e.type == "Product Added" && t > c.settled_through) {
    if (!c.cart_open) {
      c.cart_open = true;
      c.cart_started = t;
    }
    c.last_change = std::max(c.last_change, t);
    c.lines[e.item].quantity += e.quantity;
    c.lines[e.item].price = e.amount;
  } else if (e.type == "Product Removed" && t > c.settled_through) {
    if (!c.cart_open) {
      c.settled_through = t;
    } else {
      if (auto it = c.lines.find(e.item); it != c.lines.end()) {
        it->second.quantity -= e.quantity;
        if (it->second.quantity <= 0) c.lines.erase(it);
      }
      c.last_change = std::max(c.last_change, t);
      if (c.lines.empty()) {
        c.cart_open = false;
        c.settled_through = std::max(c.settled_through, t);
      }
    }
  }

  c.stage = stage_of(c.events, t, settings_.dormant_after_ms);
  // Triggers look at the features the event left, with the watermark as "now"; consent changes
  // from the next event on.
  evaluate_triggers(c, e.key, watermark_);

  std::optional<bool> says;
  for (const auto& [name, v] : e.bool_props) {
    if (name == "traits.marketing_consent") says = v;
  }
  if (e.type == "Unsubscribed") says = false;
  if (says) {
    c.said = true;
    c.granted = *says;
    c.changed_ms = t;
  }
  c.next_due = next_due(c);
}

// The earliest time after the watermark at which one of the customer's timers could change
// something: a session closing, the cart's abandonment, the end of a purchase window, dormancy.
// Early is harmless (the step finds nothing to do); late would miss a change.
int64_t EcommerceReference::next_due(const Customer& c) const {
  int64_t due = std::numeric_limits<int64_t>::max();
  auto candidate = [&](int64_t t) {
    if (t > watermark_) due = std::min(due, t);
  };
  if (c.events.empty()) return due;
  if (c.cart_open) candidate(c.last_change + settings_.cart_timeout_ms);
  for (const TestEvent& e : c.events) {
    // Any event may end a session that is still open (the watermark may trail the last few).
    candidate(e.time_ms + settings_.session_gap_ms);
    if (e.type == "Order Completed") candidate(e.time_ms + kPurchaseWindowMs);
  }
  candidate(c.events.back().time_ms + settings_.dormant_after_ms);
  return due;
}

void EcommerceReference::on_watermark(int64_t w) {
  const int64_t previous = watermark_;
  watermark_ = std::max(watermark_, w);
  for (auto& [key, c] : customers_) {
    if (c.next_due > watermark_) continue;
    bool emitted = false;
    // Sessions that no event can join any more close, each emitting its summary.
    for (const Session& s : sessions_of(c.events, settings_.session_gap_ms)) {
      const int64_t closes = s.end + settings_.session_gap_ms;
      emitted = emitted || (closes > previous && closes <= watermark_);
    }
    if (c.cart_open && c.last_change + settings_.cart_timeout_ms <= watermark_) {
      deliver(c, key, "Cart Abandoned", "-");
      ++c.abandoned;
      c.settled_through =
          std::max(c.settled_through, c.last_change + settings_.cart_timeout_ms - 1);
      c.cart_open = false;
      c.lines.clear();
      emitted = true;
    }
    const std::string stage = stage_of(c.events, watermark_, settings_.dormant_after_ms);
    if (stage != c.stage) {
      c.stage = stage;
      emitted = true;
    }
    // What the timers emitted reaches the triggers, which look again with the new watermark.
    if (emitted) evaluate_triggers(c, key, watermark_);
    c.next_due = next_due(c);
  }
}

void EcommerceReference::evaluate_triggers(Customer& c, const std::string& key, int64_t now) {
  const std::vector<Session> sessions = sessions_of(c.events, settings_.session_gap_ms);
  const bool open = !sessions.empty() && sessions.back().end + settings_.session_gap_ms > now;
  const bool condition[] = {
      open && sessions.back().product_views > 5 && !sessions.back().converted,
      counter_value(c.events, kCounters[3], now) > 3,
      counter_value(c.events, kCounters[4], now) >= 1,
  };
  for (size_t i = 0; i < 3; ++i) {
    Customer::Trigger& t = c.triggers[i];
    if (condition[i] && !t.active) {
      ++t.fired;
      deliver(c, key, "Trigger Fired", kTriggerNames[i]);
    }
    t.active = condition[i];
  }
}

EcommerceReference::Orders EcommerceReference::orders(const Customer& c) const {
  Orders r;
  for (const TestEvent& e : c.events) {
    if (e.type != "Order Completed" || e.time_ms <= watermark_ - settings_.rfm_lookback_ms)
      continue;
    ++r.frequency;
    r.cents += std::llround(e.amount * 100);
    r.last = std::max(r.last, e.time_ms);
  }
  return r;
}

// Scores rank a customer among everyone with an order in the window: 1 + floor(5 * below / N),
// `below` counting those strictly lower (an older last-order day, fewer orders, a lower 1% money
// bucket).
boost::json::object EcommerceReference::rfm(const Orders& mine,
                                            const std::vector<Orders>& everyone) const {
  boost::json::object o;
  if (mine.frequency == 0) {
    o["recency_days"] = nullptr;
  } else {
    o["recency_days"] = std::max<int64_t>(0, floor_div(watermark_ - mine.last, kMillisPerDay));
    o["last_order_at_ms"] = mine.last;
  }
  o["frequency"] = mine.frequency;
  o["monetary"] = static_cast<double>(mine.cents) / 100;
  int64_t n = 0, older = 0, fewer = 0, poorer = 0;
  for (const Orders& x : everyone) {
    if (x.frequency == 0) continue;
    ++n;
    older += floor_div(x.last, kMillisPerDay) < floor_div(mine.last, kMillisPerDay);
    fewer += x.frequency < mine.frequency;
    poorer += Rfm::money_bucket(x.cents) < Rfm::money_bucket(mine.cents);
  }
  const auto score = [&](int64_t below) {
    return mine.frequency == 0 ? 0 : static_cast<int>(1 + 5 * below / n);
  };
  o["r"] = score(older);
  o["f"] = score(fewer);
  o["m"] = score(poorer);
  const std::string_view name = Rfm::segment_name(score(older), score(fewer));
  if (name.empty()) {
    o["segment"] = nullptr;
  } else {
    o["segment"] = name;
  }
  return o;
}

std::map<std::string, boost::json::object> EcommerceReference::profiles() const {
  std::vector<Orders> everyone;
  for (const auto& [key, c] : customers_)
    everyone.push_back(orders(c));
  std::map<std::string, boost::json::object> out;
  size_t i = 0;
  for (const auto& [key, c] : customers_) {
    boost::json::object p = profile(c);
    p["rfm"] = rfm(everyone[i++], everyone);
    // Rules with no exit rule and no dwell: membership is the enter rule on the features at the
    // last check, which the script arranges to be the last watermark.
    boost::json::array segments;
    for (const auto& [id, rule] : segments_) {
      if (holds(p, rule)) segments.emplace_back(id);
    }
    std::sort(segments.begin(), segments.end(),
              [](const auto& a, const auto& b) { return a.as_string() < b.as_string(); });
    p["segments"] = std::move(segments);
    out[key] = std::move(p);
  }
  return out;
}

boost::json::object EcommerceReference::profile(const Customer& c) const {
  boost::json::object p;
  const std::vector<Session> sessions = sessions_of(c.events, settings_.session_gap_ms);
  const auto open_from = std::find_if(sessions.begin(), sessions.end(), [&](const Session& s) {
    return s.end + settings_.session_gap_ms > watermark_;
  });
  const int64_t closed = open_from - sessions.begin();
  int64_t duration = 0;
  for (auto s = sessions.begin(); s != open_from; ++s)
    duration += s->end - s->start;
  boost::json::object ss;
  ss["count"] = closed;
  ss["avg_duration_s"] = closed == 0
                             ? boost::json::value(nullptr)
                             : boost::json::value(static_cast<double>(duration) / closed / 1000.0);
  ss["last"] = closed == 0 ? boost::json::value(nullptr) : summary_json(sessions[closed - 1]);
  ss["open"] = sessions.end() - open_from;
  ss["current"] =
      open_from == sessions.end() ? boost::json::value(nullptr) : summary_json(sessions.back());
  p["sessions"] = std::move(ss);

  boost::json::object counters;
  for (const CounterDef& def : kCounters)
    counters[def.name] = counter_value(c.events, def, watermark_);
  p["counters"] = std::move(counters);

  int64_t units = 0;
  double value = 0;
  for (const auto& [item, line] : c.lines) {
    units += line.quantity;
    value += static_cast<double>(line.quantity) * line.price;
  }
  p["cart"] = boost::json::object{
      {"open", c.cart_open},
      {"items", c.lines.size()},
      {"units", units},
      {"value", value},
      {"last_change_ms",
       c.last_change == kNever ? boost::json::value(nullptr) : boost::json::value(c.last_change)},
      {"abandoned_count", c.abandoned}};

  p["lifecycle"] = stage_of(c.events, watermark_, settings_.dormant_after_ms);

  // The newest value of each trait by event time.
  boost::json::object traits;
  for (const TestEvent& e : c.events) {
    for (const auto& [name, v] : e.string_props) {
      if (name.starts_with("traits.")) traits[name.substr(7)] = v;
    }
    for (const auto& [name, v] : e.bool_props) {
      if (name.starts_with("traits.")) traits[name.substr(7)] = v;
    }
  }
  p["traits"] = std::move(traits);

  boost::json::object consent{
      {"marketing", c.said ? c.granted : settings_.marketing_consent == "granted"},
      {"said", c.said},
      {"withheld", c.withheld}};
  if (c.said) consent["changed_ms"] = c.changed_ms;
  p["consent"] = std::move(consent);

  boost::json::object triggers;
  for (size_t i = 0; i < 3; ++i) {
    triggers[kTriggerNames[i]] =
        boost::json::object{{"active", c.triggers[i].active}, {"fired", c.triggers[i].fired}};
  }
  p["triggers"] = std::move(triggers);
  return p;
}

}  // namespace eddy::testing
