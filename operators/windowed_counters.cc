#include "operators/windowed_counters.h"

#include <algorithm>
#include <bit>
#include <boost/json/array.hpp>
#include <cctype>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include "runtime/event_types.h"
#include "runtime/key_hash.h"

namespace eddy {
namespace {

constexpr std::string_view kOutsideWindow = "outside_window";
constexpr std::string_view kItemsOverflow = "items_overflow";

constexpr uint32_t kSnapshotVersion = 1;
constexpr uint32_t kMoveVersion = 1;
constexpr size_t kMaxCounters = 64;
constexpr uint32_t kDefaultPanes = 28;
constexpr uint32_t kMaxPanes = 4096;
constexpr uint32_t kDefaultMaxItems = 32;
constexpr uint32_t kMaxMaxItems = 1024;
// Record counts are 16-bit.
constexpr uint64_t kMaxRecords = std::numeric_limits<uint16_t>::max();
// A pane index is 32-bit: with panes of at least a second, times up to 2106 fit.
constexpr int64_t kMinPaneMs = 1000;
constexpr int64_t kMaxEventMs = (int64_t{1} << 32) * kMinPaneMs - 1;
constexpr int64_t kMaxWindowMs = 100 * 365 * kMillisPerDay;
// Beyond this an amount is a mistake, and its cents would come close to int64's range.
constexpr double kMaxAmount = 1e13;
// opens_without_click records: the low 31 bits count opens, the top bit marks a click.
constexpr uint32_t kClickBit = uint32_t{1} << 31;
constexpr uint32_t kOpensMask = kClickBit - 1;

int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

int64_t ceil_div(int64_t a, int64_t b) {
  return -floor_div(-a, b);
}

uint32_t hash32(std::string_view s) {
  return static_cast<uint32_t>(hash_key(s).value());
}

int64_t read_sum(const uint32_t* r) {
  int64_t v;
  std::memcpy(&v, r + 1, sizeof v);
  return v;
}

void write_sum(uint32_t* r, int64_t v) {
  std::memcpy(r + 1, &v, sizeof v);
}

int64_t saturating_add(int64_t a, int64_t b) {
  int64_t out;
  if (__builtin_add_overflow(a, b, &out)) return b > 0 ? INT64_MAX : INT64_MIN;
  return out;
}

// The campaign an email event belongs to: its item, else its "campaign_id" property.
std::optional<uint32_t> campaign_of(const EventRef& event) {
  if (!event.item().empty()) return hash32(event.item());
  const PropValue p = event.prop("campaign_id");
  if (p.kind() == PropKind::kString && !p.as_string().empty()) return hash32(p.as_string());
  if (p.kind() == PropKind::kInt) return hash32(std::to_string(p.as_int()));
  return std::nullopt;
}

using Counter = WindowedCounters::Counter;

// The lowest pane that still overlaps the window ending at `now` (for tumbling windows: the pane
// that is the current window). Before the first watermark nothing has left any window.
int64_t live_from(const Counter& c, EventTime now) {
  if (now == kMinEventTime) return 0;
  const int64_t t = now.value();
  if (c.kind == WindowedCounters::Kind::kTumbling)
    return std::max<int64_t>(0, floor_div(t, c.pane_ms));
  if (t < std::numeric_limits<int64_t>::min() + c.window_ms) return 0;
  return std::max<int64_t>(0, floor_div(t - (c.window_ms - 1), c.pane_ms));
}

// The lowest pane a window holding pane `head` can still overlap: records below it are dead once
// the watermark reaches the newest event, so they need not be kept until then.
int64_t head_floor(const Counter& c, int64_t head) {
  return std::max<int64_t>(0, head - c.span);
}

uint32_t record_pane(const uint32_t* r) {
  return r[0];
}
uint32_t record_item(const Counter& c, const uint32_t* r) {
  return c.by_item ? r[1] : 0;
}
uint32_t record_word(const Counter& c, const uint32_t* r) {
  return r[c.width - 1];
}

// Adds `value` (cents, a count, or an opens_without_click word) to an existing record.
void accumulate(const Counter& c, uint32_t* rec, int64_t value) {
  if (c.aggregate == WindowedCounters::Aggregate::kSum) {
    write_sum(rec, saturating_add(read_sum(rec), value));
  } else if (c.kind == WindowedCounters::Kind::kOpensWithoutClick) {
    const uint32_t word = rec[c.width - 1];
    const uint64_t opens =
        std::min<uint64_t>(kOpensMask, uint64_t{word & kOpensMask} + (value & kOpensMask));
    rec[c.width - 1] = static_cast<uint32_t>(opens) | (word & kClickBit) |
                       (static_cast<uint32_t>(value) & kClickBit);
  } else {
    const uint64_t count = uint64_t{rec[c.width - 1]} + static_cast<uint64_t>(value);
    rec[c.width - 1] = static_cast<uint32_t>(std::min<uint64_t>(count, UINT32_MAX));
  }
}

Result<int64_t> whole_number(const boost::json::object& o, std::string_view key,
                             const std::string& where) {
  const boost::json::value& v = o.at(key);
  if (v.is_int64()) return v.as_int64();
  if (v.is_uint64() && v.as_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    return static_cast<int64_t>(v.as_uint64());
  }
  return {Errc::kInvalidArgument, where + ": '" + std::string(key) + "' must be a whole number"};
}

bool valid_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_';
  });
}

