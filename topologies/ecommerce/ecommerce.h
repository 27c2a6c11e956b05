#pragma once

#include <memory>
#include <span>
#include <string_view>

#include "runtime/operator_registry.h"
#include "runtime/topology.h"

namespace eddy {

// The default topology that `eddy` serves: one profile per customer. It grows with the operators;
// today it counts every customer's events and orders (with revenue).
inline constexpr const char* kEcommerceTopology = "ecommerce";
inline constexpr const char* kProfilesStage = "profiles";

// The event names the ecommerce topology accepts: the Segment call types and the Segment e-commerce
// and email event names.
std::span<const std::string_view> ecommerce_event_types();

// The registry must contain the built-in operators (register_builtin_operators).
Result<TopologySpec> make_ecommerce_topology(std::shared_ptr<const OperatorRegistry> registry);

}  // namespace eddy
