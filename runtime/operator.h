#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <string_view>

#include "runtime/batch_builder.h"
#include "runtime/event.h"
#include "runtime/features.h"
#include "runtime/global_aggregate.h"
#include "runtime/ids.h"
#include "runtime/state_io.h"
#include "runtime/status.h"

namespace eddy {

// Threading contract of operators:
// - The runtime makes one instance of an operator per key group and stage; all calls on an instance
//   come from the one worker thread that owns the key group, never concurrently. An operator takes
//   no lock and starts no thread.
// - Keyed state is addressed by slot: the stage keeps one slot per key and every operator of the
//   stage indexes its own per-key state with the same slot (ctx.slot()), so that a fused stage
//   looks each key up once per event, not once per operator.
// - Calls for one key arrive in the order the input produced them. Across keys there is no order.
// - Views inside an EventRef are valid only during the call; copy what you keep.
// - snapshot() must write everything restore() needs to continue as if never interrupted:
//   restoring a snapshot and replaying the same input gives the same outputs.

// What happens to an event after an operator has seen it.
enum class Flow : uint8_t {
  kPass,  // hand it on to the next operator of the stage (and to the stage's output)
  kDrop,  // it stops here
};

// How the runtime treats events older than the watermark minus the allowed lateness.
enum class LatenessPolicy : uint8_t {
  kSideOutput,  // the runtime routes them to the "late" side output; the operator never sees them
  kDeliver,     // the operator sees them and decides (an aggregate whose window still covers them)
};

// A timer as it fires: which key it was set for and with what tag.
struct TimerFiring {
  EventTime time;
  uint32_t slot;
  KeyHash key_hash;
  uint32_t tag;
};

// The side outputs every stage has. Events sent there are counted per name and handed to a sink
// when one is bound to that name; never silently dropped.
inline constexpr std::string_view kLateOutput = "late";
inline constexpr std::string_view kRejectedOutput = "rejected";
inline constexpr std::string_view kUnroutableOutput = "unroutable";
// Binding a sink to this name sends it every side output that has no sink of its own.
inline constexpr std::string_view kAnySideOutput = "*";

// What an operator may do while handling an event or a timer. Bound to the current key.
class Context {
 public:
  virtual ~Context() = default;

  virtual uint32_t slot() const = 0;
  virtual KeyHash key_hash() const = 0;
  virtual std::string_view key() const = 0;
  virtual KeyGroup key_group() const = 0;
  virtual EventTime watermark() const = 0;
  virtual EventTime allowed_lateness() const = 0;
  // True when the event time is older than the watermark minus the allowed lateness. Only input
  // is ever routed as late by the runtime; events that operators emit are not.
  virtual bool is_late(EventTime t) const = 0;

  // Event-time timers for the current key and this operator. Setting the same (time, tag) twice
  // keeps one timer.
  virtual void set_timer(EventTime t, uint32_t tag) = 0;
  virtual void cancel_timer(EventTime t, uint32_t tag) = 0;

  // Identity resolution (see Operator::move_key_out). Moves every operator's state of the current
  // key to the key `into`, on whichever worker owns it, once the current event has passed the
  // stage; the current key then holds nothing. Only in a stage behind a key_by: the move is
  // ordered with snapshots through the exchange's aligned barriers.
  virtual void move_key_to(std::string_view into) = 0;
  // Says that a move from `from` into the current key is on its way, caused by the same input as
  // this event: the current key's events after this one wait until the move has arrived and been
  // merged, and so does the stage's next snapshot. Every expected move must come, or the key's
  // input waits for ever: pair each expect_key_from with its move_key_to in one upstream step.
  virtual void expect_key_from(std::string_view from) = 0;
  // Erasure of a customer's data: once the current event has passed the stage, every operator's
  // state of the current key is dropped (Operator::move_key_out, its bytes thrown away), its
  // timers die, and the stage forgets the key, which then answers no query and is in no snapshot.
  // An event for the key afterwards starts it afresh.
  virtual void erase_key() = 0;

  // Emits a new event for the current key. It goes through the rest of the stage's operators and
  // then to the stage's output. The draft's key is ignored: an operator emits for its own key.
  // Read what you need from the event at hand before emitting: if that event was itself emitted
  // by an earlier operator, emitting may move the bytes its string views point into.
  virtual void emit(const EventDraft& draft) = 0;
  // Sends an event to a named side output instead of downstream.
  virtual void side_output(std::string_view name, const EventRef& event) = 0;
  // An event the operator cannot use (an order without revenue, a negative price): counted under
  // the reason and sent to the "rejected" side output. It reports; whether the event goes on is
  // still the operator's Flow, and usually it should (kPass): later operators may well use it.
  virtual void reject(const EventRef& event, std::string_view reason) = 0;
};

// Lets an operator act on the keys it holds outside of an event: back-filling a segment defined at
// run time, re-checking a rule that ages with time. Each visit binds a Context to one key, so
// emits, timers and side outputs work as they do in on_event.
class KeyVisitor {
 public:
  virtual ~KeyVisitor() = default;
  virtual EventTime watermark() const = 0;
  virtual uint32_t key_count() const = 0;
  virtual void visit(uint32_t slot, const std::function<void(Context&)>& fn) = 0;
  void visit_all(const std::function<void(Context&)>& fn) {
    for (uint32_t slot = 0; slot < key_count(); ++slot)
      visit(slot, fn);
  }
};

class Operator {
 public:
  virtual ~Operator() = default;