Result<EventType> event_type(const boost::json::object& o, std::string_view key,
                             std::string_view fallback, const EventTypeRegistry& types,
                             const std::string& where) {
  std::string name(fallback);
  if (const auto* v = o.if_contains(key)) {
    if (!v->is_string() || v->as_string().empty()) {
      return {Errc::kInvalidArgument, where + ": '" + std::string(key) + "' must be an event name"};
    }
    name = v->as_string();
  }
  if (name.empty())
    return {Errc::kInvalidArgument, where + ": '" + std::string(key) + "' is required"};
  const EventType id = types.find(name);
  if (id == EventTypeRegistry::kUnknown) {
    return {Errc::kInvalidArgument,
            where + ": event type '" + name + "' is not accepted by the topology"};
  }
  return id;
}

Result<Counter> parse_counter(const boost::json::value& v, const EventTypeRegistry& types) {
  using Kind = WindowedCounters::Kind;
  using Aggregate = WindowedCounters::Aggregate;
  if (!v.is_object()) return {Errc::kInvalidArgument, "every counter must be an object"};
  const auto& o = v.as_object();
  Counter c;
  const auto* name = o.if_contains("name");
  if (name == nullptr || !name->is_string() || !valid_name(name->as_string())) {
    return {Errc::kInvalidArgument,
            "every counter needs a 'name' of letters, digits and '_', not starting with a digit"};
  }
  c.name = name->as_string();
  const std::string where = "counter '" + c.name + "'";
  static const std::set<std::string_view> kKeys = {"name",      "kind",      "type",  "click_type",
                                                   "window_ms", "aggregate", "panes", "max_items"};
  for (const auto& kv : o) {
    if (!kKeys.contains(kv.key())) {
      return {Errc::kInvalidArgument, where + ": unknown setting '" + std::string(kv.key()) + "'"};
    }
  }

  if (const auto* kind = o.if_contains("kind")) {
    const std::string_view k = kind->is_string() ? std::string_view(kind->as_string()) : "";
    if (k == "sliding") {
      c.kind = Kind::kSliding;
    } else if (k == "tumbling") {
      c.kind = Kind::kTumbling;
    } else if (k == "opens_without_click") {
      c.kind = Kind::kOpensWithoutClick;
    } else {
      return {Errc::kInvalidArgument,
              where + ": 'kind' must be \"sliding\", \"tumbling\" or \"opens_without_click\""};
    }
  }
  if (const auto* agg = o.if_contains("aggregate")) {
    const std::string_view a = agg->is_string() ? std::string_view(agg->as_string()) : "";
    if (a == "count") {
      c.aggregate = Aggregate::kCount;
    } else if (a == "sum") {
      c.aggregate = Aggregate::kSum;
    } else if (a == "max_per_item") {
      c.aggregate = Aggregate::kMaxPerItem;
    } else {
      return {Errc::kInvalidArgument,
              where + ": 'aggregate' must be \"count\", \"sum\" or \"max_per_item\""};
    }
  }
  const bool owc = c.kind == Kind::kOpensWithoutClick;
  if (owc && c.aggregate != Aggregate::kCount) {
    return {Errc::kInvalidArgument,
            where + ": opens_without_click counts; it takes no 'aggregate'"};
  }

  auto type = event_type(o, "type", owc ? "Email Opened" : "", types, where);
  if (!type) return type.status();
  c.type = *type;
  if (owc) {
    auto click = event_type(o, "click_type", "Email Link Clicked", types, where);
    if (!click) return click.status();
    c.click_type = *click;
    if (c.click_type == c.type) {
      return {Errc::kInvalidArgument, where + ": 'type' and 'click_type' must differ"};
    }
  } else if (o.contains("click_type")) {
    return {Errc::kInvalidArgument, where + ": 'click_type' is for opens_without_click only"};
  }

  if (!o.contains("window_ms"))
    return {Errc::kInvalidArgument, where + ": 'window_ms' is required"};
  auto window = whole_number(o, "window_ms", where);
  if (!window) return window.status();
  if (*window < kMinPaneMs || *window > kMaxWindowMs) {
    return {Errc::kInvalidArgument, where + ": 'window_ms' must be between 1000 (a second) and " +
                                        std::to_string(kMaxWindowMs) + " (100 years)"};
  }
  c.window_ms = *window;

  if (c.kind == Kind::kTumbling) {
    if (o.contains("panes")) {
      return {Errc::kInvalidArgument, where +
                                          ": a tumbling window is one pane; 'panes' is for "
                                          "sliding windows"};
    }
    c.panes = 1;
    c.pane_ms = c.window_ms;
    c.span = 1;  // the current window and the next one (events ahead of the watermark)
  } else {
    int64_t panes = kDefaultPanes;
    if (o.contains("panes")) {
      auto p = whole_number(o, "panes", where);
      if (!p) return p.status();
      panes = *p;
    }
    if (panes < 1 || panes > kMaxPanes) {
      return {Errc::kInvalidArgument,
              where + ": 'panes' must be between 1 and " + std::to_string(kMaxPanes)};
    }
    c.panes = static_cast<uint32_t>(panes);
    c.pane_ms = ceil_div(c.window_ms, panes);
    if (c.pane_ms < kMinPaneMs) {
      return {Errc::kInvalidArgument,
              where + ": panes must be at least a second wide (window_ms / panes >= 1000)"};
    }
    c.span = static_cast<uint32_t>(ceil_div(c.window_ms - 1, c.pane_ms));
  }

  c.by_item = owc || c.aggregate == Aggregate::kMaxPerItem;
  if (c.by_item) {
    int64_t max_items = kDefaultMaxItems;
    if (o.contains("max_items")) {
      auto m = whole_number(o, "max_items", where);
      if (!m) return m.status();
      max_items = *m;
    }
    if (max_items < 1 || max_items > kMaxMaxItems) {
      return {Errc::kInvalidArgument,
              where + ": 'max_items' must be between 1 and " + std::to_string(kMaxMaxItems)};
    }
    c.max_items = static_cast<uint32_t>(max_items);
  } else if (o.contains("max_items")) {
    return {Errc::kInvalidArgument,
            where + ": 'max_items' is for max_per_item and opens_without_click only"};
  }
  const uint64_t most = uint64_t{c.span + 1} * (c.by_item ? c.max_items : 1);
  if (most > kMaxRecords) {
    return {Errc::kInvalidArgument, where + ": panes x max_items is too large (at most " +
                                        std::to_string(kMaxRecords) + " records per customer)"};
  }
  c.width = (c.by_item || c.aggregate == Aggregate::kSum) ? 3 : 2;
  return c;
}

