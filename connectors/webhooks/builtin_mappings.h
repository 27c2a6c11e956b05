#pragma once

#include <span>
#include <string>
#include <string_view>

#include "connectors/webhooks/webhook_mapping.h"
#include "runtime/status.h"

namespace eddy {

// The mappings shipped with eddy (connectors/webhooks/mappings/*.json), compiled into the binary so
// that the default install configures a source by name without locating any file. The build
// generates the table from the JSON files (builtin_mappings.cmake), so the two cannot drift.
struct BuiltinMapping {
  std::string_view name;  // the file name without ".json": "shop_order"
  std::string_view json;  // the file's bytes
};

// Sorted by name.
std::span<const BuiltinMapping> builtin_mappings();

// The parsed mapping of that name; kNotFound lists the names there are.
Result<WebhookMapping> builtin_mapping(std::string_view name);

}  // namespace eddy
