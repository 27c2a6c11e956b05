#include "operators/sessionizer.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>

#include "operators/derived_types.h"
#include "runtime/event_types.h"
#include "runtime/key_hash.h"

namespace eddy {

namespace {

// 9999-12-31T23:59:59.999Z. Bounding times keeps end + gap + lateness far from overflowing.
constexpr int64_t kMaxTimeMs = 253'402'300'799'999;
// Lateness above this is treated as "sessions never close by time": 2^60 ms is 36 million years.
constexpr int64_t kMaxLatenessMs = int64_t{1} << 60;
constexpr uint32_t kCloseTag = 0;

constexpr std::string_view kSettings[] = {"gap_ms", "max_open_sessions", "emit_type", "types"};

std::optional<int64_t> whole_number(const boost::json::value& v) {
  if (v.is_int64()) return v.as_int64();
  if (v.is_uint64() && v.as_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    return static_cast<int64_t>(v.as_uint64());
  }
  return std::nullopt;
}

uint32_t saturating_add(uint32_t a, uint32_t b) {
  const uint64_t sum = uint64_t{a} + b;
  return sum > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(sum);
}

int64_t saturating_add(int64_t a, int64_t b) {
  int64_t sum;
  return __builtin_add_overflow(a, b, &sum) ? (b < 0 ? INT64_MIN : INT64_MAX) : sum;
}

void count(uint32_t& field) {
  field = saturating_add(field, 1);
}

// Cuts at a character boundary so that the kept prefix is still valid UTF-8 when the whole was.
std::string_view cut_label(std::string_view s) {
  if (s.size() <= Sessionizer::kMaxLabelBytes) return s;
  size_t n = Sessionizer::kMaxLabelBytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80)
    --n;
  return s.substr(0, n);
}

template <typename T>
void append_fixed(std::string& out, T v) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &v, sizeof(T));
  out.append(bytes, sizeof(T));
}

}  // namespace

// ---- LabelPool ----------------------------------------------------------------------------------

// The interned text is a flags byte (which of the two are present), the channel's length (4
// bytes), the channel and the referrer.
uint32_t Sessionizer::LabelPool::intern(const Labels& labels) {
  if (!labels.channel && !labels.referrer) return kNone;
  const std::string_view channel = labels.channel.value_or(std::string_view());
  const std::string_view referrer = labels.referrer.value_or(std::string_view());
  scratch_.clear();
  scratch_.push_back(static_cast<char>((labels.channel ? 1 : 0) | (labels.referrer ? 2 : 0)));
  append_fixed(scratch_, static_cast<uint32_t>(channel.size()));
  scratch_.append(channel);
  scratch_.append(referrer);
  if (auto it = index_.find(std::string_view(scratch_)); it != index_.end()) {
    ++entries_[it->second].refs;
    return it->second;
  }
  uint32_t id;
  if (free_.empty()) {
    id = static_cast<uint32_t>(entries_.size());
    entries_.emplace_back();
  } else {
    id = free_.back();
    free_.pop_back();
  }
  auto [it, inserted] = index_.emplace(scratch_, id);
  entries_[id] = Entry{&it->first, 1};
  return id;
}

void Sessionizer::LabelPool::release(uint32_t id) {
  if (id == kNone) return;
  Entry& e = entries_[id];
  if (--e.refs != 0) return;
  index_.erase(index_.find(std::string_view(*e.text)));
  e = Entry{};
  free_.push_back(id);
}

Sessionizer::LabelPool::Labels Sessionizer::LabelPool::get(uint32_t id) const {
  if (id == kNone) return {};
  const std::string& text = *entries_[id].text;
  const auto flags = static_cast<unsigned char>(text[0]);
  uint32_t channel_size;
  std::memcpy(&channel_size, text.data() + 1, sizeof channel_size);
  const std::string_view rest = std::string_view(text).substr(1 + sizeof channel_size);
  Labels out;
  if (flags & 1) out.channel = rest.substr(0, channel_size);
  if (flags & 2) out.referrer = rest.substr(channel_size);
  return out;
}

void Sessionizer::LabelPool::clear() {
  index_.clear();
  entries_.assign(1, Entry{});
  free_.clear();
}