uint64_t max_records(const Counter& c) {
  return uint64_t{c.span + 1} * (c.by_item ? c.max_items : 1);
}

// Records of a cell are ordered by item, then pane (the order add keeps).
std::pair<uint32_t, uint32_t> record_key(const Counter& c, const uint32_t* r) {
  return {record_item(c, r), record_pane(r)};
}

// What a record adds to another of the same pane and item.
int64_t record_value(const Counter& c, const uint32_t* r) {
  return c.aggregate == WindowedCounters::Aggregate::kSum ? read_sum(r) : int64_t{r[c.width - 1]};
}

Status truncated() {
  return {Errc::kCorrupt, "windowed counters state is truncated"};
}

// One cell's records as write_cell wrote them, checked to be in cell order.
Status read_records(StateReader& in, const Counter& c, std::vector<uint32_t>& out) {
  const auto n = in.get<uint16_t>();
  if (!in.ok()) return truncated();
  if (n > max_records(c)) {
    return {Errc::kCorrupt, "counter '" + c.name + "' holds more records than it can make"};
  }
  out.resize(size_t{n} * c.width);
  for (uint32_t& w : out)
    w = in.get<uint32_t>();
  if (!in.ok()) return truncated();
  for (size_t i = c.width; i < out.size(); i += c.width) {
    if (!(record_key(c, &out[i - c.width]) < record_key(c, &out[i]))) {
      return {Errc::kCorrupt, "counter '" + c.name + "' holds records out of order"};
    }
  }
  return {};
}

