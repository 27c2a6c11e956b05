#include "runtime/event_types.h"

namespace eddy {

EventTypeRegistry::EventTypeRegistry() {
  names_.emplace_back();
}

Result<EventType> EventTypeRegistry::add(std::string_view name) {
  if (name.empty()) return {Errc::kInvalidArgument, "an event type needs a name"};
  if (auto it = ids_.find(name); it != ids_.end()) return it->second;
  if (names_.size() >= kMaxTypes) {
    return {Errc::kInvalidArgument,
            "too many event types (at most " + std::to_string(kMaxTypes - 1) + ")"};
  }
  EventType id(static_cast<uint16_t>(names_.size()));
  names_.emplace_back(name);
  ids_.emplace(std::string(name), id);
  return id;
}

void EventTypeRegistry::add_all(std::initializer_list<std::string_view> names) {
  for (std::string_view n : names)
    (void)add(n);
}

EventType EventTypeRegistry::find(std::string_view name) const {
  auto it = ids_.find(name);
  return it == ids_.end() ? kUnknown : it->second;
}

std::string_view EventTypeRegistry::name(EventType type) const {
  return type.value() < names_.size() ? std::string_view(names_[type.value()]) : std::string_view();
}

}  // namespace eddy