size_t Sessionizer::LabelPool::bytes() const {
  // A node of the index holds the string, the id, a next pointer and the cached hash.
  size_t total = entries_.capacity() * sizeof(Entry) + free_.capacity() * sizeof(uint32_t) +
                 index_.bucket_count() * sizeof(void*);
  for (const auto& [text, id] : index_) {
    total += sizeof(std::string) + 3 * sizeof(void*);
    if (text.capacity() > 15) total += text.capacity() + 1;
  }
  return total;
}

// ---- Configuration ------------------------------------------------------------------------------

Result<std::unique_ptr<Operator>> Sessionizer::create(const OperatorArgs& args) {
  auto op = std::make_unique<Sessionizer>();
  for (const auto& [name, value] : args.config) {
    if (std::find(std::begin(kSettings), std::end(kSettings), name) == std::end(kSettings)) {
      return {Errc::kInvalidArgument, "unknown setting '" + std::string(name) +
                                          "' (known: gap_ms, max_open_sessions, emit_type, types)"};
    }
  }
  if (const auto* gap = args.config.if_contains("gap_ms")) {
    const auto ms = whole_number(*gap);
    if (!ms || *ms <= 0 || *ms > kMaxGapMs) {
      return {Errc::kInvalidArgument, "'gap_ms' must be a whole number of milliseconds from 1 to " +
                                          std::to_string(kMaxGapMs) + " (365 days)"};
    }
    op->gap_ms_ = *ms;
  }
  if (const auto* max_open = args.config.if_contains("max_open_sessions")) {
    const auto n = whole_number(*max_open);
    if (!n || *n < 1 || *n > kMaxOpenSessionsLimit) {
      return {Errc::kInvalidArgument, "'max_open_sessions' must be a whole number from 1 to " +
                                          std::to_string(kMaxOpenSessionsLimit)};
    }
    op->max_open_ = static_cast<uint32_t>(*n);
  }
  std::string_view emit_name = kDefaultEmitType;
  if (const auto* emit = args.config.if_contains("emit_type")) {
    if (!emit->is_string() || emit->as_string().empty()) {
      return {Errc::kInvalidArgument, "'emit_type' must be a non-empty event name"};
    }
    emit_name = emit->as_string();
  }
  op->emit_type_ = args.types.find(emit_name);
  if (op->emit_type_ == EventTypeRegistry::kUnknown) {
    return {Errc::kInvalidArgument, "the topology must accept '" + std::string(emit_name) +
                                        "', the event the sessionizer emits (add it to "
                                        "accept_types, or choose another 'emit_type')"};
  }

  // Index 0 is EventTypeRegistry::kUnknown, which no event carries.
  op->activity_.assign(args.types.size() + 1, Activity::kIgnored);
  auto activity_of_name = [&](std::string_view name) {
    if (name == "page" || name == "screen") return Activity::kPage;
    if (name == "Product Viewed") return Activity::kProductView;
    if (name == "Product Added") return Activity::kCartAdd;
    if (name == "Order Completed") return Activity::kOrder;
    return Activity::kOther;
  };
  if (const auto* types = args.config.if_contains("types")) {
    if (!types->is_array() || types->as_array().empty()) {
      return {Errc::kInvalidArgument, "'types' must be a non-empty list of event names"};
    }
    for (const auto& t : types->as_array()) {
      if (!t.is_string()) {
        return {Errc::kInvalidArgument, "'types' must be a non-empty list of event names"};
      }
      const EventType id = args.types.find(t.as_string());
      if (id == EventTypeRegistry::kUnknown) {
        return {Errc::kInvalidArgument,
                "event type '" + std::string(t.as_string()) + "' is not accepted by the topology"};
      }
      if (id == op->emit_type_) {
        return {Errc::kInvalidArgument,
                "'types' lists '" + std::string(t.as_string()) +
                    "', the event the sessionizer emits: a session cannot be its own activity"};
      }
      op->activity_[id.value()] = activity_of_name(t.as_string());
    }
  } else {
    for (size_t i = 1; i < op->activity_.size(); ++i) {
      const std::string_view name = args.types.name(EventType(static_cast<uint16_t>(i)));
      if (!is_derived_type(name) && i != op->emit_type_.value())
        op->activity_[i] = activity_of_name(name);
    }
  }
  return std::unique_ptr<Operator>(std::move(op));
}