// The union of two cells' records in cell order, records of one pane and item added together.
std::vector<uint32_t> merge_records(const Counter& c, const uint32_t* a, size_t a_words,
                                    const std::vector<uint32_t>& b) {
  std::vector<uint32_t> out;
  out.reserve(a_words + b.size());
  size_t i = 0;
  size_t j = 0;
  while (i < a_words || j < b.size()) {
    const bool take_a =
        j == b.size() || (i < a_words && !(record_key(c, &b[j]) < record_key(c, a + i)));
    const uint32_t* from = take_a ? a + i : &b[j];
    out.insert(out.end(), from, from + c.width);
    const bool same = take_a && j < b.size() && record_key(c, a + i) == record_key(c, &b[j]);
    if (same) accumulate(c, &out[out.size() - c.width], record_value(c, &b[j]));
    if (take_a) i += c.width;
    if (!take_a || same) j += c.width;
  }
  return out;
}

// Drops the records an event stream ending at `now` would have pruned: panes the window has left,
// and panes too far behind the newest one to share a window with it.
void drop_dead(const Counter& c, std::vector<uint32_t>& r, EventTime now) {
  int64_t head = 0;
  for (size_t i = 0; i < r.size(); i += c.width)
    head = std::max<int64_t>(head, record_pane(&r[i]));
  const int64_t keep_from = std::max(live_from(c, now), head_floor(c, head));
  size_t kept = 0;
  for (size_t i = 0; i < r.size(); i += c.width) {
    if (record_pane(&r[i]) < keep_from) continue;
    std::copy_n(r.begin() + static_cast<ptrdiff_t>(i), c.width,
                r.begin() + static_cast<ptrdiff_t>(kept));
    kept += c.width;
  }
  r.resize(kept);
}

// Forgets the least recently seen items beyond max_items, with bound_items' tie rule.
void drop_stale_items(const Counter& c, std::vector<uint32_t>& r) {
  std::map<uint32_t, uint32_t> newest;  // item -> newest pane
  for (size_t i = 0; i < r.size(); i += c.width) {
    uint32_t& n = newest[record_item(c, &r[i])];
    n = std::max(n, record_pane(&r[i]));
  }
  if (newest.size() <= c.max_items) return;
  std::vector<std::pair<uint32_t, uint32_t>> by_recency;  // (newest pane, item)
  for (const auto& [item, pane] : newest)
    by_recency.emplace_back(pane, item);
  // Most recent first; of equal recency the smaller hash stays, as bound_items decides.
  std::sort(by_recency.begin(), by_recency.end(), [](const auto& x, const auto& y) {
    return x.first != y.first ? x.first > y.first : x.second < y.second;
  });
  std::set<uint32_t> forgotten;
  for (size_t k = c.max_items; k < by_recency.size(); ++k)
    forgotten.insert(by_recency[k].second);
  std::vector<uint32_t> kept;
  for (size_t i = 0; i < r.size(); i += c.width) {
    if (!forgotten.contains(record_item(c, &r[i])))
      kept.insert(kept.end(), r.begin() + static_cast<ptrdiff_t>(i),
                  r.begin() + static_cast<ptrdiff_t>(i + c.width));
  }
  r = std::move(kept);
}

}  // namespace

Result<std::unique_ptr<Operator>> WindowedCounters::create(const OperatorArgs& args) {
  for (const auto& kv : args.config) {
    if (kv.key() != "counters") {
      return {Errc::kInvalidArgument, "unknown setting '" + std::string(kv.key()) + "'"};
    }
  }
  const auto* list = args.config.if_contains("counters");
  if (list == nullptr || !list->is_array() || list->as_array().empty()) {
    return {Errc::kInvalidArgument, "'counters' must be a non-empty list of counters"};
  }
  if (list->as_array().size() > kMaxCounters) {
    return {Errc::kInvalidArgument,
            "at most " + std::to_string(kMaxCounters) + " counters per operator"};
  }
  auto op = std::make_unique<WindowedCounters>();
  std::set<std::string, std::less<>> names;
  for (const auto& v : list->as_array()) {
    auto c = parse_counter(v, args.types);
    if (!c) return c.status();
    if (!names.insert(c->name).second) {
      return {Errc::kInvalidArgument, "counter '" + c->name + "' is declared twice"};
    }
    op->counters_.push_back(std::move(c).value());
  }
  return std::unique_ptr<Operator>(std::move(op));
}

uint32_t WindowedCounters::Arena::class_for(uint32_t records) {
  if (records <= 3) return records;
  // 2^(b-1) < records <= 2^b: the class is 1.5 * 2^(b-1) if that holds them, else 2^b.
  const auto b = static_cast<uint32_t>(std::bit_width(records - 1));
  return records <= 3u << (b - 2) ? 2 * b - 1 : 2 * b;
}

