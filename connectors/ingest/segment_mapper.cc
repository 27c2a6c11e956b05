#include "connectors/ingest/segment_mapper.h"

#include <boost/json/serialize.hpp>
#include <charconv>
#include <cmath>
#include <limits>

#include "connectors/ingest/clock_skew.h"
#include "connectors/ingest/merged_context.h"
#include "connectors/match/traits_record.h"
#include "connectors/normalize/country.h"
#include "connectors/normalize/email.h"
#include "connectors/normalize/iso8601.h"
#include "connectors/normalize/phone.h"

namespace eddy {
namespace {

using boost::json::object;
using boost::json::value;

IngestError error(IngestErrc code, std::string message) {
  return {code, std::move(message), std::nullopt};
}

// How messages name a field: 'field'. Appended piece by piece, since GCC 12 at -O3 misreports
// `"'" + std::string(...)` as overlapping copies (-Wrestrict).
std::string quoted(std::string_view field) {
  std::string s;
  s.reserve(field.size() + 2);
  s.append(1, '\'').append(field).append(1, '\'');
  return s;
}

IngestError invalid(std::string_view field, std::string_view must) {
  return error(IngestErrc::kInvalidMessage, quoted(field).append(" ").append(must));
}

bool absent(const value* v) {
  return v == nullptr || v->is_null();
}

// A field that must be an object when it is there at all.
std::optional<IngestError> optional_object(const object& m, std::string_view key,
                                           const object*& out) {
  out = nullptr;
  const value* v = m.if_contains(key);
  if (absent(v)) return std::nullopt;
  if (!v->is_object()) return invalid(key, "must be an object");
  out = &v->get_object();
  return std::nullopt;
}

std::optional<IngestError> read_time(const object& m, std::string_view key,
                                     std::optional<EventTime>& out) {
  const value* v = m.if_contains(key);
  if (absent(v)) return std::nullopt;
  if (!v->is_string()) {
    return error(IngestErrc::kBadTimestamp, quoted(key).append(" must be an ISO 8601 string"));
  }
  auto t = parse_iso8601(v->get_string());
  if (!t) {
    return error(IngestErrc::kBadTimestamp, quoted(key).append(": ").append(t.status().message()));
  }
  out = *t;
  return std::nullopt;
}

enum class Found : uint8_t { kAbsent, kOk, kBad };

// Numbers may come as JSON numbers or as decimal strings ("19.99"), as some clients send prices.
Found read_number(const object* props, std::string_view key, double& out) {
  if (props == nullptr) return Found::kAbsent;
  const value* v = props->if_contains(key);
  if (absent(v)) return Found::kAbsent;
  if (v->is_double()) {
    out = v->get_double();
  } else if (v->is_int64()) {
    out = static_cast<double>(v->get_int64());
  } else if (v->is_uint64()) {
    out = static_cast<double>(v->get_uint64());
  } else if (v->is_string()) {
    const boost::json::string& s = v->get_string();
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec != std::errc() || end != s.data() + s.size()) return Found::kBad;
  } else {
    return Found::kBad;
  }
  return std::isfinite(out) ? Found::kOk : Found::kBad;
}

bool is_product_event(std::string_view name) {
  return name.starts_with("Product ") && !name.starts_with("Product List ");
}

bool is_order_event(std::string_view name) {
  return name.starts_with("Order ") || name == "Checkout Started";
}

bool carries_order_amount(std::string_view name) {
  return name == "Order Completed" || name == "Order Updated" || name == "Order Refunded" ||
         name == "Checkout Started";
}

bool is_email_event(std::string_view name) {
  return name.starts_with("Email ") || name == "Unsubscribed";
}

}  // namespace

// What the mapping of one message has found so far.
struct SegmentMapper::Fields {
  SegmentCall call = SegmentCall::kTrack;
  std::string_view event_name;  // track calls: the name as sent
  bool catch_all = false;       // a track call under the "track" type
  const object* properties = nullptr;
  MergedContext context{nullptr, nullptr};
};