Sessionizer::Activity Sessionizer::activity_of(EventType type) const {
  return type.value() < activity_.size() ? activity_[type.value()] : Activity::kIgnored;
}

// ---- Events -------------------------------------------------------------------------------------

void Sessionizer::on_new_slot(uint32_t slot) {
  if (slot >= keys_.size()) keys_.resize(slot + 1);
}

Flow Sessionizer::on_event(const EventRef& event, Context& ctx) {
  const Activity activity = activity_of(event.type());
  if (activity == Activity::kIgnored) return Flow::kPass;
  const int64_t t = event.time().value();
  if (t < 0 || t > kMaxTimeMs) {
    ctx.reject(event, "time_out_of_range");
    return Flow::kPass;
  }
  LabelPool::Labels labels;
  for (size_t i = 0; i < event.prop_count(); ++i) {
    const std::string_view name = event.prop_name(i);
    if (name != "channel" && name != "referrer") continue;
    const PropValue v = event.prop_value(i);
    if (v.is_null()) continue;
    if (v.kind() != PropKind::kString) {
      ctx.reject(event, name == "channel" ? "channel_not_string" : "referrer_not_string");
      return Flow::kPass;
    }
    (name == "channel" ? labels.channel : labels.referrer) = cut_label(v.as_string());
  }
  if (ctx.is_late(event.time())) {
    ctx.side_output(kLateOutput, event);
    return Flow::kPass;
  }
  // Everything read from the event is used before anything is emitted: an emit may move the bytes
  // that the views above point into.
  const uint32_t slot = ctx.slot();
  place(slot, t, activity, labels);
  while (open_count(slot) > max_open_)
    close_oldest(slot, /*forced=*/true, ctx);
  rearm(slot, INT64_MIN, ctx);
  return Flow::kPass;
}

void Sessionizer::place(uint32_t slot, int64_t t, Activity activity,
                        const LabelPool::Labels& labels) {
  auto add_event = [&](Summary& s) {
    count(s.events);
    switch (activity) {
      case Activity::kPage:
        count(s.page_views);
        break;
      case Activity::kProductView:
        count(s.product_views);
        break;
      case Activity::kCartAdd:
        count(s.cart_adds);
        break;
      case Activity::kOrder:
        s.converted = true;
        break;
      case Activity::kOther:
      case Activity::kIgnored:
        break;
    }
  };

  // Skip the sessions that ended a gap or more before t; the next one, if any, is the first t can
  // join. Sessions are a gap apart, so t joins that one, or it and the one after it, or none.
  uint32_t prev = kNil;
  uint32_t cur = keys_[slot].open;
  while (cur != kNil && t - sessions_[cur].summary.end_ms >= gap_ms_) {
    prev = cur;
    cur = sessions_[cur].next;
  }
  if (cur == kNil || sessions_[cur].summary.start_ms - t >= gap_ms_) {
    const uint32_t id = alloc_session();
    OpenSession& fresh = sessions_[id];
    fresh.summary = Summary{};
    fresh.summary.start_ms = t;
    fresh.summary.end_ms = t;
    fresh.summary.labels = labels_.intern(labels);
    add_event(fresh.summary);
    fresh.next = cur;
    (prev == kNil ? keys_[slot].open : sessions_[prev].next) = id;
    return;
  }

  Summary& s = sessions_[cur].summary;
  add_event(s);
  if (t < s.start_ms) {
    // The new earliest event: the session now came from where this one did.
    const uint32_t labels_id = labels_.intern(labels);
    labels_.release(s.labels);
    s.labels = labels_id;
    s.start_ms = t;
  }
  s.end_ms = std::max(s.end_ms, t);

  const uint32_t after = sessions_[cur].next;
  if (after == kNil || sessions_[after].summary.start_ms - t >= gap_ms_) return;
  // t bridges the gap between two open sessions: they become one.
  absorb(s, sessions_[after].summary);
  sessions_[cur].next = sessions_[after].next;
  free_session(after);
}