uint32_t WindowedCounters::Arena::capacity(uint32_t size_class) {
  if (size_class <= 3) return size_class;
  const uint32_t base = 1u << ((size_class - 4) / 2 + 2);
  return (size_class - 4) % 2 == 0 ? base : base + base / 2;
}

uint32_t WindowedCounters::Arena::allocate(uint32_t size_class, uint32_t width) {
  const uint32_t words = capacity(size_class) * width;
  auto& free = free_[size_class * kWidths + width];
  if (!free.empty()) {
    const uint32_t offset = free.back();
    free.pop_back();
    free_words_ -= words;
    return offset;
  }
  const auto offset = static_cast<uint32_t>(words_.size());
  words_.resize(words_.size() + words);
  return offset;
}

void WindowedCounters::Arena::release(uint32_t offset, uint32_t size_class, uint32_t width) {
  free_[size_class * kWidths + width].push_back(offset);
  free_words_ += capacity(size_class) * width;
}

WindowedCounters::StateBytes WindowedCounters::Arena::bytes() const {
  StateBytes b;
  b.used = (words_.size() - free_words_) * sizeof(uint32_t);
  b.capacity = words_.capacity() * sizeof(uint32_t);
  for (const auto& f : free_)
    b.capacity += f.capacity() * sizeof(uint32_t);
  return b;
}

void WindowedCounters::Arena::clear() {
  words_.clear();
  for (auto& f : free_)
    f.clear();
  free_words_ = 0;
}

void WindowedCounters::on_new_slot(uint32_t slot) {
  const size_t cells = (size_t{slot} + 1) * counters_.size();
  if (cells > sizes_.size()) {
    offsets_.resize(cells, 0);
    sizes_.resize(cells, 0);
  }
}

Flow WindowedCounters::on_event(const EventRef& event, Context& ctx) {
  watermark_ = std::max(watermark_, ctx.watermark());
  bool outside = false;
  bool overflow = false;
  std::string_view reason;
  const int64_t t = event.time().value();
  for (size_t i = 0; i < counters_.size(); ++i) {
    const Counter& c = counters_[i];
    if (!reads(c, event.type())) continue;
    if (t < 0 || t > kMaxEventMs) {
      ctx.reject(event, "time_out_of_range");
      return Flow::kPass;
    }
    const Applied a = apply(i, event, ctx.slot(), ctx.watermark());
    outside |= a.outcome == Outcome::kOutsideWindow;
    overflow |= a.outcome == Outcome::kItemsOverflow;
    if (a.outcome == Outcome::kRejected && reason.empty()) reason = a.reason;
  }
  if (!reason.empty()) ctx.reject(event, reason);
  if (outside) ctx.side_output(kOutsideWindow, event);
  if (overflow) ctx.side_output(kItemsOverflow, event);
  return Flow::kPass;
}

WindowedCounters::Applied WindowedCounters::apply(size_t index, const EventRef& event,
                                                  uint32_t slot, EventTime now) {
  const Counter& c = counters_[index];
  uint32_t item = 0;
  int64_t value = 1;
  if (c.aggregate == Aggregate::kSum) {
    const double amount = event.amount();
    if (!std::isfinite(amount) || amount > kMaxAmount || amount < -kMaxAmount) {
      return {Outcome::kRejected, "invalid_amount"};
    }
    if (amount < 0) return {Outcome::kRejected, "negative_amount"};
    value = std::llround(amount * 100);
  } else if (c.aggregate == Aggregate::kMaxPerItem) {
    if (event.item().empty()) return {Outcome::kRejected, "missing_item"};
    item = hash32(event.item());
  }
  if (c.kind == Kind::kOpensWithoutClick) {
    const auto campaign = campaign_of(event);
    if (!campaign) return {Outcome::kRejected, "missing_campaign_id"};
    item = *campaign;
    value = event.type() == c.click_type ? kClickBit : 1;
  }

  const size_t cl = cell(slot, index);
  const int64_t pane = event.time().value() / c.pane_ms;
  int64_t head = pane;
  const uint32_t* r = records(cl);
  for (uint32_t i = 0; i < sizes_[cl]; ++i)
    head = std::max<int64_t>(head, record_pane(r + i * c.width));
  const int64_t keep_from = std::max(live_from(c, now), head_floor(c, head));
  prune(cl, c, keep_from);
  if (pane < keep_from) return {Outcome::kOutsideWindow, {}};
  add(cl, c, static_cast<uint32_t>(pane), item, value);
  if (c.by_item && !bound_items(cl, c, item)) return {Outcome::kItemsOverflow, {}};
  return {Outcome::kCounted, {}};
}

