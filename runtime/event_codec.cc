#include "runtime/event_codec.h"

#include <vector>

#include "schemas/event_generated.h"

namespace eddy {

namespace {

flatbuffers::Offset<wire::Property> encode_property(flatbuffers::FlatBufferBuilder& fbb,
                                                    std::string_view name, const PropValue& v) {
  auto name_off = fbb.CreateString(name.data(), name.size());
  flatbuffers::Offset<void> value;
  wire::Value kind = wire::Value::NONE;
  switch (v.kind()) {
    case PropKind::kNull:
      break;
    case PropKind::kBool:
      kind = wire::Value::BoolValue;
      value = wire::CreateBoolValue(fbb, v.as_bool()).Union();
      break;
    case PropKind::kInt:
      kind = wire::Value::IntValue;
      value = wire::CreateIntValue(fbb, v.as_int()).Union();
      break;
    case PropKind::kDouble:
      kind = wire::Value::DoubleValue;
      value = wire::CreateDoubleValue(fbb, v.as_double()).Union();
      break;
    case PropKind::kString: {
      auto s = fbb.CreateString(v.as_string().data(), v.as_string().size());
      kind = wire::Value::StringValue;
      value = wire::CreateStringValue(fbb, s).Union();
      break;
    }
  }
  return wire::CreateProperty(fbb, name_off, kind, value);
}

PropValue decode_value(const wire::Property& p) {
  switch (p.value_type()) {
    case wire::Value::BoolValue:
      return PropValue::of_bool(p.value_as_BoolValue()->value());
    case wire::Value::IntValue:
      return PropValue::of_int(p.value_as_IntValue()->value());
    case wire::Value::DoubleValue:
      return PropValue::of_double(p.value_as_DoubleValue()->value());
    case wire::Value::StringValue: {
      const auto* s = p.value_as_StringValue()->value();
      return s == nullptr ? PropValue::of_string({}) : PropValue::of_string(s->string_view());
    }
    default:
      return {};
  }
}

}  // namespace

flatbuffers::Offset<wire::EventBatch> build_event_batch(flatbuffers::FlatBufferBuilder& fbb,
                                                        const EventBatch& batch,
                                                        const EventTypeRegistry& types) {
  std::vector<flatbuffers::Offset<wire::Event>> events;
  events.reserve(batch.size());
  std::vector<flatbuffers::Offset<wire::Property>> props;
  for (const Event& e : batch.events) {
    EventRef ref(e, *batch.payload);
    props.clear();
    for (size_t i = 0; i < ref.prop_count(); ++i) {
      props.push_back(encode_property(fbb, ref.prop_name(i), ref.prop_value(i)));
    }
    const std::string_view type = types.name(ref.type());
    auto key = fbb.CreateString(ref.key().data(), ref.key().size());
    auto type_off = fbb.CreateString(type.data(), type.size());
    auto item = fbb.CreateString(ref.item().data(), ref.item().size());
    auto props_off = fbb.CreateVector(props);
    events.push_back(wire::CreateEvent(fbb, key, type_off, ref.time().value(), ref.offset().value(),
                                       ref.amount(), ref.quantity(), item, props_off));
  }
  return wire::CreateEventBatch(fbb, fbb.CreateVector(events));
}

std::string encode_events(const EventBatch& batch, const EventTypeRegistry& types) {
  flatbuffers::FlatBufferBuilder fbb(256 + batch.size() * 96);
  fbb.Finish(build_event_batch(fbb, batch, types));
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

Status decode_events(std::span<const uint8_t> bytes, const EventTypeRegistry& types,
                     BatchBuilder& out) {
  flatbuffers::Verifier verifier(bytes.data(), bytes.size());
  if (!wire::VerifyEventBatchBuffer(verifier)) {
    return {Errc::kCorrupt, "event batch fails FlatBuffers verification"};
  }
  return decode_event_batch(*wire::GetEventBatch(bytes.data()), types, out);
}

Status decode_event_batch(const wire::EventBatch& verified, const EventTypeRegistry& types,
                          BatchBuilder& out) {
  const wire::EventBatch* batch = &verified;
  if (batch->events() == nullptr) return {};
  std::vector<PropDraft> props;
  for (const wire::Event* e : *batch->events()) {
    props.clear();
    if (e->properties() != nullptr) {
      if (e->properties()->size() > kMaxBagProperties) {
        return {Errc::kCorrupt,
                "an event has more than " + std::to_string(kMaxBagProperties) + " properties"};
      }
      for (const wire::Property* p : *e->properties()) {
        props.push_back({p->name()->string_view(), decode_value(*p)});
      }
    }
    EventDraft d;
    d.key = e->key()->string_view();
    d.type = types.find(e->type()->string_view());
    d.time = EventTime(e->time_ms());
    d.offset = LogOffset(e->offset());
    d.amount = e->amount();
    d.quantity = e->quantity();
    d.item = e->item() == nullptr ? std::string_view() : e->item()->string_view();
    d.props = props;
    out.add(d);
  }
  return {};
}

}  // namespace eddy
