#include "runtime/stage_instance.h"

#include <limits>

#include "runtime/key_hash.h"

namespace eddy {

class StageInstance::Ctx final : public Context {
 public:
  Ctx(StageInstance& stage, uint32_t slot, size_t op, EventTime watermark, StageOutput& out,
      bool* reported_late = nullptr)
      : stage_(stage),
        slot_(slot),
        op_(op),
        watermark_(watermark),
        out_(out),
        reported_late_(reported_late) {}

  uint32_t slot() const override { return slot_; }
  KeyHash key_hash() const override { return stage_.slots_.hash(slot_); }
  std::string_view key() const override { return stage_.slots_.key(slot_); }
  KeyGroup key_group() const override { return stage_.group_; }
  EventTime watermark() const override { return watermark_; }
  EventTime allowed_lateness() const override { return stage_.allowed_lateness_; }

  bool is_late(EventTime t) const override {
    if (watermark_ == kMinEventTime) return false;
    // Saturating: a huge allowed lateness must not wrap around.
    const int64_t lateness = stage_.allowed_lateness_.value();
    const int64_t wm = watermark_.value();
    if (wm < std::numeric_limits<int64_t>::min() + lateness) return false;
    return t.value() < wm - lateness;
  }

  void set_timer(EventTime t, uint32_t tag) override { stage_.timers_.set(timer(t, tag)); }
  void cancel_timer(EventTime t, uint32_t tag) override { stage_.timers_.cancel(timer(t, tag)); }

  void emit(const EventDraft& draft) override {
    EventDraft own = draft;
    own.key = stage_.slots_.key(slot_);
    EventRef ref = stage_.scratch_.add(own, key_hash());
    stage_.run_chain(op_ + 1, ref, slot_, watermark_, out_, Origin::kDerived);
  }

  void side_output(std::string_view name, const EventRef& event) override {
    // An operator that reports the event late itself spares the later ones reporting it again.
    if (name == kLateOutput && reported_late_ != nullptr) {
      if (*reported_late_) return;
      *reported_late_ = true;
    }
    out_.side_output(stage_.stage_, name, event);
  }

  void reject(const EventRef& event, std::string_view reason) override {
    out_.rejected(stage_.stage_, reason, event);
  }

  void move_key_to(std::string_view into) override {
    if (!out_.moves_keys() || into.empty() || into == key()) return;
    stage_.pending_move_ = PendingMove{slot_, key_hash(), std::string(into)};
  }

  void erase_key() override { stage_.pending_move_ = PendingMove{slot_, key_hash(), {}}; }

  void expect_key_from(std::string_view from) override {
    if (!out_.moves_keys() || from.empty() || from == key()) return;
    out_.expect_key(stage_.stage_, key_hash(), hash_key(from));
  }

 private:
  TimerService::Timer timer(EventTime t, uint32_t tag) const {
    return {t, key_hash(), static_cast<uint16_t>(op_), tag, slot_, stage_.generations_[slot_]};
  }

  StageInstance& stage_;
  uint32_t slot_;
  size_t op_;
  EventTime watermark_;
  StageOutput& out_;
  bool* reported_late_;
};

class StageInstance::Visitor final : public KeyVisitor {
 public:
  Visitor(StageInstance& stage, size_t op, EventTime watermark, StageOutput& out)
      : stage_(stage), op_(op), watermark_(watermark), out_(out) {}

  EventTime watermark() const override { return watermark_; }
  uint32_t key_count() const override { return static_cast<uint32_t>(stage_.slots_.size()); }
  void visit(uint32_t slot, const std::function<void(Context&)>& fn) override {
    if (!stage_.slots_.is_live(slot)) return;  // its key is gone; the slot waits for a new one
    Ctx ctx(stage_, slot, op_, watermark_, out_);
    ++stage_.depth_;
    fn(ctx);
    if (--stage_.depth_ == 0) stage_.scratch_.clear();
  }