void WindowedCounters::add(size_t cl, const Counter& c, uint32_t pane, uint32_t item,
                           int64_t value) {
  const uint32_t n = sizes_[cl];
  const auto key = std::make_pair(item, pane);
  auto key_at = [&](uint32_t i) {
    const uint32_t* rec = records(cl) + i * c.width;
    return std::make_pair(record_item(c, rec), record_pane(rec));
  };
  uint32_t pos = 0;
  while (pos < n && key_at(pos) < key)
    ++pos;
  if (pos < n && key_at(pos) == key) {
    accumulate(c, records(cl) + pos * c.width, value);
    return;
  }
  resize(cl, c, n + 1);
  uint32_t* r = records(cl);
  std::memmove(r + (pos + 1) * c.width, r + pos * c.width, (n - pos) * c.width * sizeof(uint32_t));
  uint32_t* rec = r + pos * c.width;
  rec[0] = pane;
  if (c.by_item) rec[1] = item;
  if (c.aggregate == Aggregate::kSum) {
    write_sum(rec, value);
  } else {
    rec[c.width - 1] = static_cast<uint32_t>(value);
  }
}

void WindowedCounters::prune(size_t cl, const Counter& c, int64_t keep_from) {
  const uint32_t n = sizes_[cl];
  uint32_t* r = records(cl);
  uint32_t kept = 0;
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t* rec = r + i * c.width;
    if (record_pane(rec) < keep_from) continue;
    if (kept != i) std::memmove(r + kept * c.width, rec, c.width * sizeof(uint32_t));
    ++kept;
  }
  if (kept != n) resize(cl, c, kept);
}

bool WindowedCounters::bound_items(size_t cl, const Counter& c, uint32_t item) {
  // Records are grouped by item: count the groups and find the one seen least recently.
  const uint32_t n = sizes_[cl];
  const uint32_t* r = records(cl);
  uint32_t items = 0;
  uint32_t victim = 0;
  uint32_t victim_newest = 0;
  for (uint32_t i = 0; i < n;) {
    const uint32_t id = record_item(c, r + i * c.width);
    uint32_t newest = 0;
    for (; i < n && record_item(c, r + i * c.width) == id; ++i) {
      newest = std::max(newest, record_pane(r + i * c.width));
    }
    // Ties go to the larger hash: arbitrary but fixed, so every run forgets the same item.
    if (items == 0 || newest < victim_newest || (newest == victim_newest && id > victim)) {
      victim = id;
      victim_newest = newest;
    }
    ++items;
  }
  if (items <= c.max_items) return true;
  erase_item(cl, c, victim);
  return victim != item;
}

void WindowedCounters::erase_item(size_t cl, const Counter& c, uint32_t item) {
  const uint32_t n = sizes_[cl];
  uint32_t* r = records(cl);
  uint32_t kept = 0;
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t* rec = r + i * c.width;
    if (record_item(c, rec) == item) continue;
    if (kept != i) std::memmove(r + kept * c.width, rec, c.width * sizeof(uint32_t));
    ++kept;
  }
  resize(cl, c, kept);
}

void WindowedCounters::resize(size_t cl, const Counter& c, uint32_t n) {
  const uint32_t old_n = sizes_[cl];
  const uint32_t old_class = Arena::class_for(old_n);
  const uint32_t new_class = Arena::class_for(n);
  if (old_class != new_class) {
    // Allocating may move the arena: take offsets, not pointers, across it.
    const uint32_t to = new_class == 0 ? 0 : arena_.allocate(new_class, c.width);
    const uint32_t keep = std::min(old_n, n) * c.width;
    if (keep != 0) std::memcpy(arena_.at(to), arena_.at(offsets_[cl]), keep * sizeof(uint32_t));
    if (old_class != 0) arena_.release(offsets_[cl], old_class, c.width);
    offsets_[cl] = to;
  }
  sizes_[cl] = static_cast<uint16_t>(n);
}

