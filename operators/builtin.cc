#include "operators/builtin.h"

#include "operators/keyed_counter.h"

namespace eddy {

Status register_builtin_operators(OperatorRegistry& registry) {
  return registry.add("keyed_counter", &KeyedCounter::create);
}

}  // namespace eddy
