#pragma once

#include <string>
#include <vector>

#include "runtime/operator.h"
#include "runtime/operator_registry.h"

namespace eddy::testing {

// Sets a timer `delay_ms` after every event of the key and, when it fires, emits "Timer Fired"
// with the due time as its amount. An event of type "Cancel" cancels the key's pending timers.
// Takes late events only through the runtime's policy (they go to the "late" side output).
class TimerEcho final : public Operator {
 public:
  static Result<std::unique_ptr<Operator>> create(const OperatorArgs& args);

  void on_new_slot(uint32_t slot) override;
  Flow on_event(const EventRef& event, Context& ctx) override;
  void on_timer(const TimerFiring& timer, Context& ctx) override;
  void snapshot(StateWriter& out) const override;
  Status restore(StateReader& in, uint32_t slot_count) override;
  void on_query(uint32_t slot, EventTime now, boost::json::object& out) const override;

 private:
  int64_t delay_ms_ = 0;
  EventType fired_;
  EventType cancel_;
  std::vector<std::vector<int64_t>> pending_;  // per slot: due times of armed timers
};

// Drops every event of the configured type and passes the rest: exercises Flow::kDrop.
class DropType final : public Operator {
 public:
  static Result<std::unique_ptr<Operator>> create(const OperatorArgs& args);
  void on_new_slot(uint32_t) override {}
  Flow on_event(const EventRef& event, Context& ctx) override;
  void snapshot(StateWriter&) const override {}
  Status restore(StateReader&, uint32_t) override { return {}; }

 private:
  EventType type_;
};

// Rejects events with a negative amount, under the reason "negative_amount".
class RejectNegative final : public Operator {
 public:
  static Result<std::unique_ptr<Operator>> create(const OperatorArgs&);
  void on_new_slot(uint32_t) override {}
  Flow on_event(const EventRef& event, Context& ctx) override;
  void snapshot(StateWriter&) const override {}
  Status restore(StateReader&, uint32_t) override { return {}; }
  // A validator checks late events too.
  LatenessPolicy lateness_policy() const override { return LatenessPolicy::kDeliver; }
};

// A label set by commands ({"label": "..."}) and answered by every key's query: state that only a
// command changes, for checking where commands fall relative to a snapshot.
class Labeller final : public Operator {
 public:
  static Result<std::unique_ptr<Operator>> create(const OperatorArgs&);
  void on_new_slot(uint32_t) override {}
  Flow on_event(const EventRef&, Context&) override { return Flow::kPass; }
  Status on_command(const boost::json::object& command, KeyVisitor& keys) override;
  void on_query(uint32_t slot, EventTime now, boost::json::object& out) const override;
  void snapshot(StateWriter& out) const override { out.put_string(label_); }
  Status restore(StateReader& in, uint32_t) override;

 private:
  std::string label_ = "none";
};

// The built-in operators plus the test operators above ("timer_echo", "drop_type",
// "reject_negative", "labeller").
std::shared_ptr<OperatorRegistry> test_registry();

}  // namespace eddy::testing