// `later` starts no earlier than `into` and less than a gap after its end: one session, which keeps
// the earlier start's channel and referrer. Takes over later's label reference.
void Sessionizer::absorb(Summary& into, const Summary& later) {
  into.end_ms = std::max(into.end_ms, later.end_ms);
  into.events = saturating_add(into.events, later.events);
  into.page_views = saturating_add(into.page_views, later.page_views);
  into.product_views = saturating_add(into.product_views, later.product_views);
  into.cart_adds = saturating_add(into.cart_adds, later.cart_adds);
  into.converted = into.converted || later.converted;
  labels_.release(later.labels);
}

// ---- Closing ------------------------------------------------------------------------------------

void Sessionizer::on_timer(const TimerFiring& timer, Context& ctx) {
  const uint32_t slot = timer.slot;
  if (keys_[slot].timer_at == timer.time.value()) keys_[slot].timer_at = kNoTimer;
  close_ended(slot, ctx);
  // Never at or before the watermark: that timer would fire again at once.
  const int64_t wm = ctx.watermark().value();
  rearm(slot, wm == INT64_MAX ? wm : wm + 1, ctx);
}

// Oldest first, so that a key's sessions end in time order however late the watermark came. At the
// end of time everything closes: a timer armed after it could never fire.
void Sessionizer::close_ended(uint32_t slot, Context& ctx) {
  const bool end_of_time = ctx.watermark().value() == INT64_MAX;
  while (keys_[slot].open != kNil &&
         (end_of_time || closable(sessions_[keys_[slot].open].summary, ctx))) {
    close_oldest(slot, /*forced=*/false, ctx);
  }
}

// Closable once every event that could still join it would be late: is_late() is monotonic in
// time, and the last time that could join is end + gap - 1 (earlier ones are earlier still).
bool Sessionizer::closable(const Summary& s, const Context& ctx) const {
  return ctx.is_late(EventTime(s.end_ms + gap_ms_ - 1));
}

// The runtime does not tell operators its allowed lateness, but is_late() shows it: is_late(wm - d)
// is false up to d = lateness and true beyond. Learnt once, at the first watermark, by bisection.
// Until then 0 is assumed; that only arms timers early, and a timer that finds its session not yet
// closable arms again.
int64_t Sessionizer::lateness(const Context& ctx) {
  if (lateness_ms_) return *lateness_ms_;
  const int64_t wm = ctx.watermark().value();
  if (ctx.watermark() == kMinEventTime || wm < INT64_MIN + kMaxLatenessMs) return 0;
  if (ctx.is_late(EventTime(wm))) {
    lateness_ms_ = 0;
  } else if (!ctx.is_late(EventTime(wm - kMaxLatenessMs))) {
    lateness_ms_ = kMaxLatenessMs;
  } else {
    int64_t lo = 0;               // not late
    int64_t hi = kMaxLatenessMs;  // late
    while (hi - lo > 1) {
      const int64_t mid = lo + (hi - lo) / 2;
      (ctx.is_late(EventTime(wm - mid)) ? hi : lo) = mid;
    }
    lateness_ms_ = lo;
  }
  return *lateness_ms_;
}

// One timer per key, never later than the time the oldest open session may close (younger ones
// close later). It is not moved later when a session grows: that would cost a cancel and a set per
// event. An early timer fires once, finds the session still open, and arms again; the session
// closes at the same watermark either way.
void Sessionizer::rearm(uint32_t slot, int64_t floor, Context& ctx) {
  PerKey& k = keys_[slot];
  if (k.open == kNil) {
    if (k.timer_at != kNoTimer) ctx.cancel_timer(EventTime(k.timer_at), kCloseTag);
    k.timer_at = kNoTimer;
    return;
  }
  const int64_t want = std::max(sessions_[k.open].summary.end_ms + gap_ms_ + lateness(ctx), floor);
  if (k.timer_at != kNoTimer && k.timer_at <= want) return;
  if (k.timer_at != kNoTimer) ctx.cancel_timer(EventTime(k.timer_at), kCloseTag);
  ctx.set_timer(EventTime(want), kCloseTag);
  k.timer_at = want;
}

