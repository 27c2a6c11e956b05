#pragma once

#include <string>
#include <string_view>

#include "connectors/match/customer_record.h"
#include "runtime/batch_builder.h"
#include "runtime/event.h"

namespace eddy {

// A customer record as an event: how records travel through the write-ahead log to the master
// customer index (operators/customer_matcher.h), so that a replay matches them again in the same
// order and an acknowledged import is never lost.
//
// The event is a "Customer Record" (kCustomerRecordType) keyed by kCustomerIndexKey, with
//   "record_id"   the record's id: an import's record id, or an identify's user id
//   "import"      the import it came with (POST /v1/import's id); absent for an identify
//   "known_user"  true when the id is a user id (an identify), which is never merged into another
//   "m.<field>"   each non-empty field of the normalised record, which the index matches on
//   "traits.<field>" what the customer's profile shows: the email, phone and country normalised
//                 (and "<field>_raw" as given when that differs), the names, street, postcode and
//                 city as given
inline constexpr std::string_view kRecordIdProperty = "record_id";
inline constexpr std::string_view kImportProperty = "import";
inline constexpr std::string_view kKnownUserProperty = "known_user";

struct CustomerRecordOrigin {
  std::string_view import_id;  // empty for an identify's traits
  bool known_user = false;
  // False leaves the email (phone) out of the "m." fields while the traits keep it: a value that
  // many records of one import share is a placeholder ("noemail@example.com"), not evidence
  // (MatchSettings::max_candidates_per_key).
  bool match_email = true;
  bool match_phone = true;
};

// Adds the event of `record` (normalised from `raw`) to `out`. `type` is the topology's id of
// kCustomerRecordType.
EventRef add_customer_record_event(BatchBuilder& out, EventType type, const CustomerRecord& record,
                                   const RawCustomerRecord& raw, const CustomerRecordOrigin& origin,
                                   EventTime time);

// What add_customer_record_event wrote, read back; `record.warnings` stays empty.
struct CustomerRecordEvent {
  CustomerRecord record;
  std::string import_id;
  bool known_user = false;
};
CustomerRecordEvent read_customer_record_event(const EventRef& event);

}  // namespace eddy
