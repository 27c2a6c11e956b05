#include "operators/rfm.h"

#include <algorithm>
#include <array>
#include <boost/json/value.hpp>
#include <climits>
#include <cmath>
#include <iterator>
#include <utility>
#include <vector>

#include "runtime/event_types.h"

namespace eddy {

namespace {

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - (a % b != 0 && (a < 0) != (b < 0) ? 1 : 0);
}

// How many customers have each value, as (value, count) sorted by value with no zero counts. The
// merge of every key group's histograms runs once a minute of event time: on a sorted array it is
// one linear pass and a copy is one block, where a tree paid a node per value for both.
class CountByValue {
 public:
  using Entry = std::pair<int64_t, int64_t>;

  void add(int64_t value, int64_t by) {
    auto it = std::lower_bound(entries_.begin(), entries_.end(), value,
                               [](const Entry& e, int64_t v) { return e.first < v; });
    if (it == entries_.end() || it->first != value) it = entries_.insert(it, {value, 0});
    it->second += by;
    if (it->second == 0) entries_.erase(it);
  }

  void merge(const CountByValue& other) {
    std::vector<Entry> out;
    out.reserve(entries_.size() + other.entries_.size());
    auto a = entries_.begin();
    auto b = other.entries_.begin();
    while (a != entries_.end() || b != other.entries_.end()) {
      if (b == other.entries_.end() || (a != entries_.end() && a->first < b->first)) {
        out.push_back(*a++);
      } else if (a == entries_.end() || b->first < a->first) {
        out.push_back(*b++);
      } else {
        const int64_t n = a->second + b->second;
        if (n != 0) out.emplace_back(a->first, n);
        ++a;
        ++b;
      }
    }
    entries_ = std::move(out);
  }

  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

// Where a score steps up: from[k - 2] is the least value scoring k or more (k = 2..5), INT64_MAX
// where no value does. A score is 1 + floor(5 * below / N), below counting the population strictly
// under the value, so it can only rise with the value; four thresholds say it all, which makes
// a score four comparisons and the table small enough to go into every snapshot.
struct ScoreSteps {
  std::array<int64_t, 4> from{kNever, kNever, kNever, kNever};
  static constexpr int64_t kNever = INT64_MAX;

  static ScoreSteps of(const CountByValue& hist, int64_t population) {
    ScoreSteps steps;
    if (population <= 0) return steps;
    int64_t below_next = 0;  // how many lie below (value + 1)
    size_t k = 0;
    for (const auto& [value, n] : hist.entries()) {
      below_next += n;
      // Values are whole numbers, so the least value with `below_next` below it is value + 1.
      while (k < 4 && 1 + 5 * below_next / population >= static_cast<int64_t>(k) + 2) {
        steps.from[k++] = value == INT64_MAX ? kNever : value + 1;
      }
    }
    return steps;
  }
  int score(int64_t value) const {
    int s = 1;
    for (int64_t f : from)
      s += value >= f ? 1 : 0;
    return s;
  }
};

}  // namespace

// The key group's share of the population: how many customers have each last-order day, each
// frequency and each monetary bucket.
class Rfm::Population final : public GlobalAggregate {
 public:
  CountByValue last_day, frequency, money;
  int64_t customers = 0;

  void merge(const GlobalAggregate& other) override {
    const auto& o = static_cast<const Population&>(other);
    last_day.merge(o.last_day);
    frequency.merge(o.frequency);
    money.merge(o.money);
    customers += o.customers;
  }
  std::unique_ptr<GlobalAggregate> clone() const override {
    return std::make_unique<Population>(*this);
  }
};

// The merged population, as where each score steps up. It goes into snapshots: a restored
// instance scores as the one it was copied from until the next merge, instead of scoring everyone
// 0 (and taking them out of segments on RFM) in the meantime.
class Rfm::ScoreTable {
 public:
  ScoreTable() = default;
  explicit ScoreTable(const Population& p)
      : customers(p.customers),
        last_day(ScoreSteps::of(p.last_day, p.customers)),
        frequency(ScoreSteps::of(p.frequency, p.customers)),
        money(ScoreSteps::of(p.money, p.customers)) {}
  int64_t customers = 0;
  ScoreSteps last_day, frequency, money;