double WindowedCounters::value(uint32_t slot, size_t index, EventTime now) const {
  const Counter& c = counters_[index];
  const size_t cl = cell(slot, index);
  if (cl >= sizes_.size() || sizes_[cl] == 0) return 0;
  const uint32_t n = sizes_[cl];
  const uint32_t* r = records(cl);
  int64_t from = live_from(c, now);
  int64_t to = std::numeric_limits<int64_t>::max();
  if (c.kind == Kind::kTumbling) {
    if (now == kMinEventTime) {
      from = 0;
      for (uint32_t i = 0; i < n; ++i)
        from = std::max<int64_t>(from, record_pane(r + i * c.width));
    }
    to = from;
  }
  auto live = [&](const uint32_t* rec) {
    const int64_t p = record_pane(rec);
    return p >= from && p <= to;
  };

  if (!c.by_item) {
    int64_t total = 0;
    for (uint32_t i = 0; i < n; ++i) {
      const uint32_t* rec = r + i * c.width;
      if (!live(rec)) continue;
      total = saturating_add(
          total, c.aggregate == Aggregate::kSum ? read_sum(rec) : int64_t{rec[c.width - 1]});
    }
    return c.aggregate == Aggregate::kSum ? static_cast<double>(total) / 100.0
                                          : static_cast<double>(total);
  }

  // Per item, records are in pane order.
  const int64_t click_span = ceil_div(c.window_ms, c.pane_ms);
  int64_t result = 0;
  for (uint32_t first = 0; first < n;) {
    const uint32_t id = record_item(c, r + first * c.width);
    uint32_t end = first;
    while (end < n && record_item(c, r + end * c.width) == id)
      ++end;
    int64_t item_total = 0;
    for (uint32_t i = first; i < end; ++i) {
      const uint32_t* rec = r + i * c.width;
      if (!live(rec)) continue;
      const uint32_t word = record_word(c, rec);
      if (c.kind != Kind::kOpensWithoutClick) {
        item_total += word;
        continue;
      }
      if ((word & kOpensMask) == 0) continue;
      bool clicked = false;
      for (uint32_t j = i; j < end && !clicked; ++j) {
        const uint32_t* later = r + j * c.width;
        clicked = (record_word(c, later) & kClickBit) != 0 &&
                  int64_t{record_pane(later)} - record_pane(rec) <= click_span;
      }
      if (!clicked) item_total += word & kOpensMask;
    }
    result =
        c.kind == Kind::kOpensWithoutClick ? result + item_total : std::max(result, item_total);
    first = end;
  }
  return static_cast<double>(result);
}

void WindowedCounters::on_query(uint32_t slot, EventTime now, boost::json::object& out) const {
  auto it = out.find("counters");
  if (it == out.end() || !it->value().is_object()) {
    out["counters"] = boost::json::object();
    it = out.find("counters");
  }
  boost::json::object& counters = it->value().as_object();
  for (size_t i = 0; i < counters_.size(); ++i) {
    const double v = value(slot, i, std::max(now, watermark_));
    if (counters_[i].aggregate == Aggregate::kSum) {
      counters[counters_[i].name] = v;
    } else {
      counters[counters_[i].name] = static_cast<int64_t>(v);
    }
  }
}

std::vector<EventType> WindowedCounters::read_types(const Counter& c) {
  if (c.kind == Kind::kOpensWithoutClick) return {c.type, c.click_type};
  return {c.type};
}

Status WindowedCounters::declare_features(FeatureCatalog& catalog) {
  for (size_t i = 0; i < counters_.size(); ++i) {
    // Counts fall as their panes leave the window, with no event of the key.
    Status s = catalog.add(
        "counters." + counters_[i].name, FeatureValue::Kind::kNumber,
        [this, i](uint32_t slot, EventTime now) {
          return FeatureValue::of_number(value(slot, i, now));
        },
        FeatureCatalog::Changes::kAlsoWithTime, read_types(counters_[i]));
    if (!s) return s;
  }
  return {};
}

void WindowedCounters::on_watermark(EventTime watermark, KeyVisitor& /*keys*/) {
  watermark_ = std::max(watermark_, watermark);
}

WindowedCounters::StateBytes WindowedCounters::state_bytes() const {
  StateBytes b = arena_.bytes();
  b.used += offsets_.size() * sizeof(uint32_t) + sizes_.size() * sizeof(uint16_t);
  b.capacity += offsets_.capacity() * sizeof(uint32_t) + sizes_.capacity() * sizeof(uint16_t);
  return b;
}

void WindowedCounters::write_layout(StateWriter& out) const {
  out.put<uint32_t>(static_cast<uint32_t>(counters_.size()));
  for (const Counter& c : counters_) {
    // Enough of the configuration that records cannot be read under a different layout.
    out.put<uint8_t>(static_cast<uint8_t>(c.kind));
    out.put<uint8_t>(static_cast<uint8_t>(c.aggregate));
    out.put<int64_t>(c.pane_ms);
    out.put<uint32_t>(c.span);
    out.put<uint32_t>(c.max_items);
  }
}

