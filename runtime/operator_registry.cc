#include "runtime/operator_registry.h"

namespace eddy {

Status OperatorRegistry::add(std::string name, OperatorFactory factory) {
  if (name.empty()) return {Errc::kInvalidArgument, "an operator needs a name"};
  if (!factory) return {Errc::kInvalidArgument, "operator '" + name + "' has no factory"};
  auto [it, inserted] = factories_.emplace(std::move(name), std::move(factory));
  if (!inserted)
    return {Errc::kAlreadyExists, "operator '" + it->first + "' is already registered"};
  return {};
}

const OperatorFactory* OperatorRegistry::find(std::string_view name) const {
  auto it = factories_.find(name);
  return it == factories_.end() ? nullptr : &it->second;
}

}  // namespace eddy