SegmentMapper::SegmentMapper(const EventTypeRegistry& types, std::string default_phone_region)
    : types_(types),
      track_(types.find("track")),
      default_phone_region_(std::move(default_phone_region)),
      record_type_(types.find(kCustomerRecordType)) {
  props_.reserve(kMaxBagProperties);
}

std::string& SegmentMapper::scratch() {
  if (scratch_used_ == scratch_.size()) scratch_.emplace_back();
  std::string& s = scratch_[scratch_used_++];
  s.clear();
  return s;
}

std::optional<IngestError> SegmentMapper::read_identifier(const object& m, std::string_view field,
                                                          std::string_view& out) {
  out = {};
  const value* v = m.if_contains(field);
  if (absent(v) || (v->is_string() && v->get_string().empty())) return std::nullopt;
  if (!v->is_string() && !v->is_int64() && !v->is_uint64()) {
    return invalid(field, "must be a string");
  }
  const std::string_view id = text_of(*v);
  if (id.size() > kMaxIdentifierBytes) {
    return error(IngestErrc::kInvalidIdentifier, quoted(field)
                                                     .append(" is longer than ")
                                                     .append(std::to_string(kMaxIdentifierBytes))
                                                     .append(" bytes"));
  }
  for (const char c : id) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return error(IngestErrc::kInvalidIdentifier,
                   quoted(field).append(" holds a control character"));
    }
  }
  out = id;
  return std::nullopt;
}

std::string_view SegmentMapper::text_of(const value& v) {
  if (v.is_string()) return v.get_string();
  char buf[32];
  std::to_chars_result r{buf, std::errc()};
  if (v.is_int64()) {
    r = std::to_chars(buf, buf + sizeof buf, v.get_int64());
  } else if (v.is_uint64()) {
    r = std::to_chars(buf, buf + sizeof buf, v.get_uint64());
  } else if (v.is_double()) {
    r = std::to_chars(buf, buf + sizeof buf, v.get_double());
  } else {
    return {};
  }
  std::string& s = scratch();
  s.assign(buf, r.ptr);
  return s;
}

PropValue SegmentMapper::prop_of(const value& v) {
  switch (v.kind()) {
    case boost::json::kind::null:
      return {};
    case boost::json::kind::bool_:
      return PropValue::of_bool(v.get_bool());
    case boost::json::kind::int64:
      return PropValue::of_int(v.get_int64());
    case boost::json::kind::uint64:
      if (v.get_uint64() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return PropValue::of_int(static_cast<int64_t>(v.get_uint64()));
      }
      return PropValue::of_double(static_cast<double>(v.get_uint64()));
    case boost::json::kind::double_:
      return PropValue::of_double(v.get_double());
    case boost::json::kind::string:
      return PropValue::of_string(v.get_string());
    case boost::json::kind::array:
    case boost::json::kind::object: {
      // Properties are flat; a nested value rides along as its JSON text.
      std::string& s = scratch();
      s = boost::json::serialize(v);
      return PropValue::of_string(s);
    }
  }
  return {};
}

std::optional<IngestError> SegmentMapper::map(const value& message, const MessageEnvelope& envelope,
                                              MappedEvent& out) {
  props_.clear();
  added_props_ = 0;
  scratch_used_ = 0;
  out = MappedEvent{};
  if (!message.is_object()) {
    return error(IngestErrc::kInvalidMessage, "a message must be a JSON object");
  }
  return map_object(message.get_object(), envelope, out);
}

namespace {

std::optional<IngestError> call_of(const object& m, const MessageEnvelope& env, SegmentCall& call) {
  if (env.route_call) {
    call = *env.route_call;
    return std::nullopt;
  }
  const value* type = m.if_contains("type");
  if (type != nullptr && type->is_string()) {
    if (auto c = segment_call_from_name(type->get_string())) {
      call = *c;
      return std::nullopt;
    }
    return error(IngestErrc::kInvalidType,
                 "'type' must be track, identify, page, screen, group or alias, not '" +
                     std::string(type->get_string().subview(0, 64)) + "'");
  }
  if (absent(type) && env.track_when_untyped && m.contains("event")) {
    call = SegmentCall::kTrack;
    return std::nullopt;
  }
  return error(IngestErrc::kInvalidType, "a message needs a 'type' (track, identify, ...)");
}

}  // namespace

