#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "runtime/operator.h"
#include "runtime/status.h"

namespace eddy {

class EventTypeRegistry;

// What a factory gets: the operator's configuration from the topology, and the event types the
// topology accepts (an operator resolves the names it reacts to once, here).
struct OperatorArgs {
  const boost::json::object& config;
  const EventTypeRegistry& types;
  // The key group of the stage instance the operator serves, for work that every instance does
  // now and then and that should not fall on all of them at once (a sweep over every key).
  KeyGroup group{0};
};

using OperatorFactory = std::function<Result<std::unique_ptr<Operator>>(const OperatorArgs&)>;

// Operators by name. Registration is an explicit call (no static initialisers), so a user's own
// operator plugs in exactly like a built-in one:
//   registry.add("my_scorer", [](const OperatorArgs& a) { return MyScorer::create(a); });
class OperatorRegistry {
 public:
  Status add(std::string name, OperatorFactory factory);
  const OperatorFactory* find(std::string_view name) const;
  bool contains(std::string_view name) const { return find(name) != nullptr; }

 private:
  std::map<std::string, OperatorFactory, std::less<>> factories_;
};

}  // namespace eddy
