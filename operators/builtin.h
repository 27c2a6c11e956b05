#pragma once

#include "runtime/operator_registry.h"

namespace eddy {

// Registers every operator that ships with eddy under its kind name. Called explicitly by whoever
// builds a topology; a user's own operators are added to the same registry the same way.
Status register_builtin_operators(OperatorRegistry& registry);

}  // namespace eddy