std::optional<IngestError> SegmentMapper::map_object(const object& m, const MessageEnvelope& env,
                                                     MappedEvent& out) {
  Fields f;
  if (auto e = call_of(m, env, f.call)) return e;
  out.call = f.call;

  // The key is the identifier that identity resolution may link to a user: the anonymousId (the
  // previousId of an alias), else the userId; the userId goes along as "user_id"
  // (operators/identity_resolver.h).
  std::string_view user_id;
  std::string_view linked_id;
  if (auto e = read_identifier(m, "userId", user_id)) return e;
  if (f.call == SegmentCall::kAlias) {
    if (auto e = read_identifier(m, "previousId", linked_id)) return e;
  }
  if (linked_id.empty()) {
    if (auto e = read_identifier(m, "anonymousId", linked_id)) return e;
  }
  out.draft.key = linked_id.empty() ? user_id : linked_id;
  if (out.draft.key.empty()) {
    return error(IngestErrc::kMissingUserId, "a message needs a 'userId' or an 'anonymousId'");
  }

  if (auto e = resolve_type(f.call, m, f)) return e;
  out.draft.type =
      f.catch_all
          ? track_
          : types_.find(f.call == SegmentCall::kTrack ? f.event_name : segment_call_name(f.call));

  ClientTimes times;
  if (auto e = read_time(m, "timestamp", times.timestamp)) return e;
  if (auto e = read_time(m, "originalTimestamp", times.original_timestamp)) return e;
  if (auto e = read_time(m, "sentAt", times.sent_at)) return e;
  if (!times.sent_at) times.sent_at = env.batch_sent_at;
  out.draft.time = corrected_event_time(times, env.received_at);

  const object* context = nullptr;
  if (auto e = optional_object(m, "context", context)) return e;
  f.context = MergedContext(context, env.batch_context);
  if (auto e = optional_object(m, "properties", f.properties)) return e;

  switch (f.call) {
    case SegmentCall::kTrack:
      if (auto e = add_track_fields(f, out)) return e;
      break;
    case SegmentCall::kIdentify:
      if (auto e = add_traits(m)) return e;
      add_customer_record(m, user_id, out);
      break;
    case SegmentCall::kGroup:
      if (const value* g = m.if_contains("groupId"); !absent(g)) {
        add_value_prop("group_id", *g);
      }
      break;
    case SegmentCall::kAlias:
      if (const value* p = m.if_contains("previousId"); !absent(p)) {
        add_value_prop("previous_id", *p);
      }
      break;
    case SegmentCall::kPage:
    case SegmentCall::kScreen:
      if (const value* n = m.if_contains("name"); !absent(n)) {
        add_value_prop("name", *n);
      }
      break;
  }
  add_context_props(f);
  if (props_.size() - added_props_ > kMaxEventProperties) {
    return error(IngestErrc::kTooManyProperties,
                 "the event would carry " + std::to_string(props_.size() - added_props_) +
                     " properties; at most " + std::to_string(kMaxEventProperties) + " are kept");
  }

  if (const value* id = m.if_contains("messageId"); !absent(id)) {
    if (!id->is_string()) return invalid("messageId", "must be a string");
    out.message_id = id->get_string();
  }
  // Beyond the message's own properties: the limit above is on what the message sent.
  if (!user_id.empty()) props_.push_back({kUserIdProperty, PropValue::of_string(user_id)});
  // Room for what the runtime may add on its way (a tracking-plan tag, the identity stage's
  // customer): only an identify of about 64 traits whose email, phone and country all needed
  // normalising, and so carry their raw copies too, gets here.
  if (props_.size() + 2 > kMaxBagProperties) {
    return error(IngestErrc::kTooManyProperties,
                 "with the raw copies of its normalised traits the event would carry " +
                     std::to_string(props_.size()) + " properties; at most " +
                     std::to_string(kMaxBagProperties - 2) + " are kept");
  }
  out.draft.props = props_;
  return std::nullopt;
}