  // Called once per new key before its first event, so the operator can size its per-slot state.
  virtual void on_new_slot(uint32_t slot) = 0;
  // A hint that an event for `slot` comes soon: start loading its state (__builtin_prefetch). The
  // worker looks up a run of events' keys first and handles them after, so that the cache misses
  // of several keys overlap instead of following one another.
  virtual void prefetch(uint32_t /*slot*/) const {}
  virtual Flow on_event(const EventRef& event, Context& ctx) = 0;
  virtual void on_timer(const TimerFiring& /*timer*/, Context& /*ctx*/) {}

  // Writes the state of every slot, in slot order; restore() receives the same bytes after the
  // stage has recreated the same slots (on_new_slot is not called again for restored slots).
  virtual void snapshot(StateWriter& out) const = 0;
  virtual Status restore(StateReader& in, uint32_t slot_count) = 0;

  // Describes the state of one key for a query, as of `now` (the stage's watermark on the owning
  // worker, so that values that age with time, such as days since the last order, are current).
  // Runs on the owning worker.
  virtual void on_query(uint32_t /*slot*/, EventTime /*now*/, boost::json::object& /*out*/) const {}
  // Answers a question about one key that names something inside its state (the customer index's
  // "which customer holds record `arg`"), where on_query would have to describe all of it. Runs on
  // the owning worker.
  virtual void on_lookup(uint32_t /*slot*/, std::string_view /*arg*/,
                         boost::json::object& /*out*/) const {}
  // Whether the key in `slot` is one a search for `arg` looks for (the identity resolver: the
  // identifiers linked to customer `arg`), for a search over every key of the stage
  // (Engine::find_keys). Runs on the owning worker, once per key: keep it cheap.
  virtual bool key_matches(uint32_t /*slot*/, std::string_view /*arg*/) const { return false; }

  // Identity resolution (operators/identity.h) learns that two keys are one customer and merges
  // the state of the key that goes away into the key that stays, through the exchange: the stage
  // moves every operator's state of the old key out, and the worker owning the surviving key
  // merges it in. The merged state must be what the operator would hold had the old key's events
  // carried the surviving key from the start, as far as its state can tell: counts and sums add,
  // histories interleave by time, a "first" keeps the earlier and a "last" the later.
  //
  // move_key_out writes the state of ctx.slot() for merge_key_in and then resets the slot to what
  // on_new_slot gave it, because the stage then forgets the key and gives the slot to the next new
  // one (on_new_slot is called again for it). The runtime has already cancelled the key's timers.
  // It may emit through ctx (a segment the old key leaves). Erasure (Context::erase_key) calls it
  // too and drops the bytes, so an operator whose per-key state may hold personal data must reset
  // all of it here. The default is for operators without per-key state: it writes nothing.
  virtual void move_key_out(StateWriter& /*out*/, Context& /*ctx*/) {}
  // Merges what move_key_out wrote (on another instance of the same operator, of any key group,
  // possibly a worker of another process generation) into ctx.slot(), re-arming timers and
  // emitting what changes (a segment entered, a lifecycle stage reached) through ctx.
  virtual Status merge_key_in(StateReader& /*in*/, Context& /*ctx*/) { return {}; }

  virtual LatenessPolicy lateness_policy() const { return LatenessPolicy::kSideOutput; }

  // Publishes per-key values other operators of the stage may read (segment rules). Called once,
  // right after the stage instance is made; getters may capture `this`.
  virtual Status declare_features(FeatureCatalog& /*catalog*/) { return {}; }
  // Looks up the features this operator reads; called after every operator declared its own. An
  // error (an unknown feature) fails the stage instance, and with it the topology's build.
  virtual Status bind_features(const FeatureCatalog& /*catalog*/) { return {}; }

  // A change of configuration at run time (a segment defined over REST), sent to every instance of
  // the operator in the order the engine received it. The engine first applies it to a probe
  // instance that holds no keys: an error there is returned to the caller and the command never
  // reaches a worker, so an instance must answer the same way whatever keys it holds.
  virtual Status on_command(const boost::json::object& /*command*/, KeyVisitor& /*keys*/) {
    return {Errc::kInvalidArgument, "this operator takes no commands"};
  }
  // Called after the timers due at a new watermark have fired.
  virtual void on_watermark(EventTime /*watermark*/, KeyVisitor& /*keys*/) {}

  // Global aggregates (runtime/global_aggregate.h): an operator that aggregates globally gives its
  // instance's contribution once per epoch of event time, and receives the merge over every key
  // group of the topology, the same on every worker, before the watermark that started the epoch
  // is handed on.
  virtual bool aggregates_globally() const { return false; }
  virtual std::unique_ptr<GlobalAggregate> local_aggregate() const { return nullptr; }
  virtual void on_global_aggregate(std::shared_ptr<const GlobalAggregate> /*merged*/,
                                   EventTime /*watermark*/) {}
};

}  // namespace eddy
