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
inline bool is_identity_control_event(std::string_view name) {
  return name == kIdentityLinkedType || name == kCustomerErasedType;
}

}  // namespace eddy