void Sessionizer::close_oldest(uint32_t slot, bool forced, Context& ctx) {
  PerKey& k = keys_[slot];
  const uint32_t id = k.open;
  const Summary s = sessions_[id].summary;
  k.open = sessions_[id].next;
  free_session(id);
  const uint32_t ordinal = k.closed;
  // The profile is updated before the event leaves, so that operators downstream reacting to it
  // read features that already include it. `last` takes over the session's label reference.
  k.closed = saturating_add(k.closed, 1);
  k.total_duration_ms += s.end_ms - s.start_ms;
  labels_.release(k.last.labels);
  k.last = s;
  emit_ended(s, ordinal, forced, ctx);
}

void Sessionizer::emit_ended(const Summary& s, uint32_t ordinal, bool forced, Context& ctx) {
  const std::string_view key = ctx.key();
  id_scratch_.assign(key);
  id_scratch_.push_back('\0');
  id_scratch_.append("session");
  append_fixed(id_scratch_, s.start_ms);
  append_fixed(id_scratch_, s.end_ms);
  append_fixed(id_scratch_, ordinal);
  char trigger_id[17];
  std::snprintf(trigger_id, sizeof trigger_id, "%016llx",
                static_cast<unsigned long long>(hash_key(id_scratch_).value()));

  const LabelPool::Labels labels = labels_.get(s.labels);
  auto text_or_null = [](const std::optional<std::string_view>& v) {
    return v ? PropValue::of_string(*v) : PropValue();
  };
  const std::array<PropDraft, 12> props = {{
      {"start_ms", PropValue::of_int(s.start_ms)},
      {"end_ms", PropValue::of_int(s.end_ms)},
      {"duration_ms", PropValue::of_int(s.end_ms - s.start_ms)},
      {"events", PropValue::of_int(s.events)},
      {"page_views", PropValue::of_int(s.page_views)},
      {"product_views", PropValue::of_int(s.product_views)},
      {"cart_adds", PropValue::of_int(s.cart_adds)},
      {"converted", PropValue::of_bool(s.converted)},
      {"channel", text_or_null(labels.channel)},
      {"referrer", text_or_null(labels.referrer)},
      {"forced_close", PropValue::of_bool(forced)},
      {"trigger_id", PropValue::of_string(std::string_view(trigger_id, 16))},
  }};
  EventDraft d;
  d.key = key;
  d.type = emit_type_;
  d.time = EventTime(s.end_ms + gap_ms_);
  d.props = props;
  if (forced) {
    side_builder_.clear();
    ctx.side_output(kForcedCloseOutput, side_builder_.add(d, ctx.key_hash()));
    side_builder_.clear();
  }
  ctx.emit(d);
}

// ---- Sessions pool ------------------------------------------------------------------------------

uint32_t Sessionizer::alloc_session() {
  if (!free_sessions_.empty()) {
    const uint32_t id = free_sessions_.back();
    free_sessions_.pop_back();
    return id;
  }
  sessions_.emplace_back();
  return static_cast<uint32_t>(sessions_.size() - 1);
}

void Sessionizer::free_session(uint32_t id) {
  sessions_[id] = OpenSession{};
  free_sessions_.push_back(id);
}

uint32_t Sessionizer::open_count(uint32_t slot) const {
  uint32_t n = 0;
  for (uint32_t id = keys_[slot].open; id != kNil; id = sessions_[id].next)
    ++n;
  return n;
}

// The newest open session: where the customer is now, even when an older one is still open
// because events arrived out of order.
const Sessionizer::Summary* Sessionizer::current(uint32_t slot) const {
  if (slot >= keys_.size() || keys_[slot].open == kNil) return nullptr;
  uint32_t id = keys_[slot].open;
  while (sessions_[id].next != kNil)
    id = sessions_[id].next;
  return &sessions_[id].summary;
}

size_t Sessionizer::state_bytes() const {
  return keys_.capacity() * sizeof(PerKey) + sessions_.capacity() * sizeof(OpenSession) +
         free_sessions_.capacity() * sizeof(uint32_t) + labels_.bytes();
}

// ---- Snapshots ----------------------------------------------------------------------------------

void Sessionizer::write_summary(StateWriter& out, const Summary& s) const {
  out.put<int64_t>(s.start_ms);
  out.put<int64_t>(s.end_ms);
  out.put<uint32_t>(s.events);
  out.put<uint32_t>(s.page_views);
  out.put<uint32_t>(s.product_views);
  out.put<uint32_t>(s.cart_adds);
  out.put<uint8_t>(s.converted ? 1 : 0);
  // Labels by value: ids are this instance's business.
  const LabelPool::Labels labels = labels_.get(s.labels);
  out.put<uint8_t>((labels.channel ? 1 : 0) | (labels.referrer ? 2 : 0));
  out.put_string(labels.channel.value_or(std::string_view()));
  out.put_string(labels.referrer.value_or(std::string_view()));
}

