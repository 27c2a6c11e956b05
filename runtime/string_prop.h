#pragma once

#include <string_view>

#include "runtime/event.h"

namespace eddy {

// The text of an event's property `name` when it is a string; empty when it is missing or of
// another kind. For the control properties operators exchange ("customer", "from", "record_id").
inline std::string_view string_prop(const EventRef& event, std::string_view name) {
  const PropValue v = event.prop(name);
  return v.kind() == PropKind::kString ? v.as_string() : std::string_view();
}

}  // namespace eddy
