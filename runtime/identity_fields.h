#pragma once

#include <cstddef>
#include <string_view>

namespace eddy {

// How ingest hands identities to identity resolution (operators/identity_resolver.h): an event is
// keyed by the identifier that may be linked to a user (an anonymousId, or an alias's previousId),
// else by its userId, and the userId, when it has one, rides along in this property.
inline constexpr std::string_view kUserIdProperty = "user_id";
// Set by the identity stage on an event it sends to another customer's profile than its key says.
inline constexpr std::string_view kCustomerProperty = "customer";
// Longer identifiers are refused: ids are keys, kept per customer and listed in profiles.
inline constexpr size_t kMaxIdentifierBytes = 256;

// The control events of identity resolution. Only eddy makes them: ingest takes a client's track
// call of either name as an ordinary custom event (the "track" catch-all), so that no write key,
// which browsers hold in plain sight, can link or erase customers.
inline constexpr std::string_view kIdentityLinkedType = "Identity Linked";
// Erasure of a customer (DELETE /v1/customers/{id}): one such event per identifier of the
// customer, keyed by it, logged like any input so that a replay erases again what it rebuilt.
inline constexpr std::string_view kCustomerErasedType = "Customer Erased";

// Fuzzy matching of customer records (operators/customer_matcher.h). A customer record (from
// POST /v1/import, or the traits of an identify) goes to the master customer index, one keyed
// state under kCustomerIndexKey; the index answers each with a "Customer Matched" event to the
// profile of the customer the record joined.
inline constexpr std::string_view kCustomerRecordType = "Customer Record";
inline constexpr std::string_view kCustomerMatchedType = "Customer Matched";
// Every record meets every earlier one here, so the index is one key. Its control character makes
// it a key no client can send: ingest refuses identifiers with control characters.
inline constexpr std::string_view kCustomerIndexKey =
    "\x1f"
    "customer-index";

inline bool is_identity_control_event(std::string_view name) {
  return name == kIdentityLinkedType || name == kCustomerErasedType ||
         name == kCustomerRecordType || name == kCustomerMatchedType;
}

}  // namespace eddy