  void write(StateWriter& out) const {
    out.put<int64_t>(customers);
    for (const ScoreSteps* steps : {&last_day, &frequency, &money}) {
      for (int64_t f : steps->from)
        out.put<int64_t>(f);
    }
  }
  static std::shared_ptr<const ScoreTable> read(StateReader& in) {
    auto table = std::make_shared<ScoreTable>();
    table->customers = in.get<int64_t>();
    for (ScoreSteps* steps : {&table->last_day, &table->frequency, &table->money}) {
      for (int64_t& f : steps->from)
        f = in.get<int64_t>();
    }
    return table;
  }
};

int32_t Rfm::money_bucket(int64_t cents) {
  if (cents <= 0) return 0;
  // log base 1.01: buckets 1% wide, about 2100 of them up to ten million.
  return 1 +
         static_cast<int32_t>(std::floor(std::log(static_cast<double>(cents)) / std::log(1.01)));
}

std::string_view Rfm::segment_name(int r, int f) {
  if (r < 1 || f < 1) return {};
  if (r <= 2) return f <= 2 ? "Hibernating" : f <= 4 ? "At Risk" : "Cannot Lose Them";
  if (r == 3) return f <= 2 ? "About To Sleep" : f == 3 ? "Need Attention" : "Loyal Customers";
  if (r == 4) return f == 1 ? "Promising" : f <= 3 ? "Potential Loyalists" : "Loyal Customers";
  return f == 1 ? "New Customers" : f <= 3 ? "Potential Loyalists" : "Champions";
}

Result<std::unique_ptr<Operator>> Rfm::create(const OperatorArgs& args) {
  auto op = std::make_unique<Rfm>();
  op->population_ = std::make_unique<Population>();
  if (const auto* v = args.config.if_contains("lookback_ms")) {
    if (!v->is_int64() || v->as_int64() < kMillisPerDay) {
      return {Errc::kInvalidArgument, "'lookback_ms' must be a whole number of at least one day"};
    }
    op->lookback_ms_ = v->as_int64();
  }
  if (const auto* v = args.config.if_contains("max_orders_per_key")) {
    if (!v->is_int64() || v->as_int64() < 1)
      return {Errc::kInvalidArgument, "'max_orders_per_key' must be positive"};
    op->max_orders_ = static_cast<size_t>(v->as_int64());
  }
  std::string_view order_type = "Order Completed";
  if (const auto* v = args.config.if_contains("order_type")) {
    if (!v->is_string()) return {Errc::kInvalidArgument, "'order_type' must be an event name"};
    order_type = v->as_string();
  }
  op->order_type_ = args.types.find(order_type);
  if (op->order_type_ == EventTypeRegistry::kUnknown) {
    return {Errc::kInvalidArgument,
            "event type '" + std::string(order_type) + "' is not accepted by the topology"};
  }
  return std::unique_ptr<Operator>(std::move(op));
}

void Rfm::on_new_slot(uint32_t slot) {
  if (slot >= keys_.size()) keys_.resize(slot + 1);
}

void Rfm::recount(uint32_t slot) {
  PerKey& k = keys_[slot];
  Population& p = *population_;
  if (k.counted) {
    p.last_day.add(k.counted_day, -1);
    p.frequency.add(k.counted_frequency, -1);
    p.money.add(k.counted_bucket, -1);
    --p.customers;
  }
  k.counted = !k.orders.empty();
  if (!k.counted) return;
  k.counted_day = floor_div(k.orders.back().time_ms, kMillisPerDay);
  k.counted_frequency = static_cast<uint32_t>(k.orders.size());
  k.counted_bucket = money_bucket(k.cents);
  p.last_day.add(k.counted_day, 1);
  p.frequency.add(k.counted_frequency, 1);
  p.money.add(k.counted_bucket, 1);
  ++p.customers;
}

void Rfm::expire(uint32_t slot, EventTime now) {
  PerKey& k = keys_[slot];
  const int64_t oldest_kept = now.value() - lookback_ms_;  // an order at exactly this time is out
  size_t gone = 0;
  while (gone < k.orders.size() && k.orders[gone].time_ms <= oldest_kept)
    k.cents -= k.orders[gone++].cents;
  if (gone == 0) return;
  k.orders.erase(k.orders.begin(), k.orders.begin() + static_cast<ptrdiff_t>(gone));
  recount(slot);
}

void Rfm::arm_expiry(uint32_t slot, Context& ctx) {
  const PerKey& k = keys_[slot];
  if (!k.orders.empty()) ctx.set_timer(EventTime(k.orders.front().time_ms + lookback_ms_), 0);
}

Flow Rfm::on_event(const EventRef& event, Context& ctx) {
  if (event.type() != order_type_) return Flow::kPass;
  const double amount = event.amount();
  if (!std::isfinite(amount) || amount < 0) {
    ctx.reject(event, "order_revenue_invalid");
    return Flow::kPass;
  }
  const int64_t now = std::max(ctx.watermark().value(), event.time().value());
  if (event.time().value() <= now - lookback_ms_) {
    ctx.side_output("outside_window", event);
    return Flow::kPass;
  }
  PerKey& k = keys_[ctx.slot()];
  const Order order{event.time().value(), std::llround(amount * 100)};
  auto at = std::upper_bound(k.orders.begin(), k.orders.end(), order.time_ms,
                             [](int64_t t, const Order& o) { return t < o.time_ms; });
  const bool was_oldest = at == k.orders.begin();
  k.orders.insert(at, order);
  k.cents += order.cents;
  if (k.orders.size() > max_orders_) {
    // The oldest goes first: a customer past the cap keeps their most recent orders exactly.
    k.cents -= k.orders.front().cents;
    k.orders.erase(k.orders.begin());
    ctx.side_output("rfm_order_cap", event);
  }
  recount(ctx.slot());
  if (was_oldest) arm_expiry(ctx.slot(), ctx);
  return Flow::kPass;
}

void Rfm::on_timer(const TimerFiring& timer, Context& ctx) {
  expire(timer.slot, timer.time);
  arm_expiry(timer.slot, ctx);
}

std::unique_ptr<GlobalAggregate> Rfm::local_aggregate() const {
  return population_->clone();
}

void Rfm::on_global_aggregate(std::shared_ptr<const GlobalAggregate> merged, EventTime) {
  if (!merged) return;
  // Every instance of the worker receives the same merge; they share one prepared table.
  static thread_local std::weak_ptr<const GlobalAggregate> last_merged;
  static thread_local std::shared_ptr<const ScoreTable> last_table;
  if (last_merged.lock() != merged) {
    last_table = std::make_shared<const ScoreTable>(static_cast<const Population&>(*merged));
    last_merged = merged;
  }
  table_ = last_table;
}

Rfm::Scores Rfm::scores(uint32_t slot) const {
  const PerKey& k = keys_[slot];
  if (!k.counted || !table_ || table_->customers <= 0) return {};
  Scores s;
  s.r = table_->last_day.score(k.counted_day);
  s.f = table_->frequency.score(k.counted_frequency);
  s.m = table_->money.score(k.counted_bucket);
  return s;
}

Status Rfm::declare_features(FeatureCatalog& catalog) {
  using Kind = FeatureValue::Kind;
  // Scores move with everyone's orders at each merge of the population, recency with the days,
  // and orders (the last one too) leave the window by a timer that emits nothing: every feature
  // changes without the customer's events.
  constexpr auto kAges = FeatureCatalog::Changes::kAlsoWithTime;
  auto number = [&](const char* path, auto get) {
    return catalog.add(path, Kind::kNumber,
                       [this, get](uint32_t slot, EventTime now) { return get(slot, now); }, kAges,
                       {order_type_});
  };
  Status s = number("rfm.frequency", [this](uint32_t slot, EventTime) {
    return FeatureValue::of_number(static_cast<double>(keys_[slot].orders.size()));
  });
  if (s)
    s = number("rfm.monetary", [this](uint32_t slot, EventTime) {
      return FeatureValue::of_number(static_cast<double>(keys_[slot].cents) / 100);
    });
  if (s)
    s = number("rfm.recency_days", [this](uint32_t slot, EventTime now) {
      const PerKey& k = keys_[slot];
      if (k.orders.empty()) return FeatureValue::missing();
      return FeatureValue::of_number(
          static_cast<double>(floor_div(now.value() - k.orders.back().time_ms, kMillisPerDay)));
    });
  if (s)
    s = number("last_order_at", [this](uint32_t slot, EventTime) {
      const PerKey& k = keys_[slot];
      return k.orders.empty()
                 ? FeatureValue::missing()
                 : FeatureValue::of_number(static_cast<double>(k.orders.back().time_ms));
    });
  if (s)
    s = number("rfm.r", [this](uint32_t slot, EventTime) {
      return FeatureValue::of_number(scores(slot).r);
    });
  if (s)
    s = number("rfm.f", [this](uint32_t slot, EventTime) {
      return FeatureValue::of_number(scores(slot).f);
    });
  if (s)
    s = number("rfm.m", [this](uint32_t slot, EventTime) {
      return FeatureValue::of_number(scores(slot).m);
    });
  if (s)
    s = catalog.add("rfm.segment", Kind::kString,
                    [this](uint32_t slot, EventTime) {
                      const Scores sc = scores(slot);
                      const std::string_view name = segment_name(sc.r, sc.f);
                      return name.empty() ? FeatureValue::missing() : FeatureValue::of_string(name);
                    },
                    kAges, {order_type_});
  return s;
}

void Rfm::on_query(uint32_t slot, EventTime now, boost::json::object& out) const {
  const PerKey& k = keys_[slot];
  const Scores s = scores(slot);
  boost::json::object rfm;
  if (k.orders.empty()) {
    rfm["recency_days"] = nullptr;
  } else {
    // The watermark trails the newest events (and has no value before the first one), so an
    // order can be newer than `now`: zero days.
    const int64_t last = k.orders.back().time_ms;
    rfm["recency_days"] =
        now.value() <= last ? int64_t{0} : floor_div(now.value() - last, kMillisPerDay);
    rfm["last_order_at_ms"] = k.orders.back().time_ms;
  }
  rfm["frequency"] = k.orders.size();
  rfm["monetary"] = static_cast<double>(k.cents) / 100;
  rfm["r"] = s.r;
  rfm["f"] = s.f;
  rfm["m"] = s.m;
  const std::string_view name = segment_name(s.r, s.f);
  if (name.empty()) {
    rfm["segment"] = nullptr;
  } else {
    rfm["segment"] = name;
  }
  out["rfm"] = std::move(rfm);
}

void Rfm::snapshot(StateWriter& out) const {
  out.put<uint64_t>(keys_.size());
  for (const PerKey& k : keys_) {
    out.put<uint32_t>(static_cast<uint32_t>(k.orders.size()));
    for (const Order& o : k.orders) {
      out.put<int64_t>(o.time_ms);
      out.put<int64_t>(o.cents);
    }
  }
  // Last, so that a snapshot written before the table was kept reads as "no table yet".
  out.put<uint8_t>(table_ ? 1 : 0);
  if (table_) table_->write(out);
}

Status Rfm::restore(StateReader& in, uint32_t slot_count) {
  const auto n = in.get<uint64_t>();
  if (!in.ok() || n != slot_count) return {Errc::kCorrupt, "rfm state does not match the keys"};
  keys_.assign(n, {});
  population_ = std::make_unique<Population>();
  table_.reset();
  for (uint32_t slot = 0; slot < n; ++slot) {
    PerKey& k = keys_[slot];
    const auto orders = in.get<uint32_t>();
    if (orders > max_orders_) return {Errc::kCorrupt, "rfm state holds more orders than the cap"};
    for (uint32_t i = 0; i < orders && in.ok(); ++i) {
      const int64_t t = in.get<int64_t>();
      const int64_t c = in.get<int64_t>();
      k.orders.push_back({t, c});
      k.cents += c;
    }
    if (!in.ok()) return {Errc::kCorrupt, "rfm state is truncated"};
    recount(slot);
  }
  if (!in.at_end() && in.get<uint8_t>() != 0) {
    table_ = ScoreTable::read(in);
    if (!in.ok()) return {Errc::kCorrupt, "rfm score table is truncated"};
  }
  return {};
}

void Rfm::move_key_out(StateWriter& out, Context& ctx) {
  PerKey& k = keys_[ctx.slot()];
  out.put<uint32_t>(static_cast<uint32_t>(k.orders.size()));
  for (const Order& o : k.orders) {
    out.put<int64_t>(o.time_ms);
    out.put<int64_t>(o.cents);
  }
  k.orders.clear();
  recount(ctx.slot());  // takes the key out of the population
  k = PerKey{};
}

Status Rfm::read_moved_orders(StateReader& in, std::vector<Order>& out) const {
  const auto n = in.get<uint32_t>();
  if (!in.ok()) return {Errc::kCorrupt, "a moved key's orders are truncated"};
  if (n > max_orders_) return {Errc::kCorrupt, "a moved key holds more orders than the cap"};
  for (uint32_t i = 0; i < n && in.ok(); ++i) {
    const int64_t t = in.get<int64_t>();
    out.push_back({t, in.get<int64_t>()});
  }
  if (!in.ok()) return {Errc::kCorrupt, "a moved key's orders are truncated"};
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i].cents < 0 || (i > 0 && out[i].time_ms < out[i - 1].time_ms)) {
      return {Errc::kCorrupt, "a moved key's orders are out of order or negative"};
    }
  }
  return {};
}

