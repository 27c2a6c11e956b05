#include "connectors/api/import_tracker.h"

#include "connectors/match/customer_record_event.h"
#include "runtime/string_prop.h"

namespace eddy {

namespace {

constexpr std::string_view kOutcomeProperty = "outcome";

}  // namespace

void ImportTracker::track(std::shared_ptr<ImportProgress> progress) {
  std::lock_guard lock(mu_);
  std::string id = progress->id();
  imports_.insert_or_assign(std::move(id), std::move(progress));
}

void ImportTracker::forget(std::string_view import_id) {
  std::lock_guard lock(mu_);
  if (auto it = imports_.find(import_id); it != imports_.end()) imports_.erase(it);
}

void ImportTracker::write(const EventBatch& batch) {
  std::lock_guard lock(mu_);
  if (imports_.empty()) return;
  for (const Event& e : batch.events) {
    if (e.type != matched_type_) continue;
    const EventRef event(e, *batch.payload);
    const std::string_view import_id = string_prop(event, kImportProperty);
    if (import_id.empty()) continue;
    auto it = imports_.find(import_id);
    if (it == imports_.end()) continue;
    it->second->count_outcome(string_prop(event, kOutcomeProperty));
  }
}

Result<uint64_t> ImportTracker::erase_customers(const std::unordered_set<std::string>&) {
  return uint64_t{0};
}

}  // namespace eddy
