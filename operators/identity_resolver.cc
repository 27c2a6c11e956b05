#include "operators/identity_resolver.h"

#include "runtime/batch_builder.h"
#include "runtime/event_types.h"
#include "runtime/string_prop.h"

namespace eddy {

void emit_link_marker(Context& ctx, EventType type, std::string_view customer,
                      std::string_view from, std::string_view to, bool moves, EventTime time,
                      std::span<const PropDraft> extra) {
  std::vector<PropDraft> props{{kCustomerProperty, PropValue::of_string(customer)},
                               {"from", PropValue::of_string(from)},
                               {"to", PropValue::of_string(to)},
                               {"moves", PropValue::of_bool(moves)}};
  props.insert(props.end(), extra.begin(), extra.end());
  EventDraft d;
  d.type = type;
  d.time = time;
  d.props = props;
  ctx.emit(d);
}

std::string_view customer_key(const EventRef& event) {
  if (std::string_view c = string_prop(event, kCustomerProperty); !c.empty()) return c;
  if (std::string_view u = string_prop(event, kUserIdProperty); !u.empty()) return u;
  return event.key();
}

Result<std::unique_ptr<Operator>> IdentityResolver::create(const OperatorArgs& args) {
  if (!args.config.empty())
    return {Errc::kInvalidArgument, "the identity operator takes no config"};
  auto op = std::make_unique<IdentityResolver>();
  op->linked_type_ = args.types.find(kIdentityLinkedType);
  op->erased_type_ = args.types.find(kCustomerErasedType);
  for (const EventType t : {op->linked_type_, op->erased_type_}) {
    if (t == EventTypeRegistry::kUnknown) {
      return {Errc::kInvalidArgument, "the topology must accept '" +
                                          std::string(kIdentityLinkedType) + "' and '" +
                                          std::string(kCustomerErasedType) + "'"};
    }
  }
  return std::unique_ptr<Operator>(std::move(op));
}

void IdentityResolver::on_new_slot(uint32_t slot) {
  if (slot >= ids_.size()) ids_.resize(slot + 1);
}

Flow IdentityResolver::on_event(const EventRef& event, Context& ctx) {
  Identity& id = ids_[ctx.slot()];
  if (event.type() == erased_type_) {
    // Copied first: rerouting emits, and the event's bytes may move.
    const std::string customer = std::move(id.customer);
    id = Identity{};
    if (!customer.empty()) reroute(event, customer, ctx);
    ctx.erase_key();
    return Flow::kPass;  // to the identifier's own profile: its key is the event's
  }
  const std::string_view user = string_prop(event, kUserIdProperty);
  if (user.empty()) {
    if (id.customer.empty()) {
      id.routed_self = true;
      return Flow::kPass;
    }
    if (event.prop_count() >= kMaxBagProperties) {
      // No room for the customer: kept visible on the identifier's own profile, not lost.
      ctx.reject(event, "no_room_to_reroute");
      return Flow::kPass;
    }
    reroute(event, id.customer, ctx);
    return Flow::kDrop;
  }
  if (user == ctx.key()) {
    id.known = true;
    return Flow::kPass;
  }
  if (id.customer == user) return Flow::kPass;
  if (!id.customer.empty() || id.known) {
    ++id.conflicts;
    ctx.side_output(kIdentityConflictsOutput, event);
    return Flow::kPass;
  }
  link(id, user, event, ctx);
  return Flow::kPass;
}

void IdentityResolver::link(Identity& id, std::string_view user, const EventRef& event,
                            Context& ctx) {
  // Read before emitting: emitting may move the bytes `user` points into.
  id.customer = user;
  id.linked_ms = event.time().value();
  const std::string from(ctx.key());
  if (id.routed_self)
    emit_link_marker(ctx, linked_type_, from, from, id.customer, true, event.time());
  emit_link_marker(ctx, linked_type_, id.customer, from, id.customer, id.routed_self, event.time());
}

void IdentityResolver::reroute(const EventRef& event, std::string_view customer, Context& ctx) {
  const std::string to(customer);
  props_.clear();
  for (size_t i = 0; i < event.prop_count(); ++i)
    props_.push_back({event.prop_name(i), event.prop_value(i)});
  props_.push_back({kCustomerProperty, PropValue::of_string(to)});
  EventDraft d;
  d.type = event.type();
  d.time = event.time();
  d.amount = event.amount();
  d.quantity = event.quantity();
  d.item = event.item();
  d.offset = event.offset();
  d.props = props_;
  ctx.emit(d);
}

void IdentityResolver::snapshot(StateWriter& out) const {
  out.put<uint64_t>(ids_.size());
  for (const Identity& id : ids_) {
    out.put_string(id.customer);
    out.put<int64_t>(id.linked_ms);
    out.put<uint32_t>(id.conflicts);
    out.put<uint8_t>(static_cast<uint8_t>((id.routed_self ? 1 : 0) | (id.known ? 2 : 0)));
  }
}

Status IdentityResolver::restore(StateReader& in, uint32_t slot_count) {
  const auto n = in.get<uint64_t>();
  if (!in.ok() || n != slot_count) {
    return {Errc::kCorrupt, "identity state holds " + std::to_string(n) + " keys, expected " +
                                std::to_string(slot_count)};
  }
  ids_.assign(n, {});
  for (Identity& id : ids_) {
    id.customer = in.get_string();
    id.linked_ms = in.get<int64_t>();
    id.conflicts = in.get<uint32_t>();
    const auto flags = in.get<uint8_t>();
    id.routed_self = (flags & 1) != 0;
    id.known = (flags & 2) != 0;
  }
  if (!in.ok()) return {Errc::kCorrupt, "identity state is truncated"};
  return {};
}

void IdentityResolver::on_query(uint32_t slot, EventTime /*now*/, boost::json::object& out) const {
  const Identity& id = ids_[slot];
  boost::json::object o;
  if (id.customer.empty()) {
    o["customer"] = nullptr;
  } else {
    o["customer"] = id.customer;
    o["linked_ms"] = id.linked_ms;
  }
  o["known"] = id.known;
  o["conflicts"] = id.conflicts;
  out["identity"] = std::move(o);
}

}  // namespace eddy