 private:
  StageInstance& stage_;
  size_t op_;
  EventTime watermark_;
  StageOutput& out_;
};

Result<std::unique_ptr<StageInstance>> StageInstance::create(const TopologySpec& spec,
                                                             StageId stage, KeyGroup group,
                                                             EventTime allowed_lateness) {
  auto ops = spec.instantiate(stage, group);
  if (!ops) return ops.status();
  std::unique_ptr<StageInstance> instance(new StageInstance(
      spec.stages()[stage.value()], stage, group, allowed_lateness, std::move(ops).value()));
  if (Status s = instance->wire_features(); !s) return s;
  return instance;
}

Status StageInstance::wire_features() {
  for (size_t i = 0; i < ops_.size(); ++i) {
    if (Status s = ops_[i]->declare_features(features_); !s) {
      return {Errc::kInvalidTopology, "stage '" + spec_.name + "', operator '" +
                                          spec_.operators[i].name + "': " + s.message()};
    }
  }
  for (size_t i = 0; i < ops_.size(); ++i) {
    if (Status s = ops_[i]->bind_features(features_); !s) {
      return {Errc::kInvalidTopology, "stage '" + spec_.name + "', operator '" +
                                          spec_.operators[i].name + "': " + s.message()};
    }
  }
  return {};
}

StageInstance::StageInstance(const StageSpec& spec, StageId stage, KeyGroup group,
                             EventTime allowed_lateness, std::vector<std::unique_ptr<Operator>> ops)
    : spec_(spec),
      stage_(stage),
      group_(group),
      allowed_lateness_(allowed_lateness),
      ops_(std::move(ops)) {
  for (const auto& op : ops_)
    lateness_.push_back(op->lateness_policy());
}

size_t StageInstance::timer_count() const {
  return timers_.count(
      [this](const TimerService::Timer& t) { return t.generation == generations_[t.slot]; });
}

std::optional<size_t> StageInstance::find_operator(std::string_view name) const {
  for (size_t i = 0; i < spec_.operators.size(); ++i) {
    if (spec_.operators[i].name == name) return i;
  }
  return std::nullopt;
}

uint32_t StageInstance::slot_for(const EventRef& event) {
  return slot_for(event.key_hash(), event.key());
}

uint32_t StageInstance::slot_for(KeyHash hash, std::string_view key) {
  const KeySlots::Lookup found = slots_.find_or_add(hash, key);
  if (found.created) {
    // A reused slot keeps counting generations, so that timers of its former key stay dead.
    if (found.slot == generations_.size()) generations_.push_back(0);
    for (auto& op : ops_)
      op->on_new_slot(found.slot);
  }
  return found.slot;
}

void StageInstance::on_event(const EventRef& event, EventTime watermark, StageOutput& out) {
  on_event(event, prepare(event), watermark, out);
}

uint32_t StageInstance::prepare(const EventRef& event) {
  const uint32_t slot = slot_for(event);
  for (const auto& op : ops_)
    op->prefetch(slot);
  return slot;
}

void StageInstance::on_event(const EventRef& event, uint32_t slot, EventTime watermark,
                             StageOutput& out) {
  // An earlier event of the same run may have moved or erased this key since prepare(), and its
  // slot may then be free or another key's.
  if (!slots_.holds(slot, event.key_hash())) slot = prepare(event);
  ++depth_;
  run_chain(0, event, slot, watermark, out, Origin::kInput);
  if (--depth_ == 0) finish_event(out, watermark);
}

void StageInstance::finish_event(StageOutput& out, EventTime watermark) {
  if (pending_move_) {
    PendingMove move = std::move(*pending_move_);
    pending_move_.reset();
    if (slots_.holds(move.slot, move.key)) {
      std::string from(slots_.key(move.slot));  // before move_key_out forgets it
      auto state = move_key_out(move.key, watermark, out);
      // An erasure moves the state nowhere: its bytes are dropped here.
      if (!move.into.empty()) {
        const KeyHash into = hash_key(move.into);
        out.move_key(stage_, std::make_shared<const KeyMove>(
                                 KeyMove{std::move(from), move.key, std::move(move.into), into,
                                         std::move(state).value_or("")}));
      }
    }
  }
  if (!scratch_.empty()) scratch_.clear();
}

void StageInstance::run_chain(size_t first, const EventRef& event, uint32_t slot,
                              EventTime watermark, StageOutput& out, Origin origin) {
  bool reported_late = false;
  for (size_t i = first; i < ops_.size(); ++i) {
    Ctx ctx(*this, slot, i, watermark, out, &reported_late);
    // Only input can be late. An event an operator derives (a session closed by a timer after the
    // watermark jumped) carries the time it describes, which may well be behind the watermark.
    if (origin == Origin::kInput && lateness_[i] == LatenessPolicy::kSideOutput &&
        ctx.is_late(event.time())) {
      // Reported once per event however many operators skip it.
      if (!reported_late) out.side_output(stage_, kLateOutput, event);
      reported_late = true;
      continue;
    }
    if (ops_[i]->on_event(event, ctx) == Flow::kDrop) return;
  }
  out.output(stage_, event);
}

size_t StageInstance::on_watermark(EventTime watermark, StageOutput& out) {
  ++depth_;
  const size_t fired = timers_.fire_until(watermark, [&](const TimerService::Timer& t) {
    if (t.generation != generations_[t.slot]) return false;  // the key's state moved away since
    Ctx ctx(*this, t.slot, t.op, watermark, out);
    ops_[t.op]->on_timer(TimerFiring{t.time, t.slot, t.key_hash, t.tag}, ctx);
    return true;
  });
  if (--depth_ == 0) finish_event(out, watermark);
  for (size_t i = 0; i < ops_.size(); ++i) {
    Visitor keys(*this, i, watermark, out);
    ops_[i]->on_watermark(watermark, keys);
  }
  return fired;
}

Status StageInstance::command(size_t op, const boost::json::object& command, EventTime watermark,
                              StageOutput& out) {
  Visitor keys(*this, op, watermark, out);
  return ops_.at(op)->on_command(command, keys);
}

std::optional<std::string> StageInstance::move_key_out(KeyHash key, EventTime watermark,
                                                       StageOutput& out) {
  const auto slot = slots_.find(key);
  if (!slot) return std::nullopt;
  // Its timers die with this life of its state: skipped when due, rather than searched for now.
  ++generations_[*slot];
  StateWriter bytes;
  bytes.put<uint32_t>(static_cast<uint32_t>(ops_.size()));
  ++depth_;
  for (size_t i = 0; i < ops_.size(); ++i) {
    Ctx ctx(*this, *slot, i, watermark, out);
    const size_t mark = bytes.begin_nested();
    ops_[i]->move_key_out(bytes, ctx);
    bytes.end_nested(mark);
  }
  if (--depth_ == 0 && !scratch_.empty()) scratch_.clear();
  slots_.remove(key);
  return bytes.take();
}

Status StageInstance::merge_key_in(KeyHash hash, std::string_view key, std::string_view bytes,
                                   EventTime watermark, StageOutput& out) {
  StateReader in(bytes);
  const auto n = in.get<uint32_t>();
  if (!in.ok() || n != ops_.size()) {
    return {Errc::kCorrupt, "stage '" + spec_.name + "': a moved key holds " + std::to_string(n) +
                                " operators, the stage has " + std::to_string(ops_.size())};
  }
  const uint32_t slot = slot_for(hash, key);
  Status status;
  ++depth_;
  for (size_t i = 0; i < ops_.size() && status; ++i) {
    const std::string_view op_bytes = in.get_view();
    if (!in.ok()) {
      status = {Errc::kCorrupt, "stage '" + spec_.name + "': a moved key is truncated"};
      break;
    }
    StateReader op_in(op_bytes);
    Ctx ctx(*this, slot, i, watermark, out);
    if (Status s = ops_[i]->merge_key_in(op_in, ctx); !s) {
      status = {s.code(), "operator '" + spec_.operators[i].name + "': " + s.message()};
    }
  }
  if (--depth_ == 0 && !scratch_.empty()) scratch_.clear();
  return status;
}

std::optional<boost::json::object> StageInstance::query(KeyHash key, EventTime now) const {
  auto slot = slots_.find(key);
  if (!slot) return std::nullopt;
  return query_slot(*slot, now);
}

void StageInstance::find_keys(std::string_view arg, size_t limit,
                              std::vector<std::string>& out) const {
  for (uint32_t slot = 0; slot < slots_.size() && out.size() < limit; ++slot) {
    if (!slots_.is_live(slot)) continue;
    for (const auto& op : ops_) {
      if (op->key_matches(slot, arg)) {
        out.emplace_back(slots_.key(slot));
        break;
      }
    }
  }
}

std::optional<boost::json::object> StageInstance::lookup(KeyHash key, std::string_view arg) const {
  auto slot = slots_.find(key);
  if (!slot) return std::nullopt;
  boost::json::object out;
  for (const auto& op : ops_)
    op->on_lookup(*slot, arg, out);
  return out;
}

boost::json::object StageInstance::query_slot(uint32_t slot, EventTime now) const {
  boost::json::object out;
  for (const auto& op : ops_)
    op->on_query(slot, now, out);
  return out;
}

void StageInstance::snapshot(StateWriter& out) const {
  slots_.snapshot(out);
  timers_.snapshot(
      out, [this](const TimerService::Timer& t) { return t.generation == generations_[t.slot]; });
  out.put<uint32_t>(static_cast<uint32_t>(ops_.size()));
  for (const auto& op : ops_) {
    const size_t mark = out.begin_nested();
    op->snapshot(out);
    out.end_nested(mark);
  }
}

Status StageInstance::restore(StateReader& in) {
  if (Status s = slots_.restore(in); !s) return s;
  if (Status s = timers_.restore(in); !s) return s;
  generations_.assign(slots_.size(), 0);
  const auto n = in.get<uint32_t>();
  if (!in.ok() || n != ops_.size()) {
    return {Errc::kCorrupt, "stage '" + spec_.name + "': snapshot holds " + std::to_string(n) +
                                " operators, the topology has " + std::to_string(ops_.size())};
  }
  for (size_t i = 0; i < ops_.size(); ++i) {
    const std::string_view bytes = in.get_view();
    if (!in.ok()) return {Errc::kCorrupt, "stage '" + spec_.name + "': snapshot is truncated"};
    StateReader op_in(bytes);
    if (Status s = ops_[i]->restore(op_in, static_cast<uint32_t>(slots_.size())); !s) {
      return {s.code(), "operator '" + spec_.operators[i].name + "': " + s.message()};
    }
  }
  return {};
}

}  // namespace eddy
