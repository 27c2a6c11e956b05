#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/ingest/ingest_errc.h"
#include "connectors/ingest/segment_call.h"
#include "connectors/match/customer_record.h"
#include "runtime/batch_builder.h"
#include "runtime/event_types.h"
#include "runtime/identity_fields.h"

namespace eddy {

// What a message inherits from the request that carried it.
struct MessageEnvelope {
  WallTime received_at;
  // A batch's `context` and `sentAt`, which apply to each of its messages.
  const boost::json::object* batch_context = nullptr;
  std::optional<EventTime> batch_sent_at;
  // The single-call routes (/v1/track, ...) say the call; otherwise the message's `type` does.
  std::optional<SegmentCall> route_call;
  // Bulk lines may leave `type` out when they name an `event`: they are track calls.
  bool track_when_untyped = false;
};

// One Segment message as an event draft. Its views point into the message and into the mapper,
// and are valid until the mapper's next call or until the message goes.
struct MappedEvent {
  EventDraft draft;
  std::string_view message_id;  // empty when the message has none
  SegmentCall call = SegmentCall::kTrack;
  // The customer record a known user's identify traits hold (connectors/match/traits_record.h),
  // normalised, for the topology's customer index: sent beside the event as a "Customer Record"
  // of type `record_type`. Null when there is none, or the topology matches no records.
  const CustomerRecord* record = nullptr;
  const RawCustomerRecord* raw_record = nullptr;
  EventType record_type;
};

// Turns Segment messages into event drafts exactly as docs/event-model.md describes: the key, the
// type, the time corrected for client clock skew, amount, quantity and item, and the few
// properties operators read. It refuses what an operator could not use, with the reason.
//
// Not thread-safe (it reuses its buffers from one message to the next); one per request.
class SegmentMapper {
 public:
  // The types are the topology's; "track" among them is the catch-all for track calls whose
  // event name the topology does not know.
  // `default_phone_region`: the ISO 3166 country assumed for phone traits written without a
  // country code (normalize_phone); empty: only international numbers are normalised.
  explicit SegmentMapper(const EventTypeRegistry& types, std::string default_phone_region = "");

  std::optional<IngestError> map(const boost::json::value& message, const MessageEnvelope& envelope,
                                 MappedEvent& out);

 private:
  struct Fields;

  std::optional<IngestError> map_object(const boost::json::object& m, const MessageEnvelope& env,
                                        MappedEvent& out);
  std::optional<IngestError> resolve_type(SegmentCall call, const boost::json::object& m,
                                          Fields& f);
  std::optional<IngestError> add_track_fields(Fields& f, MappedEvent& out);
  std::optional<IngestError> add_traits(const boost::json::object& m);
  // Points `out` at the customer record in the identify's traits, when there is one to match.
  void add_customer_record(const boost::json::object& m, std::string_view user_id,
                           MappedEvent& out);
  // The traits identity matching compares (email, phone, country) in canonical form, the value as
  // sent beside it as "<prop>_raw" when they differ; false for other traits and for values that
  // do not read as one, which are kept as sent.
  bool add_normalized_trait(std::string_view prop, std::string_view trait, std::string_view raw);
  void add_value_prop(std::string_view name, const boost::json::value& v);
  void add_context_props(const Fields& f);

  // An identifier field (userId, anonymousId, previousId): a string or a whole number, at most
  // kMaxIdentifierBytes, no control characters; empty when absent.
  std::optional<IngestError> read_identifier(const boost::json::object& m, std::string_view field,
                                             std::string_view& out);
  // Text of a string, or of a number written out; empty for anything else.
  std::string_view text_of(const boost::json::value& v);
  PropValue prop_of(const boost::json::value& v);
  std::string& scratch();

  const EventTypeRegistry& types_;
  EventType track_;
  std::string default_phone_region_;
  EventType record_type_;
  RawCustomerRecord raw_record_;
  CustomerRecord record_;
  std::vector<PropDraft> props_;
  size_t added_props_ = 0;  // raw copies kept beside normalised traits: not the message's to count
  // Owns the strings that are not in the message (trait names, numbers written as text). A deque
  // never moves what it holds, so views stay valid while it grows.
  std::deque<std::string> scratch_;
  size_t scratch_used_ = 0;
};

}  // namespace eddy
