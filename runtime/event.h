#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/ids.h"

namespace eddy {

// A span of bytes inside a batch's payload. Events refer to their strings this way, so that a batch
// is a few flat vectors whatever its events carry, and splitting a batch shares the payload.
struct StrRef {
  uint32_t offset = 0;
  uint32_t size = 0;
};

// A property bag is meant to be small; ingest rejects events whose message carries more.
inline constexpr size_t kMaxEventProperties = 64;
// What a bag may hold: the message's properties and the few the system adds on top (the user id
// ingest keeps for identity resolution, a tracking-plan tag, the customer the identity stage
// routes an event to).
inline constexpr size_t kMaxBagProperties = kMaxEventProperties + 4;

enum class PropKind : uint8_t { kNull, kBool, kInt, kDouble, kString };

// A property value as read from an event or drafted for a new one. A string value is a view: valid
// only as long as the batch (or the draft's source) it comes from.
class PropValue {
 public:
  PropValue() = default;
  static PropValue of_bool(bool v);
  static PropValue of_int(int64_t v);
  static PropValue of_double(double v);
  static PropValue of_string(std::string_view v);

  PropKind kind() const { return kind_; }
  bool is_null() const { return kind_ == PropKind::kNull; }
  bool as_bool() const { return b_; }
  int64_t as_int() const { return i_; }
  double as_double() const { return d_; }
  std::string_view as_string() const { return s_; }
  // Numbers of either kind as a double; nullopt for anything else.
  std::optional<double> as_number() const;

  bool operator==(const PropValue& other) const;

 private:
  PropKind kind_ = PropKind::kNull;
  bool b_ = false;
  int64_t i_ = 0;
  double d_ = 0;
  std::string_view s_;
};

// One stored property. The name and a string value live in the payload's string bytes.
struct Property {
  StrRef name;
  PropKind kind = PropKind::kNull;
  union {
    bool b;
    int64_t i;
    double d;
    StrRef s;
  };
  Property() : i(0) {}
};

// The compact in-memory event. The typed fields cover what the built-in operators read on every
// event (the customer key, what happened, when, an amount, a quantity, an item such as a product
// id); everything else rides in a small property bag.
struct Event {
  KeyHash key_hash;
  EventTime time;
  LogOffset offset;
  double amount = 0;     // revenue of an order, price of a product
  int64_t quantity = 0;  // items added or removed
  EventType type;
  uint16_t prop_count = 0;
  uint32_t first_prop = 0;
  StrRef key;
  StrRef item;
};

struct Payload {
  std::string strings;
  std::vector<Property> props;

  std::string_view str(StrRef r) const { return {strings.data() + r.offset, r.size}; }
};

// The unit that crosses threads. The payload is immutable once the batch is built and may be shared
// by the batches a split produces.
struct EventBatch {
  std::vector<Event> events;
  std::shared_ptr<const Payload> payload;

  size_t size() const { return events.size(); }
  bool empty() const { return events.empty(); }
};

// An event together with the payload its strings live in. Cheap to copy. Views it returns are valid
// while the batch lives; operators must copy what they keep.
class EventRef {
 public:
  EventRef(const Event& event, const Payload& payload) : event_(event), payload_(&payload) {}

  const Event& raw() const { return event_; }
  const Payload& payload() const { return *payload_; }
  KeyHash key_hash() const { return event_.key_hash; }
  EventType type() const { return event_.type; }
  EventTime time() const { return event_.time; }
  LogOffset offset() const { return event_.offset; }
  double amount() const { return event_.amount; }
  int64_t quantity() const { return event_.quantity; }
  std::string_view key() const { return payload_->str(event_.key); }
  std::string_view item() const { return payload_->str(event_.item); }

  size_t prop_count() const { return event_.prop_count; }
  std::string_view prop_name(size_t i) const;
  PropValue prop_value(size_t i) const;
  // Linear search: bags are small by design.
  PropValue prop(std::string_view name) const;

 private:
  Event event_;
  const Payload* payload_;
};

}  // namespace eddy