bool Sessionizer::read_summary(StateReader& in, Summary& s) {
  s.start_ms = in.get<int64_t>();
  s.end_ms = in.get<int64_t>();
  s.events = in.get<uint32_t>();
  s.page_views = in.get<uint32_t>();
  s.product_views = in.get<uint32_t>();
  s.cart_adds = in.get<uint32_t>();
  const auto converted = in.get<uint8_t>();
  const auto flags = in.get<uint8_t>();
  const std::string channel = in.get_string();
  const std::string referrer = in.get_string();
  if (!in.ok() || converted > 1 || flags > 3 || s.start_ms > s.end_ms) return false;
  s.converted = converted == 1;
  LabelPool::Labels labels;
  if (flags & 1) labels.channel = channel;
  if (flags & 2) labels.referrer = referrer;
  s.labels = labels_.intern(labels);
  return true;
}

void Sessionizer::snapshot(StateWriter& out) const {
  out.put<uint64_t>(keys_.size());
  for (uint32_t slot = 0; slot < keys_.size(); ++slot) {
    const PerKey& k = keys_[slot];
    out.put<uint32_t>(k.closed);
    out.put<int64_t>(k.total_duration_ms);
    out.put<int64_t>(k.timer_at);
    if (k.closed != 0) write_summary(out, k.last);
    out.put<uint32_t>(open_count(slot));
    for (uint32_t id = k.open; id != kNil; id = sessions_[id].next)
      write_summary(out, sessions_[id].summary);
  }
}

Status Sessionizer::restore(StateReader& in, uint32_t slot_count) {
  const auto n = in.get<uint64_t>();
  if (!in.ok() || n != slot_count) {
    return {Errc::kCorrupt, "sessionizer state holds " + std::to_string(n) + " keys, expected " +
                                std::to_string(slot_count)};
  }
  keys_.assign(n, PerKey{});
  sessions_.clear();
  free_sessions_.clear();
  labels_.clear();
  auto corrupt = [](uint32_t slot) {
    return Status(Errc::kCorrupt, "sessionizer state of key slot " + std::to_string(slot) +
                                      " is truncated or "
                                      "inconsistent");
  };
  for (uint32_t slot = 0; slot < n; ++slot) {
    PerKey& k = keys_[slot];
    k.closed = in.get<uint32_t>();
    k.total_duration_ms = in.get<int64_t>();
    k.timer_at = in.get<int64_t>();
    if (k.closed != 0 && !read_summary(in, k.last)) return corrupt(slot);
    const auto open = in.get<uint32_t>();
    if (!in.ok() || open > kMaxOpenSessionsLimit) return corrupt(slot);
    if ((open == 0) != (k.timer_at == kNoTimer)) return corrupt(slot);
    uint32_t prev = kNil;
    for (uint32_t i = 0; i < open; ++i) {
      const uint32_t id = alloc_session();
      if (!read_summary(in, sessions_[id].summary)) return corrupt(slot);
      if (prev != kNil && sessions_[prev].summary.end_ms >= sessions_[id].summary.start_ms) {
        return corrupt(slot);
      }
      (prev == kNil ? k.open : sessions_[prev].next) = id;
      prev = id;
    }
  }
  if (!in.ok()) return {Errc::kCorrupt, "sessionizer state is truncated"};
  return {};
}

// ---- Identity resolution ----------------------------------------------------------------------

// The per-key part of a snapshot without the timer, which the runtime has cancelled: the merging
// side arms its own.
void Sessionizer::move_key_out(StateWriter& out, Context& ctx) {
  const uint32_t slot = ctx.slot();
  PerKey& k = keys_[slot];
  out.put<uint32_t>(k.closed);
  out.put<int64_t>(k.total_duration_ms);
  if (k.closed != 0) write_summary(out, k.last);
  out.put<uint32_t>(open_count(slot));
  for (uint32_t id = k.open; id != kNil;) {
    write_summary(out, sessions_[id].summary);
    labels_.release(sessions_[id].summary.labels);
    const uint32_t next = sessions_[id].next;
    free_session(id);
    id = next;
  }
  labels_.release(k.last.labels);
  k = PerKey{};
}