std::optional<IngestError> SegmentMapper::resolve_type(SegmentCall call, const object& m,
                                                       Fields& f) {
  if (call != SegmentCall::kTrack) {
    if (types_.find(segment_call_name(call)) == EventTypeRegistry::kUnknown) {
      return error(
          IngestErrc::kUnknownEventType,
          "the topology does not accept " + std::string(segment_call_name(call)) + " calls");
    }
    return std::nullopt;
  }
  const value* event = m.if_contains("event");
  if (absent(event) || (event->is_string() && event->get_string().empty())) {
    return error(IngestErrc::kMissingEvent, "a track call needs an 'event' name");
  }
  if (!event->is_string()) return invalid("event", "must be a string");
  f.event_name = event->get_string();
  // A track call named like another call ("page") is not that call, nor one named like a control
  // event of identity resolution: each takes the catch-all.
  const bool known = types_.find(f.event_name) != EventTypeRegistry::kUnknown &&
                     !segment_call_from_name(f.event_name) &&
                     !is_identity_control_event(f.event_name);
  if (known) return std::nullopt;
  if (track_ == EventTypeRegistry::kUnknown) {
    return error(IngestErrc::kUnknownEventType,
                 "the topology does not accept '" + std::string(f.event_name.substr(0, 128)) + "'");
  }
  f.catch_all = true;
  return std::nullopt;
}

std::optional<IngestError> SegmentMapper::add_track_fields(Fields& f, MappedEvent& out) {
  const std::string_view name = f.event_name;
  const object* p = f.properties;
  double number = 0;
  if (is_product_event(name)) {
    switch (read_number(p, "price", number)) {
      case Found::kOk:
        out.draft.amount = number;
        break;
      case Found::kBad:
        return invalid("properties.price", "must be a number");
      case Found::kAbsent:
        break;
    }
    out.draft.quantity = 1;
    switch (read_number(p, "quantity", number)) {
      case Found::kOk:
        if (number != std::trunc(number) || std::fabs(number) > 1e15) {
          return invalid("properties.quantity", "must be a whole number");
        }
        out.draft.quantity = static_cast<int64_t>(number);
        break;
      case Found::kBad:
        return invalid("properties.quantity", "must be a whole number");
      case Found::kAbsent:
        break;
    }
    for (std::string_view field : {"product_id", "sku"}) {
      const value* v = p != nullptr ? p->if_contains(field) : nullptr;
      if (absent(v)) continue;
      out.draft.item = text_of(*v);
      if (!out.draft.item.empty()) break;
    }
  } else if (carries_order_amount(name)) {
    for (std::string_view field : {"revenue", "total"}) {
      const Found found = read_number(p, field, number);
      if (found == Found::kBad)
        return invalid("properties." + std::string(field), "must be a number");
      if (found == Found::kOk) {
        out.draft.amount = number;
        break;
      }
    }
  }
  if (p == nullptr) {
    if (f.catch_all) props_.push_back({"event", PropValue::of_string(name)});
    return std::nullopt;
  }
  if (is_email_event(name)) {
    if (const value* c = p->if_contains("campaign_id"); !absent(c)) {
      out.draft.item = text_of(*c);
      add_value_prop("campaign_id", *c);
    }
  }
  if (is_order_event(name)) {
    if (const value* o = p->if_contains("order_id"); !absent(o)) {
      add_value_prop("order_id", *o);
    }
    if (const value* items = p->if_contains("products"); items != nullptr && items->is_array()) {
      props_.push_back(
          {"products", PropValue::of_int(static_cast<int64_t>(items->get_array().size()))});
    }
  }
  if (const value* c = p->if_contains("cart_id"); !absent(c)) {
    add_value_prop("cart_id", *c);
  }
  if (f.catch_all) props_.push_back({"event", PropValue::of_string(name)});
  return std::nullopt;
}

