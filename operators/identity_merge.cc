#include "operators/identity_merge.h"

#include <algorithm>
#include <boost/json/array.hpp>

#include "operators/identity_resolver.h"
#include "runtime/event_types.h"

namespace eddy {

Result<std::unique_ptr<Operator>> IdentityMerge::create(const OperatorArgs& args) {
  auto op = std::make_unique<IdentityMerge>();
  for (const auto& [name, value] : args.config) {
    if (name != "max_listed") {
      return {Errc::kInvalidArgument, "unknown key '" + std::string(name) + "'"};
    }
    if (!value.is_int64() || value.as_int64() < 1 || value.as_int64() > 10'000) {
      return {Errc::kInvalidArgument, "'max_listed' must be an integer in 1..10000"};
    }
    op->max_listed_ = static_cast<uint32_t>(value.as_int64());
  }
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

void IdentityMerge::on_new_slot(uint32_t slot) {
  if (slot >= linked_.size()) linked_.resize(slot + 1);
}

Flow IdentityMerge::on_event(const EventRef& event, Context& ctx) {
  if (event.type() == erased_type_) {
    ctx.erase_key();
    return Flow::kDrop;
  }
  if (event.type() != linked_type_) return Flow::kPass;
  const PropValue from = event.prop("from");
  const PropValue to = event.prop("to");
  if (from.kind() != PropKind::kString || to.kind() != PropKind::kString) {
    ctx.reject(event, "identity_marker_incomplete");
    return Flow::kDrop;
  }
  const bool moves = event.prop("moves") == PropValue::of_bool(true);
  if (ctx.key() == from.as_string()) {
    ctx.move_key_to(to.as_string());
  } else if (ctx.key() == to.as_string()) {
    add(linked_[ctx.slot()], from.as_string());
    if (moves) ctx.expect_key_from(from.as_string());
  }
  return Flow::kDrop;
}

void IdentityMerge::add(Linked& linked, std::string_view id) const {
  if (std::find(linked.ids.begin(), linked.ids.end(), id) != linked.ids.end()) return;
  if (linked.ids.size() >= max_listed_) {
    ++linked.unlisted;
    return;
  }
  linked.ids.emplace_back(id);
}

void IdentityMerge::move_key_out(StateWriter& out, Context& ctx) {
  Linked& linked = linked_[ctx.slot()];
  out.put<uint32_t>(static_cast<uint32_t>(linked.ids.size()));
  for (const std::string& id : linked.ids)
    out.put_string(id);
  out.put<uint32_t>(linked.unlisted);
  linked = {};
}

Status IdentityMerge::merge_key_in(StateReader& in, Context& ctx) {
  Linked& linked = linked_[ctx.slot()];
  const auto n = in.get<uint32_t>();
  for (uint32_t i = 0; i < n && in.ok(); ++i)
    add(linked, in.get_string());
  linked.unlisted += in.get<uint32_t>();
  if (!in.ok()) return {Errc::kCorrupt, "moved identities are truncated"};
  return {};
}

void IdentityMerge::snapshot(StateWriter& out) const {
  out.put<uint64_t>(linked_.size());
  for (const Linked& linked : linked_) {
    out.put<uint32_t>(static_cast<uint32_t>(linked.ids.size()));
    for (const std::string& id : linked.ids)
      out.put_string(id);
    out.put<uint32_t>(linked.unlisted);
  }
}

Status IdentityMerge::restore(StateReader& in, uint32_t slot_count) {
  const auto n = in.get<uint64_t>();
  if (!in.ok() || n != slot_count) {
    return {Errc::kCorrupt, "identity merge state holds " + std::to_string(n) + " keys, expected " +
                                std::to_string(slot_count)};
  }
  linked_.assign(n, {});
  for (Linked& linked : linked_) {
    const auto count = in.get<uint32_t>();
    for (uint32_t i = 0; i < count && in.ok(); ++i)
      linked.ids.push_back(in.get_string());
    linked.unlisted = in.get<uint32_t>();
  }
  if (!in.ok()) return {Errc::kCorrupt, "identity merge state is truncated"};
  return {};
}

void IdentityMerge::on_query(uint32_t slot, EventTime /*now*/, boost::json::object& out) const {
  const Linked& linked = linked_[slot];
  boost::json::array ids;
  for (const std::string& id : linked.ids)
    ids.emplace_back(id);
  out["identities"] =
      boost::json::object{{"linked", std::move(ids)}, {"unlisted", linked.unlisted}};
}

}  // namespace eddy
