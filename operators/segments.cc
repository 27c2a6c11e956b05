#include "operators/segments.h"

#include <algorithm>
#include <boost/json/array.hpp>
#include <cctype>
#include <cstdio>
#include <limits>

#include "runtime/event_types.h"
#include "runtime/key_hash.h"

namespace eddy {

namespace {

constexpr uint32_t kGenerationMask = 0xFFFF;
// The layout of a moved key (move_key_out); merge_key_in refuses any other.
constexpr uint8_t kMoveFormat = 1;
// The "reason" of the changes that identity resolution causes.
constexpr std::string_view kMergeReason = "identity_merge";

uint32_t timer_tag(size_t index, uint32_t generation) {
  return static_cast<uint32_t>(index << 16) | (generation & kGenerationMask);
}

std::string hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

Status bad(std::string message) {
  return {Errc::kInvalidArgument, std::move(message)};
}

}  // namespace

Result<Segments::Definition> Segments::parse_definition(const boost::json::object& json) {
  Definition d;
  const auto* id = json.if_contains("id");
  if (id == nullptr || !id->is_string() || id->as_string().empty()) {
    return bad("a segment needs an 'id' (a non-empty string)");
  }
  d.id = id->as_string();
  if (d.id.size() > 128)
    return bad("segment id '" + d.id.substr(0, 32) + "...' is longer than 128 bytes");
  for (char c : d.id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) {
      return bad("segment id '" + d.id + "' may only hold letters, digits, '_', '-' and '.'");
    }
  }
  const auto* enter = json.if_contains("enter");
  if (enter == nullptr || !enter->is_string())
    return bad("segment '" + d.id + "' needs an 'enter' rule");
  d.enter = enter->as_string();
  if (const auto* exit = json.if_contains("exit")) {
    if (!exit->is_string()) return bad("segment '" + d.id + "': 'exit' must be a string");
    d.exit = exit->as_string();
  }
  if (const auto* dwell = json.if_contains("min_dwell_ms")) {
    if (!dwell->is_int64() || dwell->as_int64() < 0) {
      return bad("segment '" + d.id + "': 'min_dwell_ms' must be a non-negative whole number");
    }
    d.min_dwell_ms = dwell->as_int64();
  }
  return d;
}

