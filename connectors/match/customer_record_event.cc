#include "connectors/match/customer_record_event.h"

#include <array>
#include <utility>
#include <vector>

#include "runtime/identity_fields.h"
#include "runtime/string_prop.h"

namespace eddy {
namespace {

// The normalised fields, by the names their "m." properties carry.
constexpr std::array<std::pair<std::string_view, std::string CustomerRecord::*>, 8> kFields{{
    {"m.email", &CustomerRecord::email},
    {"m.phone", &CustomerRecord::phone},
    {"m.first_name", &CustomerRecord::first_name},
    {"m.last_name", &CustomerRecord::last_name},
    {"m.street", &CustomerRecord::street},
    {"m.postcode", &CustomerRecord::postcode},
    {"m.city", &CustomerRecord::city},
    {"m.country", &CustomerRecord::country},
}};

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

void add(std::vector<PropDraft>& props, std::string_view name, std::string_view value) {
  if (!value.empty()) props.push_back({name, PropValue::of_string(value)});
}

// A normalised trait, and its raw form when normalising changed it.
void add_normalised(std::vector<PropDraft>& props, std::string_view name, std::string_view raw_name,
                    std::string_view value, std::string_view raw) {
  add(props, name, value);
  raw = trimmed(raw);
  if (!raw.empty() && raw != value) add(props, raw_name, raw);
}

}  // namespace

EventRef add_customer_record_event(BatchBuilder& out, EventType type, const CustomerRecord& record,
                                   const RawCustomerRecord& raw, const CustomerRecordOrigin& origin,
                                   EventTime time) {
  std::vector<PropDraft> props;
  props.reserve(32);
  props.push_back({kRecordIdProperty, PropValue::of_string(record.id)});
  add(props, kImportProperty, origin.import_id);
  if (origin.known_user) props.push_back({kKnownUserProperty, PropValue::of_bool(true)});
  for (const auto& [name, field] : kFields) {
    if (field == &CustomerRecord::email && !origin.match_email) continue;
    if (field == &CustomerRecord::phone && !origin.match_phone) continue;
    add(props, name, record.*field);
  }
  add_normalised(props, "traits.email", "traits.email_raw", record.email, raw.email);
  add_normalised(props, "traits.phone", "traits.phone_raw", record.phone, raw.phone);
  add(props, "traits.first_name", trimmed(raw.first_name));
  add(props, "traits.last_name", trimmed(raw.last_name));
  add(props, "traits.street", trimmed(raw.street));
  add(props, "traits.postcode", trimmed(raw.postcode));
  add(props, "traits.city", trimmed(raw.city));
  add_normalised(props, "traits.country", "traits.country_raw", record.country, raw.country);
  EventDraft d;
  d.key = kCustomerIndexKey;
  d.type = type;
  d.time = time;
  d.props = props;
  return out.add(d);
}

CustomerRecordEvent read_customer_record_event(const EventRef& event) {
  CustomerRecordEvent r;
  r.record.id = string_prop(event, kRecordIdProperty);
  r.import_id = string_prop(event, kImportProperty);
  const PropValue known = event.prop(kKnownUserProperty);
  r.known_user = known.kind() == PropKind::kBool && known.as_bool();
  for (const auto& [name, field] : kFields)
    r.record.*field = string_prop(event, name);
  return r;
}

}  // namespace eddy