void SegmentMapper::add_customer_record(const object& m, std::string_view user_id,
                                        MappedEvent& out) {
  // Only a known user's traits: an anonymous visitor's record would have no id to be found by.
  if (record_type_ == EventTypeRegistry::kUnknown || user_id.empty()) return;
  const value* traits = m.if_contains("traits");
  if (traits == nullptr || !traits->is_object()) return;
  auto raw = customer_record_from_traits(traits->get_object(), user_id);
  if (!raw) return;
  // A record that normalises to nothing matchable is no error: the identify itself stands.
  auto record = normalize_customer_record(*raw, default_phone_region_);
  if (!record) return;
  raw_record_ = std::move(*raw);
  record_ = std::move(record).value();
  out.record = &record_;
  out.raw_record = &raw_record_;
  out.record_type = record_type_;
}

std::optional<IngestError> SegmentMapper::add_traits(const object& m) {
  const object* traits = nullptr;
  if (auto e = optional_object(m, "traits", traits)) return e;
  if (traits == nullptr) return std::nullopt;
  if (traits->size() > kMaxEventProperties) {
    return error(IngestErrc::kTooManyProperties,
                 "identify carries " + std::to_string(traits->size()) + " traits; at most " +
                     std::to_string(kMaxEventProperties) + " properties are kept per event");
  }
  for (const auto& [name, v] : *traits) {
    std::string& full = scratch();
    full.append("traits.").append(name.data(), name.size());
    if (v.is_string() && add_normalized_trait(full, name, v.get_string())) continue;
    props_.push_back({full, prop_of(v)});
  }
  return std::nullopt;
}

bool SegmentMapper::add_normalized_trait(std::string_view prop, std::string_view trait,
                                         std::string_view raw) {
  Result<std::string> normalized{Errc::kNotFound, ""};
  if (trait == "email") {
    normalized = normalize_email(raw);
  } else if (trait == "phone") {
    normalized = normalize_phone(raw, default_phone_region_);
  } else if (trait == "country") {
    normalized = normalize_country(raw);
  } else {
    return false;
  }
  // A value that does not read as one stays as it was sent: an identify is not refused for a
  // typo in a phone number, and identity matching will simply not use it.
  if (!normalized || *normalized == raw) return false;
  std::string& value = scratch();
  value = std::move(normalized).value();
  props_.push_back({prop, PropValue::of_string(value)});
  std::string& raw_name = scratch();
  raw_name.append(prop).append("_raw");
  props_.push_back({raw_name, PropValue::of_string(raw)});
  ++added_props_;
  return true;
}

void SegmentMapper::add_value_prop(std::string_view name, const value& v) {
  props_.push_back({name, prop_of(v)});
}

void SegmentMapper::add_context_props(const Fields& f) {
  const bool page = f.call == SegmentCall::kPage;
  std::string_view channel = f.context.find_string({"campaign", "medium"});
  if (channel.empty()) channel = f.context.find_string({"campaign", "source"});
  if (channel.empty() && page) channel = "direct";
  if (!channel.empty()) props_.push_back({"channel", PropValue::of_string(channel)});

  auto property_string = [&](std::string_view key) -> std::string_view {
    const value* v = f.properties != nullptr ? f.properties->if_contains(key) : nullptr;
    return v != nullptr && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
  };
  std::string_view referrer = f.context.find_string({"page", "referrer"});
  if (referrer.empty() && page) referrer = property_string("referrer");
  if (!referrer.empty()) props_.push_back({"referrer", PropValue::of_string(referrer)});

  std::string_view url = f.context.find_string({"page", "url"});
  if (url.empty()) url = property_string("url");
  if (!url.empty()) props_.push_back({"url", PropValue::of_string(url)});

  // Segment's consent object: each category's choice as "consent.<category>" (operators/consent.h).
  const value* choices = f.context.find({"consent", "categoryPreferences"});
  if (choices == nullptr || !choices->is_object()) return;
  for (const auto& [category, choice] : choices->get_object()) {
    if (!choice.is_bool()) continue;
    std::string& name = scratch();
    name.append("consent.").append(category);
    props_.push_back({name, PropValue::of_bool(choice.get_bool())});
  }
}

}  // namespace eddy