Result<std::unique_ptr<Operator>> Segments::create(const OperatorArgs& args) {
  auto op = std::make_unique<Segments>();
  op->type_count_ = args.types.size() + 1;
  op->entered_type_ = args.types.find("Segment Entered");
  op->exited_type_ = args.types.find("Segment Exited");
  if (op->entered_type_ == EventTypeRegistry::kUnknown ||
      op->exited_type_ == EventTypeRegistry::kUnknown) {
    return bad("the topology must accept 'Segment Entered' and 'Segment Exited'");
  }
  if (const auto* max = args.config.if_contains("max_segments")) {
    if (!max->is_int64() || max->as_int64() < 1 || max->as_int64() > 4096) {
      return bad("'max_segments' must be in 1..4096");
    }
    op->max_segments_ = static_cast<size_t>(max->as_int64());
  }
  if (const auto* sweep = args.config.if_contains("sweep_interval_ms")) {
    if (!sweep->is_int64() || sweep->as_int64() < 1)
      return bad("'sweep_interval_ms' must be positive");
    op->sweep_interval_ms_ = sweep->as_int64();
  }
  // Each key group sweeps at its own point of the interval, so that a worker's groups do not all
  // stop it at once; fixed by the group, so the same for any worker count and after a restore.
  op->sweep_phase_ms_ = static_cast<int64_t>((uint64_t{args.group.value()} * 2'654'435'761ULL) %
                                             static_cast<uint64_t>(op->sweep_interval_ms_));
  if (const auto* list = args.config.if_contains("segments")) {
    if (!list->is_array()) return bad("'segments' must be a list of definitions");
    for (const auto& item : list->as_array()) {
      if (!item.is_object()) return bad("'segments' must be a list of definitions");
      auto def = parse_definition(item.as_object());
      if (!def) return def.status();
      op->configured_.push_back(std::move(def).value());
    }
  }
  return std::unique_ptr<Operator>(std::move(op));
}

Status Segments::bind_features(const FeatureCatalog& catalog) {
  catalog_ = &catalog;
  for (const Definition& d : configured_) {
    if (Status s = put(d, nullptr); !s) return s;
  }
  return {};
}

std::optional<size_t> Segments::find(std::string_view id) const {
  for (size_t i = 0; i < segments_.size(); ++i) {
    if (segments_[i].live && segments_[i].def.id == id) return i;
  }
  return std::nullopt;
}

void Segments::grow_words(size_t words) {
  if (words <= words_) return;
  auto relayout = [&](std::vector<uint64_t>& bits) {
    std::vector<uint64_t> wider(static_cast<size_t>(slots_) * words, 0);
    for (uint32_t s = 0; s < slots_; ++s) {
      std::copy_n(bits.begin() + static_cast<ptrdiff_t>(s * words_), words_,
                  wider.begin() + static_cast<ptrdiff_t>(s * words));
    }
    bits = std::move(wider);
  };
  relayout(member_);
  relayout(dwelling_);
  words_ = words;
}

Status Segments::put(const Definition& def, KeyVisitor* backfill) {
  SegmentRule::Error err;
  auto enter = SegmentRule::compile(def.enter, *catalog_, &err);
  if (!enter)
    return bad("segment '" + def.id + "', enter rule at " + std::to_string(err.position) + ": " +
               err.reason);
  std::optional<SegmentRule> exit;
  if (!def.exit.empty()) {
    auto compiled = SegmentRule::compile(def.exit, *catalog_, &err);
    if (!compiled)
      return bad("segment '" + def.id + "', exit rule at " + std::to_string(err.position) + ": " +
                 err.reason);
    exit = std::move(compiled).value();
  }
  std::optional<size_t> index = find(def.id);
  if (index && segments_[*index].def == def) return {};  // idempotent
  if (!index) {
    for (size_t i = 0; i < segments_.size() && !index; ++i) {
      if (!segments_[i].live) index = i;
    }
    if (!index) {
      if (segments_.size() >= max_segments_) {
        return bad("at most " + std::to_string(max_segments_) + " segments can be defined");
      }
      index = segments_.size();
      segments_.emplace_back();
      grow_words((segments_.size() + 63) / 64);
    }
    Segment& fresh = segments_[*index];
    fresh.generation = (fresh.generation + 1) & kGenerationMask;
    fresh.members = 0;
  }
  Segment& seg = segments_[*index];
  seg.def = def;
  seg.enter = std::move(enter).value();
  seg.exit = std::move(exit);
  seg.live = true;
  index_by_type();
  if (backfill != nullptr) {
    const EventTime now = backfill->watermark();
    backfill->visit_all([&](Context& ctx) { step(*index, ctx, now, "backfill"); });
  }
  return {};
}

Status Segments::remove(std::string_view id, KeyVisitor& keys) {
  auto index = find(id);
  if (!index) return {Errc::kNotFound, "no segment '" + std::string(id) + "'"};
  const EventTime now = keys.watermark();
  keys.visit_all([&](Context& ctx) {
    if (!bit(member_, ctx.slot(), *index)) return;
    set_bit(member_, ctx.slot(), *index, false);
    set_bit(dwelling_, ctx.slot(), *index, false);
    emit_change(*index, ctx, now, false, "segment_deleted");
  });
  Segment& seg = segments_[*index];
  seg.live = false;
  seg.members = 0;
  seg.enter.reset();
  seg.exit.reset();
  index_by_type();
  return {};
}

Status Segments::on_command(const boost::json::object& command, KeyVisitor& keys) {
  const auto* action = command.if_contains("action");
  if (action == nullptr || !action->is_string()) return bad("a command needs an 'action'");
  if (action->as_string() == "put") {
    auto def = parse_definition(command);
    if (!def) return def.status();
    return put(*def, &keys);
  }
  if (action->as_string() == "delete") {
    const auto* id = command.if_contains("id");
    if (id == nullptr || !id->is_string()) return bad("'delete' needs an 'id'");
    return remove(id->as_string(), keys);
  }
  return bad("unknown action '" + std::string(action->as_string()) + "' (put or delete)");
}

void Segments::on_new_slot(uint32_t slot) {
  if (slot < slots_) return;
  slots_ = slot + 1;
  member_.resize(static_cast<size_t>(slots_) * words_, 0);
  dwelling_.resize(static_cast<size_t>(slots_) * words_, 0);
}

void Segments::emit_change(size_t index, Context& ctx, EventTime now, bool entered,
                           std::string_view reason) {
  Segment& seg = segments_[index];
  if (entered) {
    ++seg.members;
  } else {
    --seg.members;
  }
  const std::string id_source = std::string(ctx.key()) + '\x1f' + seg.def.id + '\x1f' +
                                std::to_string(seg.generation) + '\x1f' + (entered ? "in" : "out") +
                                '\x1f' + std::to_string(now.value());
  const std::string trigger_id = hex(hash_key(id_source).value());
  const PropDraft props[] = {{"segment", PropValue::of_string(seg.def.id)},
                             {"reason", PropValue::of_string(reason)},
                             {"trigger_id", PropValue::of_string(trigger_id)}};
  EventDraft d;
  d.type = entered ? entered_type_ : exited_type_;
  d.time = now;
  d.props = props;
  ctx.emit(d);
}

void Segments::step(size_t index, Context& ctx, EventTime now, std::string_view reason) {
  Segment& seg = segments_[index];
  const uint32_t slot = ctx.slot();
  if (!bit(member_, slot, index)) {
    if (!seg.enter->matches(slot, now)) return;
    set_bit(member_, slot, index, true);
    if (seg.def.min_dwell_ms > 0) {
      set_bit(dwelling_, slot, index, true);
      ctx.set_timer(EventTime(now.value() + seg.def.min_dwell_ms),
                    timer_tag(index, seg.generation));
    }
    emit_change(index, ctx, now, true, reason);
    return;
  }
  if (bit(dwelling_, slot, index)) return;
  const bool leave = seg.exit ? seg.exit->matches(slot, now) : !seg.enter->matches(slot, now);
  if (!leave) return;
  set_bit(member_, slot, index, false);
  emit_change(index, ctx, now, false, reason);
}

void Segments::step_all(Context& ctx, EventTime now, std::string_view reason) {
  for (size_t i = 0; i < segments_.size(); ++i) {
    if (segments_[i].live) step(i, ctx, now, reason);
  }
}

bool Segments::read_by(const Segment& seg, EventType type) const {
  for (const SegmentRule* rule :
       {seg.enter ? &*seg.enter : nullptr, seg.exit ? &*seg.exit : nullptr}) {
    if (rule == nullptr) continue;
    for (const FeatureCatalog::Feature* f : rule->reads()) {
      if (f->changed_by.empty()) return true;  // any event
      if (std::find(f->changed_by.begin(), f->changed_by.end(), type) != f->changed_by.end())
        return true;
    }
  }
  return false;
}

void Segments::index_by_type() {
  by_type_.assign(type_count_, {});
  for (size_t t = 0; t < type_count_; ++t) {
    const EventType type(static_cast<uint16_t>(t));
    for (size_t i = 0; i < segments_.size(); ++i) {
      if (segments_[i].live && read_by(segments_[i], type))
        by_type_[t].push_back(static_cast<uint32_t>(i));
    }
  }
}

Flow Segments::on_event(const EventRef& event, Context& ctx) {
  const EventTime now = std::max(event.time(), ctx.watermark());
  const size_t type = event.type().value();
  if (type >= by_type_.size()) {  // not a type of the topology: check everything, to be safe
    step_all(ctx, now, "event");
    return Flow::kPass;
  }
  for (uint32_t i : by_type_[type])
    step(i, ctx, now, "event");
  return Flow::kPass;
}

void Segments::on_timer(const TimerFiring& timer, Context& ctx) {
  const size_t index = timer.tag >> 16;
  if (index >= segments_.size()) return;
  const Segment& seg = segments_[index];
  // A timer of a segment deleted (or deleted and defined again) since it was set is stale.
  if (!seg.live || (timer.tag & kGenerationMask) != seg.generation) return;
  set_bit(dwelling_, timer.slot, index, false);
  step(index, ctx, timer.time, "dwell_ended");
}

int64_t Segments::next_sweep_after(int64_t watermark) const {
  const int64_t interval = sweep_interval_ms_;
  if (watermark >= std::numeric_limits<int64_t>::max() - 2 * interval)
    return std::numeric_limits<int64_t>::max();
  // Before any input: any later time will do, the first real watermark sweeps.
  if (watermark <= std::numeric_limits<int64_t>::min() + 2 * interval) return watermark + 1;
  const int64_t shifted = watermark - sweep_phase_ms_;
  const int64_t k = shifted / interval - (shifted % interval < 0 ? 1 : 0);  // floor
  return (k + 1) * interval + sweep_phase_ms_;
}

void Segments::on_watermark(EventTime watermark, KeyVisitor& keys) {
  if (watermark.value() < next_sweep_) return;
  next_sweep_ = next_sweep_after(watermark.value());
  std::vector<size_t> aging;
  for (size_t i = 0; i < segments_.size(); ++i) {
    const Segment& seg = segments_[i];
    if (seg.live && (seg.enter->depends_on_time() || (seg.exit && seg.exit->depends_on_time()))) {
      aging.push_back(i);
    }
  }
  if (aging.empty()) return;
  keys.visit_all([&](Context& ctx) {
    for (size_t i : aging)
      step(i, ctx, watermark, "time");
  });
}

void Segments::move_key_out(StateWriter& out, Context& ctx) {
  // Membership follows from the features, which the other operators move: nothing to carry.
  out.put<uint8_t>(kMoveFormat);
  const uint32_t slot = ctx.slot();
  std::vector<size_t> left;
  for (size_t i = 0; i < segments_.size(); ++i) {
    if (segments_[i].live && bit(member_, slot, i)) left.push_back(i);
  }
  // Cleared before emitting, so that what the exits reach sees the key out already. The runtime
  // has cancelled the key's dwell timers.
  const auto first = static_cast<ptrdiff_t>(size_t{slot} * words_);
  std::fill_n(member_.begin() + first, words_, 0);
  std::fill_n(dwelling_.begin() + first, words_, 0);
  for (size_t i : left)
    emit_change(i, ctx, ctx.watermark(), false, kMergeReason);
}

Status Segments::merge_key_in(StateReader& in, Context& ctx) {
  const auto format = in.get<uint8_t>();
  if (!in.ok()) return {Errc::kCorrupt, "a moved key's segments are truncated"};
  if (format != kMoveFormat) {
    return {Errc::kCorrupt, "a moved key's segments have format " + std::to_string(format)};
  }
  // The operators before this one have merged their features already.
  step_all(ctx, ctx.watermark(), kMergeReason);
  return {};
}

boost::json::object Segments::Definition::to_json() const {
  boost::json::object o{{"id", id}, {"enter", enter}, {"min_dwell_ms", min_dwell_ms}};
  if (!exit.empty()) o["exit"] = exit;
  return o;
}

void Segments::snapshot(StateWriter& out) const {
  out.put<uint32_t>(static_cast<uint32_t>(segments_.size()));
  for (const Segment& seg : segments_) {
    out.put<uint8_t>(seg.live ? 1 : 0);
    out.put<uint32_t>(seg.generation);
    out.put_string(seg.def.id);
    out.put_string(seg.def.enter);
    out.put_string(seg.def.exit);
    out.put<int64_t>(seg.def.min_dwell_ms);
  }
  out.put<uint64_t>(words_);
  out.put<uint64_t>(slots_);
  for (uint64_t w : member_)
    out.put<uint64_t>(w);
  for (uint64_t w : dwelling_)
    out.put<uint64_t>(w);
  out.put<int64_t>(next_sweep_);
}

Status Segments::restore(StateReader& in, uint32_t slot_count) {
  const auto count = in.get<uint32_t>();
  if (count > max_segments_) return {Errc::kCorrupt, "more segments than max_segments"};
  segments_.clear();
  segments_.resize(count);
  for (Segment& seg : segments_) {
    seg.live = in.get<uint8_t>() != 0;
    seg.generation = in.get<uint32_t>();
    seg.def.id = in.get_string();
    seg.def.enter = in.get_string();
    seg.def.exit = in.get_string();
    seg.def.min_dwell_ms = in.get<int64_t>();
    if (!in.ok()) return {Errc::kCorrupt, "segment definitions are truncated"};
    if (!seg.live) continue;
    auto enter = SegmentRule::compile(seg.def.enter, *catalog_);
    if (!enter)
      return {Errc::kCorrupt, "segment '" + seg.def.id + "': " + enter.status().message()};
    seg.enter = std::move(enter).value();
    if (!seg.def.exit.empty()) {
      auto exit = SegmentRule::compile(seg.def.exit, *catalog_);
      if (!exit)
        return {Errc::kCorrupt, "segment '" + seg.def.id + "': " + exit.status().message()};
      seg.exit = std::move(exit).value();
    }
  }
  words_ = in.get<uint64_t>();
  const auto slots = in.get<uint64_t>();
  if (!in.ok() || slots != slot_count || words_ == 0 || words_ * 64 < segments_.size()) {
    return {Errc::kCorrupt, "segment membership does not match the keys"};
  }
  slots_ = slot_count;
  member_.assign(slots * words_, 0);
  dwelling_.assign(slots * words_, 0);
  for (uint64_t& w : member_)
    w = in.get<uint64_t>();
  for (uint64_t& w : dwelling_)
    w = in.get<uint64_t>();
  next_sweep_ = in.get<int64_t>();
  if (!in.ok()) return {Errc::kCorrupt, "segment membership is truncated"};
  index_by_type();
  for (size_t i = 0; i < segments_.size(); ++i) {
    for (uint32_t s = 0; s < slots_; ++s)
      segments_[i].members += bit(member_, s, i) ? 1 : 0;
  }
  return {};
}

void Segments::on_query(uint32_t slot, EventTime /*now*/, boost::json::object& out) const {
  boost::json::array list;
  for (size_t i = 0; i < segments_.size(); ++i) {
    if (segments_[i].live && bit(member_, slot, i)) list.emplace_back(segments_[i].def.id);
  }
  out["segments"] = std::move(list);
}

std::vector<std::pair<Segments::Definition, uint64_t>> Segments::definitions() const {
  std::vector<std::pair<Definition, uint64_t>> out;
  for (const Segment& seg : segments_) {
    if (seg.live) out.emplace_back(seg.def, seg.members);
  }
  return out;
}

std::optional<std::vector<Segments::Member>> Segments::members(std::string_view id,
                                                               const KeySlots& slots,
                                                               uint64_t after, size_t limit) const {
  auto index = find(id);
  if (!index) return std::nullopt;
  std::vector<Member> out;
  for (uint32_t s = 0; s < slots_ && s < slots.size(); ++s) {
    if (!bit(member_, s, *index) || slots.hash(s).value() <= after) continue;
    out.push_back({slots.hash(s), std::string(slots.key(s))});
  }
  std::sort(out.begin(), out.end(),
            [](const Member& a, const Member& b) { return a.hash < b.hash; });
  if (out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace eddy
