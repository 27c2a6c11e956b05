#include "runtime/incremental_snapshot.h"

#include <algorithm>

#include "runtime/key_hash.h"

namespace eddy {

IncrementalSnapshot::IncrementalSnapshot(const std::vector<KeyGroup>& owned, uint32_t key_groups,
                                         std::shared_ptr<SnapshotRequest> request)
    : key_groups_(key_groups),
      request_(std::move(request)),
      pending_(key_groups, false),
      held_(key_groups),
      held_count_(key_groups, 0),
      order_(owned),
      remaining_(owned.size()) {
  for (KeyGroup g : owned)
    pending_[g.value()] = true;
}

EventBatch IncrementalSnapshot::hold(EventBatch batch) {
  EventBatch now;
  now.payload = batch.payload;
  now.events.reserve(batch.events.size());
  for (const Event& e : batch.events) {
    const uint32_t g = key_group_of(e.key_hash, key_groups_).value();
    if (!pending_[g]) {
      now.events.push_back(e);
      continue;
    }
    std::vector<EventBatch>& held = held_[g];
    // One held batch per group per incoming batch: they share the incoming batch's payload.
    if (held.empty() || held.back().payload != batch.payload) held.push_back({{}, batch.payload});
    held.back().events.push_back(e);
    ++held_count_[g];
    ++held_events_;
  }
  return now;
}

void IncrementalSnapshot::hold_watermark(uint32_t sender, EventTime wm) {
  for (auto& [from, held] : held_watermarks_) {
    if (from == sender) {
      held = std::max(held, wm);
      return;
    }
  }
  held_watermarks_.emplace_back(sender, wm);
}

std::optional<KeyGroup> IncrementalSnapshot::next() const {
  std::optional<KeyGroup> best;
  size_t best_held = 0;
  for (KeyGroup g : order_) {
    if (!pending_[g.value()]) continue;
    if (!best || held_count_[g.value()] > best_held) {
      best = g;
      best_held = held_count_[g.value()];
    }
  }
  return best;
}

std::vector<EventBatch> IncrementalSnapshot::taken(KeyGroup g, std::chrono::microseconds pause) {
  pending_[g.value()] = false;
  --remaining_;
  worst_pause_ = std::max(worst_pause_, pause);
  held_events_ -= held_count_[g.value()];
  held_count_[g.value()] = 0;
  std::vector<EventBatch> out;
  out.swap(held_[g.value()]);
  return out;
}

}  // namespace eddy