Status Sessionizer::merge_key_in(StateReader& in, Context& ctx) {
  MovedKey moved;
  if (Status s = read_moved(in, moved); !s) return s;
  const uint32_t slot = ctx.slot();
  merge_closed(keys_[slot], moved);
  merge_open(slot, moved.open);
  // This worker's watermark may already be past where a moved session ends, and one key may now
  // hold too many: settle both as a timer and an event would.
  close_ended(slot, ctx);
  while (open_count(slot) > max_open_)
    close_oldest(slot, /*forced=*/true, ctx);
  rearm(slot, INT64_MIN, ctx);
  return {};
}

// Checked in full before anything is merged, so that bad bytes leave the key as it was.
Status Sessionizer::read_moved(StateReader& in, MovedKey& out) {
  auto in_range = [](const Summary& s) { return s.start_ms >= 0 && s.end_ms <= kMaxTimeMs; };
  out.closed = in.get<uint32_t>();
  out.total_duration_ms = in.get<int64_t>();
  bool ok =
      in.ok() && out.total_duration_ms >= 0 && (out.closed != 0 || out.total_duration_ms == 0);
  if (ok && out.closed != 0) ok = read_summary(in, out.last) && in_range(out.last);
  const uint32_t open = ok ? in.get<uint32_t>() : 0;
  ok = ok && in.ok() && open <= kMaxOpenSessionsLimit;
  for (uint32_t i = 0; ok && i < open; ++i) {
    Summary s;
    ok = read_summary(in, s);
    if (ok) out.open.push_back(s);
    ok = ok && in_range(s);
  }
  if (ok && in.at_end()) return {};
  release_moved(out);
  return {Errc::kCorrupt, "a moved sessionizer key is truncated or inconsistent"};
}

void Sessionizer::release_moved(const MovedKey& moved) {
  labels_.release(moved.last.labels);
  for (const Summary& s : moved.open)
    labels_.release(s.labels);
}

// Closed sessions were emitted under the old key and stay as they were: only the tallies combine.
void Sessionizer::merge_closed(PerKey& k, const MovedKey& moved) {
  if (moved.closed == 0) return;
  const bool moved_is_last = k.closed == 0 || moved.last.end_ms > k.last.end_ms;
  k.closed = saturating_add(k.closed, moved.closed);
  k.total_duration_ms = saturating_add(k.total_duration_ms, moved.total_duration_ms);
  labels_.release(moved_is_last ? k.last.labels : moved.last.labels);
  if (moved_is_last) k.last = moved.last;
}

// Both keys' open sessions in start order, joined wherever one key would have joined them. This
// key's come first so that on equal starts the stable sort keeps its channel and referrer.
void Sessionizer::merge_open(uint32_t slot, const std::vector<Summary>& moved) {
  if (moved.empty()) return;
  std::vector<Summary> all;
  for (uint32_t id = keys_[slot].open; id != kNil;) {
    all.push_back(sessions_[id].summary);
    const uint32_t next = sessions_[id].next;
    free_session(id);
    id = next;
  }
  all.insert(all.end(), moved.begin(), moved.end());
  std::stable_sort(all.begin(), all.end(),
                   [](const Summary& a, const Summary& b) { return a.start_ms < b.start_ms; });
  keys_[slot].open = kNil;
  uint32_t tail = kNil;
  for (const Summary& s : all) {
    if (tail != kNil && s.start_ms - sessions_[tail].summary.end_ms < gap_ms_) {
      absorb(sessions_[tail].summary, s);
      continue;
    }
    const uint32_t id = alloc_session();
    sessions_[id].summary = s;
    (tail == kNil ? keys_[slot].open : sessions_[tail].next) = id;
    tail = id;
  }
}

// ---- Profile and features -----------------------------------------------------------------------

