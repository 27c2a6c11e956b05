#pragma once

#include <algorithm>
#include <array>
#include <string_view>

namespace eddy {

// Event types that eddy's operators make about a customer: none of them says the customer did
// anything, so by default they neither open nor extend a session, nor count as activity for the
// lifecycle (docs/event-model.md). A customer record matched from an import is data about the
// customer, not something they did.
inline constexpr std::array<std::string_view, 8> kDerivedTypes = {
    "Session Ended",   "Cart Abandoned", "Lifecycle Changed", "Trigger Fired",
    "Segment Entered", "Segment Exited", "Customer Matched",  "Customer Record"};

inline bool is_derived_type(std::string_view name) {
  return std::find(kDerivedTypes.begin(), kDerivedTypes.end(), name) != kDerivedTypes.end();
}

}  // namespace eddy
