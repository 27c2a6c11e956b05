#include "tests/harness/test_operators.h"

#include <algorithm>
#include <boost/json/array.hpp>

#include "operators/builtin.h"
#include "runtime/event_types.h"

namespace eddy::testing {

Result<std::unique_ptr<Operator>> TimerEcho::create(const OperatorArgs& args) {
  auto op = std::make_unique<TimerEcho>();
  const auto* delay = args.config.if_contains("delay_ms");
  if (delay == nullptr || !delay->is_int64() || delay->as_int64() < 0) {
    return {Errc::kInvalidArgument, "'delay_ms' must be a non-negative whole number"};
  }
  op->delay_ms_ = delay->as_int64();
  op->fired_ = args.types.find("Timer Fired");
  op->cancel_ = args.types.find("Cancel");
  if (op->fired_ == EventTypeRegistry::kUnknown) {
    return {Errc::kInvalidArgument, "the topology must accept 'Timer Fired'"};
  }
  return std::unique_ptr<Operator>(std::move(op));
}

void TimerEcho::on_new_slot(uint32_t slot) {
  if (slot >= pending_.size()) pending_.resize(slot + 1);
}

Flow TimerEcho::on_event(const EventRef& event, Context& ctx) {
  auto& pending = pending_[ctx.slot()];
  if (event.type() == cancel_) {
    for (int64_t due : pending)
      ctx.cancel_timer(EventTime(due), 0);
    pending.clear();
    return Flow::kPass;
  }
  if (event.type() == fired_) return Flow::kPass;
  const int64_t due = event.time().value() + delay_ms_;
  ctx.set_timer(EventTime(due), 0);
  if (std::find(pending.begin(), pending.end(), due) == pending.end()) pending.push_back(due);
  return Flow::kPass;
}

void TimerEcho::on_timer(const TimerFiring& timer, Context& ctx) {
  auto& pending = pending_[timer.slot];
  pending.erase(std::remove(pending.begin(), pending.end(), timer.time.value()), pending.end());
  EventDraft d;
  d.type = fired_;
  d.time = timer.time;
  d.amount = static_cast<double>(timer.time.value());
  ctx.emit(d);
}

void TimerEcho::snapshot(StateWriter& out) const {
  out.put<uint64_t>(pending_.size());
  for (const auto& p : pending_) {
    out.put<uint64_t>(p.size());
    for (int64_t t : p)
      out.put<int64_t>(t);
  }
}

Status TimerEcho::restore(StateReader& in, uint32_t slot_count) {
  const auto n = in.get<uint64_t>();
  if (n != slot_count) return {Errc::kCorrupt, "slot count differs"};
  pending_.assign(n, {});
  for (auto& p : pending_) {
    const auto k = in.get<uint64_t>();
    for (uint64_t i = 0; i < k && in.ok(); ++i)
      p.push_back(in.get<int64_t>());
  }
  return in.ok() ? Status() : Status(Errc::kCorrupt, "truncated");
}

void TimerEcho::on_query(uint32_t slot, EventTime /*now*/, boost::json::object& out) const {
  boost::json::array due;
  for (int64_t t : pending_[slot])
    due.push_back(t);
  out["pending_timers"] = std::move(due);
}

Result<std::unique_ptr<Operator>> DropType::create(const OperatorArgs& args) {
  auto op = std::make_unique<DropType>();
  const auto* type = args.config.if_contains("type");
  if (type == nullptr || !type->is_string()) return {Errc::kInvalidArgument, "'type' is required"};
  op->type_ = args.types.find(type->as_string());
  return std::unique_ptr<Operator>(std::move(op));
}

Flow DropType::on_event(const EventRef& event, Context&) {
  return event.type() == type_ ? Flow::kDrop : Flow::kPass;
}

Result<std::unique_ptr<Operator>> RejectNegative::create(const OperatorArgs&) {
  return std::unique_ptr<Operator>(std::make_unique<RejectNegative>());
}

Flow RejectNegative::on_event(const EventRef& event, Context& ctx) {
  if (event.amount() < 0) {
    ctx.reject(event, "negative_amount");
    return Flow::kDrop;
  }
  return Flow::kPass;
}

Result<std::unique_ptr<Operator>> Labeller::create(const OperatorArgs&) {
  return std::unique_ptr<Operator>(std::make_unique<Labeller>());
}

Status Labeller::on_command(const boost::json::object& command, KeyVisitor&) {
  const auto* label = command.if_contains("label");
  if (label == nullptr || !label->is_string())
    return {Errc::kInvalidArgument, "'label' is required"};
  label_ = std::string(label->get_string());
  return {};
}

void Labeller::on_query(uint32_t, EventTime, boost::json::object& out) const {
  out["label"] = label_;
}

Status Labeller::restore(StateReader& in, uint32_t) {
  label_ = in.get_string();
  return in.ok() ? Status() : Status(Errc::kCorrupt, "labeller: truncated");
}

std::shared_ptr<OperatorRegistry> test_registry() {
  auto r = std::make_shared<OperatorRegistry>();
  (void)register_builtin_operators(*r);
  (void)r->add("timer_echo", &TimerEcho::create);
  (void)r->add("drop_type", &DropType::create);
  (void)r->add("reject_negative", &RejectNegative::create);
  (void)r->add("labeller", &Labeller::create);
  return r;
}

}  // namespace eddy::testing
