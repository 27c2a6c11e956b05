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

}  // namespace eddy
