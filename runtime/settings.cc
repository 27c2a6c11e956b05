#include "runtime/settings.h"

#include <algorithm>
#include <thread>

namespace eddy {

uint32_t RuntimeSettings::resolved_workers() const {
  if (workers != 0) return workers;
  return std::max(1u, std::thread::hardware_concurrency());
}

std::string RuntimeSettings::check() const {
  if (key_groups == 0 || key_groups > (1u << 16)) return "key_groups must be in 1..65536";
  if (resolved_workers() > key_groups) return "workers must not exceed key_groups";
  if (workers > 1024) return "workers must be at most 1024";
  if (inbox_capacity_events < 1) return "inbox_capacity_events must be at least 1";
  if (exchange_batch_events < 1) return "exchange_batch_events must be at least 1";
  if (allowed_lateness_ms < 0) return "allowed_lateness_ms must not be negative";
  if (max_out_of_orderness_ms < 0) return "max_out_of_orderness_ms must not be negative";
  if (idle_timeout_ms < 0) return "idle_timeout_ms must not be negative";
  if (max_future_skew_ms < 0) return "max_future_skew_ms must not be negative";
  if (global_aggregate_interval_ms < 1) return "global_aggregate_interval_ms must be positive";
  if (max_pending_tasks < 1) return "max_pending_tasks must be at least 1";
  return {};
}

}  // namespace eddy
