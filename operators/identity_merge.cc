#include "operators/identity_merge.h"

#include <algorithm>
#include <boost/json/array.hpp>

#include "operators/identity_resolver.h"
#include "runtime/event_types.h"
#include "runtime/string_prop.h"

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

IdentityMerge::Why IdentityMerge::why_of(const EventRef& marker) {
  Why why;
  why.reason = string_prop(marker, "reason");
  why.matched = string_prop(marker, "matched");
  const PropValue score = marker.prop("score");
  why.score = score.kind() == PropKind::kDouble ? score.as_double() : 0;
  return why;
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
    add(linked_[ctx.slot()], from.as_string(), why_of(event));
    if (moves) ctx.expect_key_from(from.as_string());
  }
  return Flow::kDrop;
}

void IdentityMerge::add(Linked& linked, std::string_view id, Why why) const {
  if (std::find(linked.ids.begin(), linked.ids.end(), id) != linked.ids.end()) return;
  if (linked.ids.size() >= max_listed_) {
    ++linked.unlisted;
    return;
  }
  linked.ids.emplace_back(id);
  linked.why.push_back(std::move(why));
}

void IdentityMerge::write_linked(StateWriter& out, const Linked& linked) {
  out.put<uint32_t>(static_cast<uint32_t>(linked.ids.size()));
  for (size_t i = 0; i < linked.ids.size(); ++i) {
    out.put_string(linked.ids[i]);
    out.put_string(linked.why[i].reason);
    if (linked.why[i].reason.empty()) continue;
    out.put_string(linked.why[i].matched);
    out.put<double>(linked.why[i].score);
  }
  out.put<uint32_t>(linked.unlisted);
}

Status IdentityMerge::read_linked(StateReader& in, Linked& linked) const {
  const auto n = in.get<uint32_t>();
  for (uint32_t i = 0; i < n && in.ok(); ++i) {
    std::string id = in.get_string();
    Why why;
    why.reason = in.get_string();
    if (!why.reason.empty()) {
      why.matched = in.get_string();
      why.score = in.get<double>();
    }
    add(linked, id, std::move(why));
  }
  linked.unlisted += in.get<uint32_t>();
  if (!in.ok()) return {Errc::kCorrupt, "identities are truncated"};
  return {};
}

void IdentityMerge::move_key_out(StateWriter& out, Context& ctx) {
  write_linked(out, linked_[ctx.slot()]);
  linked_[ctx.slot()] = {};
}

Status IdentityMerge::merge_key_in(StateReader& in, Context& ctx) {
  return read_linked(in, linked_[ctx.slot()]);
}

void IdentityMerge::snapshot(StateWriter& out) const {
  out.put<uint64_t>(linked_.size());
  for (const Linked& linked : linked_)
    write_linked(out, linked);
}

Status IdentityMerge::restore(StateReader& in, uint32_t slot_count) {
  const auto n = in.get<uint64_t>();
  if (!in.ok() || n != slot_count) {
    return {Errc::kCorrupt, "identity merge state holds " + std::to_string(n) + " keys, expected " +
                                std::to_string(slot_count)};
  }
  linked_.assign(n, {});
  for (Linked& linked : linked_) {
    if (Status s = read_linked(in, linked); !s) return s;
  }
  return {};
}

void IdentityMerge::on_query(uint32_t slot, EventTime /*now*/, boost::json::object& out) const {
  const Linked& linked = linked_[slot];
  boost::json::array ids;
  for (const std::string& id : linked.ids)
    ids.emplace_back(id);
  boost::json::object identities{{"linked", std::move(ids)}, {"unlisted", linked.unlisted}};
  boost::json::array matched;
  for (size_t i = 0; i < linked.ids.size(); ++i) {
    const Why& why = linked.why[i];
    if (why.reason.empty()) continue;
    matched.push_back(boost::json::object{{"id", linked.ids[i]},
                                          {"reason", why.reason},
                                          {"score", why.score},
                                          {"with", why.matched}});
  }
  if (!matched.empty()) identities["matched"] = std::move(matched);
  out["identities"] = std::move(identities);
}

}  // namespace eddy
