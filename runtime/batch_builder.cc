#include "runtime/batch_builder.h"

#include <cassert>

#include "runtime/key_hash.h"

namespace eddy {

BatchBuilder::BatchBuilder() : payload_(std::make_unique<Payload>()) {}

StrRef BatchBuilder::intern(std::string_view s) {
  StrRef r{static_cast<uint32_t>(payload_->strings.size()), static_cast<uint32_t>(s.size())};
  payload_->strings.append(s);
  return r;
}

EventRef BatchBuilder::add(const EventDraft& draft) {
  return add(draft, hash_key(draft.key));
}

EventRef BatchBuilder::add(const EventDraft& draft, KeyHash precomputed) {
  Event e;
  e.key_hash = precomputed;
  e.time = draft.time;
  e.offset = draft.offset;
  e.amount = draft.amount;
  e.quantity = draft.quantity;
  e.type = draft.type;
  e.key = intern(draft.key);
  e.item = intern(draft.item);
  e.first_prop = static_cast<uint32_t>(payload_->props.size());
  assert(draft.props.size() <= kMaxBagProperties);
  e.prop_count = static_cast<uint16_t>(draft.props.size());
  for (const PropDraft& d : draft.props) {
    Property p;
    p.name = intern(d.name);
    p.kind = d.value.kind();
    switch (p.kind) {
      case PropKind::kNull:
        break;
      case PropKind::kBool:
        p.b = d.value.as_bool();
        break;
      case PropKind::kInt:
        p.i = d.value.as_int();
        break;
      case PropKind::kDouble:
        p.d = d.value.as_double();
        break;
      case PropKind::kString:
        p.s = intern(d.value.as_string());
        break;
    }
    payload_->props.push_back(p);
  }
  events_.push_back(e);
  return EventRef(events_.back(), *payload_);
}

EventRef BatchBuilder::add(const EventRef& source) {
  return add_rekeyed(source, source.key(), source.key_hash());
}

EventRef BatchBuilder::add_rekeyed(const EventRef& source, std::string_view key, KeyHash hash) {
  EventDraft d;
  d.key = key;
  d.type = source.type();
  d.time = source.time();
  d.amount = source.amount();
  d.quantity = source.quantity();
  d.item = source.item();
  d.offset = source.offset();
  add(d, hash);
  Event& e = events_.back();
  e.first_prop = static_cast<uint32_t>(payload_->props.size());
  e.prop_count = static_cast<uint16_t>(source.prop_count());
  const Property* props = source.payload().props.data() + source.raw().first_prop;
  for (size_t i = 0; i < source.prop_count(); ++i) {
    Property p = props[i];
    p.name = intern(source.payload().str(p.name));
    if (p.kind == PropKind::kString) p.s = intern(source.payload().str(p.s));
    payload_->props.push_back(p);
  }
  return EventRef(e, *payload_);
}

EventBatch BatchBuilder::finish() {
  EventBatch batch;
  batch.events = std::move(events_);
  batch.payload = std::move(payload_);
  payload_ = std::make_unique<Payload>();
  events_.clear();
  return batch;
}

void BatchBuilder::clear() {
  events_.clear();
  payload_->strings.clear();
  payload_->props.clear();
}

}  // namespace eddy