Status WindowedCounters::check_layout(StateReader& in) const {
  const auto count = in.get<uint32_t>();
  if (!in.ok()) return truncated();
  if (count != counters_.size()) {
    return {Errc::kCorrupt, "windowed counters state holds " + std::to_string(count) +
                                " counters, the topology declares " +
                                std::to_string(counters_.size())};
  }
  for (const Counter& c : counters_) {
    const auto kind = in.get<uint8_t>();
    const auto aggregate = in.get<uint8_t>();
    const auto pane_ms = in.get<int64_t>();
    const auto span = in.get<uint32_t>();
    const auto max_items = in.get<uint32_t>();
    if (!in.ok()) return truncated();
    if (kind != static_cast<uint8_t>(c.kind) || aggregate != static_cast<uint8_t>(c.aggregate) ||
        pane_ms != c.pane_ms || span != c.span || max_items != c.max_items) {
      return {Errc::kCorrupt,
              "counter '" + c.name + "' was configured differently when the state was written"};
    }
  }
  return {};
}

void WindowedCounters::write_cell(StateWriter& out, size_t cl) const {
  const Counter& c = counters_[cl % counters_.size()];
  out.put<uint16_t>(sizes_[cl]);
  const uint32_t* r = records(cl);
  for (uint32_t w = 0; w < uint32_t{sizes_[cl]} * c.width; ++w)
    out.put<uint32_t>(r[w]);
}

void WindowedCounters::snapshot(StateWriter& out) const {
  out.put<uint32_t>(kSnapshotVersion);
  write_layout(out);
  out.put<int64_t>(watermark_.value());
  const size_t slots = counters_.empty() ? 0 : sizes_.size() / counters_.size();
  out.put<uint64_t>(slots);
  for (size_t cl = 0; cl < sizes_.size(); ++cl)
    write_cell(out, cl);
}

Status WindowedCounters::restore(StateReader& in, uint32_t slot_count) {
  const auto version = in.get<uint32_t>();
  if (!in.ok()) return truncated();
  if (version != kSnapshotVersion) {
    return {Errc::kCorrupt, "windowed counters state has version " + std::to_string(version)};
  }
  if (Status s = check_layout(in); !s) return s;
  const EventTime watermark(in.get<int64_t>());
  const auto slots = in.get<uint64_t>();
  if (!in.ok()) return truncated();
  if (slots != slot_count) {
    return {Errc::kCorrupt, "windowed counters state holds " + std::to_string(slots) +
                                " keys, expected " + std::to_string(slot_count)};
  }
  arena_.clear();
  offsets_.assign(size_t{slot_count} * counters_.size(), 0);
  sizes_.assign(offsets_.size(), 0);
  std::vector<uint32_t> words;
  for (size_t cl = 0; cl < sizes_.size(); ++cl) {
    const Counter& c = counters_[cl % counters_.size()];
    if (Status s = read_records(in, c, words); !s) return s;
    resize(cl, c, static_cast<uint32_t>(words.size() / c.width));
    std::copy(words.begin(), words.end(), records(cl));
  }
  watermark_ = watermark;
  return {};
}

void WindowedCounters::move_key_out(StateWriter& out, Context& ctx) {
  out.put<uint32_t>(kMoveVersion);
  write_layout(out);
  for (size_t i = 0; i < counters_.size(); ++i) {
    const size_t cl = cell(ctx.slot(), i);
    write_cell(out, cl);
    resize(cl, counters_[i], 0);
  }
}

Status WindowedCounters::merge_key_in(StateReader& in, Context& ctx) {
  const auto version = in.get<uint32_t>();
  if (!in.ok()) return truncated();
  if (version != kMoveVersion) {
    return {Errc::kCorrupt, "a moved key's counters have version " + std::to_string(version)};
  }
  if (Status s = check_layout(in); !s) return s;
  // Everything is read before anything changes, so that bad input leaves the key as it was.
  std::vector<std::vector<uint32_t>> incoming(counters_.size());
  for (size_t i = 0; i < counters_.size(); ++i) {
    if (Status s = read_records(in, counters_[i], incoming[i]); !s) return s;
  }
  watermark_ = std::max(watermark_, ctx.watermark());
  for (size_t i = 0; i < counters_.size(); ++i) {
    if (!incoming[i].empty()) merge_cell(cell(ctx.slot(), i), counters_[i], incoming[i], ctx);
  }
  return {};
}

void WindowedCounters::merge_cell(size_t cl, const Counter& c, const std::vector<uint32_t>& in,
                                  const Context& ctx) {
  std::vector<uint32_t> merged = merge_records(c, records(cl), size_t{sizes_[cl]} * c.width, in);
  drop_dead(c, merged, ctx.watermark());
  if (c.by_item) drop_stale_items(c, merged);
  // Pruned and bounded, the cell holds at most max_records(c), which fits its 16-bit size.
  resize(cl, c, static_cast<uint32_t>(merged.size() / c.width));
  std::copy(merged.begin(), merged.end(), records(cl));
}

}  // namespace eddy