Status Rfm::merge_key_in(StateReader& in, Context& ctx) {
  std::vector<Order> incoming;
  if (Status s = read_moved_orders(in, incoming); !s) return s;
  PerKey& k = keys_[ctx.slot()];
  std::vector<Order> merged;
  merged.reserve(k.orders.size() + incoming.size());
  // On equal times the surviving key's orders go first, as they would had they arrived first.
  std::merge(k.orders.begin(), k.orders.end(), incoming.begin(), incoming.end(),
             std::back_inserter(merged),
             [](const Order& a, const Order& b) { return a.time_ms < b.time_ms; });
  // The cap keeps the most recent orders and the expiry timers would have taken the old ones.
  size_t first = merged.size() > max_orders_ ? merged.size() - max_orders_ : 0;
  if (ctx.watermark() != kMinEventTime) {
    const int64_t oldest_kept = ctx.watermark().value() - lookback_ms_;
    while (first < merged.size() && merged[first].time_ms <= oldest_kept)
      ++first;
  }
  k.orders.assign(merged.begin() + static_cast<ptrdiff_t>(first), merged.end());
  k.cents = 0;
  for (const Order& o : k.orders)
    k.cents += o.cents;
  recount(ctx.slot());
  arm_expiry(ctx.slot(), ctx);
  return {};
}

}  // namespace eddy
