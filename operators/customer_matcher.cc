#include "operators/customer_matcher.h"

#include "connectors/match/customer_record_event.h"
#include "operators/identity_resolver.h"
#include "runtime/event_types.h"
#include "runtime/identity_fields.h"
#include "runtime/string_prop.h"

namespace eddy {
namespace {

Status read_number(const boost::json::object& config, std::string_view key, double min, double max,
                   double& out) {
  const auto* v = config.if_contains(key);
  if (v == nullptr) return {};
  if (!v->is_number() || v->to_number<double>() < min || v->to_number<double>() > max) {
    return {Errc::kInvalidArgument, "customer_matcher: '" + std::string(key) +
                                        "' must be a number in " + std::to_string(min) + ".." +
                                        std::to_string(max)};
  }
  out = v->to_number<double>();
  return {};
}

}  // namespace

Result<std::unique_ptr<Operator>> CustomerMatcher::create(const OperatorArgs& args) {
  auto op = std::make_unique<CustomerMatcher>();
  for (const auto& [key, value] : args.config) {
    if (key != "threshold" && key != "max_candidates_per_key")
      return {Errc::kInvalidArgument, "customer_matcher: unknown key '" + std::string(key) + "'"};
  }
  if (Status s = read_number(args.config, "threshold", 0.5, 1, op->settings_.threshold); !s)
    return s;
  double cap = static_cast<double>(op->settings_.max_candidates_per_key);
  if (Status s = read_number(args.config, "max_candidates_per_key", 1, 10000, cap); !s) return s;
  op->settings_.max_candidates_per_key = static_cast<size_t>(cap);

  op->record_type_ = args.types.find(kCustomerRecordType);
  op->matched_type_ = args.types.find(kCustomerMatchedType);
  op->linked_type_ = args.types.find(kIdentityLinkedType);
  op->erased_type_ = args.types.find(kCustomerErasedType);
  for (const std::string_view name :
       {kCustomerRecordType, kCustomerMatchedType, kIdentityLinkedType, kCustomerErasedType}) {
    if (args.types.find(name) == EventTypeRegistry::kUnknown) {
      return {Errc::kInvalidArgument,
              "customer_matcher: the topology must accept '" + std::string(name) + "'"};
    }
  }
  return std::unique_ptr<Operator>(std::move(op));
}

Flow CustomerMatcher::on_event(const EventRef& event, Context& ctx) {
  if (event.type() != record_type_ && event.type() != erased_type_) return Flow::kPass;
  if (ctx.key() != kCustomerIndexKey) {
    if (event.type() == erased_type_) return Flow::kPass;
    ctx.reject(event, "customer_record_not_on_index_key");
    return Flow::kDrop;
  }
  if (!index_) {
    index_ = std::make_unique<CustomerIndex>(settings_);
    index_slot_ = ctx.slot();
  }
  if (event.type() == record_type_) {
    match(event, ctx);
  } else {
    records_erased_ += index_->erase_customer(string_prop(event, kCustomerProperty));
  }
  return Flow::kDrop;
}

void CustomerMatcher::match(const EventRef& event, Context& ctx) {
  CustomerRecordEvent r = read_customer_record_event(event);
  if (r.record.id.empty()) {
    ctx.reject(event, "customer_record_without_id");
    return;
  }
  const std::string record_id = r.record.id;
  const CustomerIndex::Decision d = index_->add(std::move(r.record), r.known_user);
  ++outcomes_[static_cast<size_t>(d.outcome)];
  // Why, for the profile's list of identifiers (IdentityMerge keeps it beside each).
  const PropDraft reason[] = {{"reason", PropValue::of_string(to_string(d.reason))},
                              {"score", PropValue::of_double(d.score)},
                              {"matched", PropValue::of_string(d.matched)}};
  // Each customer that became part of another moves its profile there, as IdentityResolver::link
  // moves an anonymous visitor's: one marker to each profile, sent together.
  for (const std::string& absorbed : d.absorbed) {
    emit_link_marker(ctx, linked_type_, absorbed, absorbed, d.customer, true, event.time());
    emit_link_marker(ctx, linked_type_, d.customer, absorbed, d.customer, true, event.time(),
                     reason);
  }
  // A merged record is listed among the customer's identifiers; it has no profile to move.
  if (d.outcome == CustomerIndex::Outcome::kMerged) {
    emit_link_marker(ctx, linked_type_, d.customer, record_id, d.customer, false, event.time(),
                     reason);
  }
  emit_matched(event, d, ctx);
}

void CustomerMatcher::emit_matched(const EventRef& record, const CustomerIndex::Decision& d,
                                   Context& ctx) {
  props_.clear();
  props_.push_back({kCustomerProperty, PropValue::of_string(d.customer)});
  props_.push_back({"outcome", PropValue::of_string(to_string(d.outcome))});
  if (!d.matched.empty()) {
    props_.push_back({"reason", PropValue::of_string(to_string(d.reason))});
    props_.push_back({"score", PropValue::of_double(d.score)});
    props_.push_back({"matched", PropValue::of_string(d.matched)});
  }
  if (!d.absorbed.empty())
    props_.push_back({"absorbed", PropValue::of_int(static_cast<int64_t>(d.absorbed.size()))});
  for (size_t i = 0; i < record.prop_count(); ++i) {
    const std::string_view name = record.prop_name(i);
    if (name == kRecordIdProperty || name == kImportProperty || name.starts_with("traits."))
      props_.push_back({name, record.prop_value(i)});
  }
  EventDraft out;
  out.type = matched_type_;
  out.time = record.time();
  out.props = props_;
  ctx.emit(out);
}

void CustomerMatcher::on_lookup(uint32_t slot, std::string_view arg,
                                boost::json::object& out) const {
  if (!index_ || slot != index_slot_) return;
  if (std::string_view customer = index_->customer_of(arg); !customer.empty())
    out["customer"] = customer;
}

void CustomerMatcher::snapshot(StateWriter& out) const {
  out.put<uint32_t>(index_ ? index_slot_ : kNoSlot);
  if (!index_) return;
  for (const uint64_t n : outcomes_)
    out.put<uint64_t>(n);
  out.put<uint64_t>(records_erased_);
  index_->write(out);
}

Status CustomerMatcher::restore(StateReader& in, uint32_t slot_count) {
  index_.reset();
  index_slot_ = in.get<uint32_t>();
  if (index_slot_ == kNoSlot) return in.ok() ? Status{} : Status(Errc::kCorrupt, "truncated");
  if (index_slot_ >= slot_count)
    return {Errc::kCorrupt, "customer index slot " + std::to_string(index_slot_) + " of " +
                                std::to_string(slot_count) + " keys"};
  for (uint64_t& n : outcomes_)
    n = in.get<uint64_t>();
  records_erased_ = in.get<uint64_t>();
  index_ = std::make_unique<CustomerIndex>(settings_);
  return index_->read(in);
}

void CustomerMatcher::on_query(uint32_t slot, EventTime /*now*/, boost::json::object& out) const {
  if (!index_ || slot != index_slot_) return;
  boost::json::object o{{"records", index_->record_count()},
                        {"customers", index_->customer_count()},
                        {"placeholder_keys", index_->placeholder_keys()},
                        {"comparisons", index_->comparisons()},
                        {"records_erased", records_erased_}};
  for (size_t i = 0; i < kOutcomes; ++i)
    o[to_string(static_cast<CustomerIndex::Outcome>(i))] = outcomes_[i];
  out["customer_index"] = std::move(o);
}

}  // namespace eddy
