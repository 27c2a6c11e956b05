#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runtime/ids.h"
#include "runtime/status.h"

namespace eddy {

// Interns event names ("Product Viewed") to small integers. Filled while a topology is built and
// read-only afterwards, so lookups from any number of threads need no lock. Id 0 is reserved for
// names the topology does not know; the source rejects events that carry it.
class EventTypeRegistry {
 public:
  static constexpr EventType kUnknown{0};
  static constexpr size_t kMaxTypes = 4096;

  EventTypeRegistry();

  // Registers a name, or returns the id it already has.
  Result<EventType> add(std::string_view name);
  void add_all(std::initializer_list<std::string_view> names);

  // kUnknown for a name that was never registered.
  EventType find(std::string_view name) const;
  // The empty string for an id that was never handed out.
  std::string_view name(EventType type) const;
  bool contains(EventType type) const { return type.value() != 0 && type.value() < names_.size(); }
  size_t size() const { return names_.size() - 1; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::vector<std::string> names_;
  std::unordered_map<std::string, EventType, Hash, std::equal_to<>> ids_;
};

}  // namespace eddy