boost::json::object Sessionizer::summary_json(const Summary& s) const {
  boost::json::object o;
  o["start_ms"] = s.start_ms;
  o["end_ms"] = s.end_ms;
  o["duration_ms"] = s.end_ms - s.start_ms;
  o["events"] = s.events;
  o["page_views"] = s.page_views;
  o["product_views"] = s.product_views;
  o["cart_adds"] = s.cart_adds;
  o["converted"] = s.converted;
  const LabelPool::Labels labels = labels_.get(s.labels);
  if (labels.channel) {
    o["channel"] = *labels.channel;
  } else {
    o["channel"] = nullptr;
  }
  if (labels.referrer) {
    o["referrer"] = *labels.referrer;
  } else {
    o["referrer"] = nullptr;
  }
  return o;
}

void Sessionizer::on_query(uint32_t slot, EventTime /*now*/, boost::json::object& out) const {
  const PerKey& k = keys_[slot];
  boost::json::object o;
  o["count"] = k.closed;
  if (k.closed != 0) {
    o["avg_duration_s"] = static_cast<double>(k.total_duration_ms) / k.closed / 1000.0;
    o["last"] = summary_json(k.last);
  } else {
    o["avg_duration_s"] = nullptr;
    o["last"] = nullptr;
  }
  o["open"] = open_count(slot);
  if (const Summary* s = current(slot)) {
    o["current"] = summary_json(*s);
  } else {
    o["current"] = nullptr;
  }
  out["sessions"] = std::move(o);
}

Status Sessionizer::declare_features(FeatureCatalog& catalog) {
  using Kind = FeatureValue::Kind;
  auto closed = [this](uint32_t slot) -> const PerKey* {
    return slot < keys_.size() && keys_[slot].closed != 0 ? &keys_[slot] : nullptr;
  };
  auto current_count = [this](uint32_t Summary::*field) {
    return [this, field](uint32_t slot, EventTime) {
      const Summary* s = current(slot);
      return s ? FeatureValue::of_number(s->*field) : FeatureValue::missing();
    };
  };
  struct Declared {
    const char* path;
    Kind kind;
    FeatureCatalog::Getter get;
  };
  const Declared features[] = {
      {"sessions.count", Kind::kNumber,
       [this](uint32_t slot, EventTime) {
         return slot < keys_.size() ? FeatureValue::of_number(keys_[slot].closed)
                                    : FeatureValue::missing();
       }},
      {"sessions.avg_duration_s", Kind::kNumber,
       [closed](uint32_t slot, EventTime) {
         const PerKey* k = closed(slot);
         return k ? FeatureValue::of_number(static_cast<double>(k->total_duration_ms) / k->closed /
                                            1000.0)
                  : FeatureValue::missing();
       }},
      {"sessions.last.duration_s", Kind::kNumber,
       [closed](uint32_t slot, EventTime) {
         const PerKey* k = closed(slot);
         return k ? FeatureValue::of_number(static_cast<double>(k->last.end_ms - k->last.start_ms) /
                                            1000.0)
                  : FeatureValue::missing();
       }},
      {"sessions.last.converted", Kind::kBool,
       [closed](uint32_t slot, EventTime) {
         const PerKey* k = closed(slot);
         return k ? FeatureValue::of_bool(k->last.converted) : FeatureValue::missing();
       }},
      {"sessions.current.events", Kind::kNumber, current_count(&Summary::events)},
      {"sessions.current.product_views", Kind::kNumber, current_count(&Summary::product_views)},
      {"sessions.current.cart_adds", Kind::kNumber, current_count(&Summary::cart_adds)},
      {"sessions.current.converted", Kind::kBool,
       [this](uint32_t slot, EventTime) {
         const Summary* s = current(slot);
         return s ? FeatureValue::of_bool(s->converted) : FeatureValue::missing();
       }},
  };
  // Closed sessions change only when one closes, which emits its summary after the profile took it
  // in; the current session changes with any event.
  std::vector<EventType> closing;
  if (emit_type_ != EventTypeRegistry::kUnknown) closing.push_back(emit_type_);
  for (const Declared& f : features) {
    const bool current = std::string_view(f.path).starts_with("sessions.current.");
    if (Status s = catalog.add(f.path, f.kind, f.get, FeatureCatalog::Changes::kWithItsEvents,
                               current ? std::vector<EventType>{} : closing);
        !s) {
      return s;
    }
  }
  return {};
}

}  // namespace eddy
