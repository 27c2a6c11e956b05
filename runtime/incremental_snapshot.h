#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "runtime/event.h"
#include "runtime/ids.h"
#include "runtime/snapshot_request.h"

namespace eddy {

// One stage's share of a snapshot on one worker, taken a key group at a time, so that the worker
// stops for one group's copy at a time rather than for all of them at once.
//
// From the moment it begins (when the stage's barrier has aligned), every group is pending: its
// state must be copied as it is now. Events for a pending group are held (their order kept) until
// its copy is taken; events for groups already copied are handled at once. Watermarks are held
// too, the latest per sender, since a watermark fires timers in every group; they are applied once
// the last group is copied. Everything else the worker is asked to do that could change the
// stage's state waits for the whole snapshot (see Worker::handle).
//
// Owned by the worker thread; not thread-safe. The copying itself is the worker's (copy_group).
class IncrementalSnapshot {
 public:
  IncrementalSnapshot(const std::vector<KeyGroup>& owned, uint32_t key_groups,
                      std::shared_ptr<SnapshotRequest> request);

  const std::shared_ptr<SnapshotRequest>& request() const { return request_; }
  bool pending(KeyGroup g) const { return pending_[g.value()]; }
  bool finished() const { return remaining_ == 0; }
  size_t held_events() const { return held_events_; }
  std::chrono::microseconds worst_pause() const { return worst_pause_; }
  // The latest held watermark of each sender that sent one, in the order they first came.
  const std::vector<std::pair<uint32_t, EventTime>>& held_watermarks() const {
    return held_watermarks_;
  }

  // Keeps back the events of `batch` whose group is pending; returns the others.
  EventBatch hold(EventBatch batch);
  void hold_watermark(uint32_t sender, EventTime wm);

  // The group to copy next: the one with the most held events, so that held input waits least;
  // nullopt once every group is copied.
  std::optional<KeyGroup> next() const;
  // Marks a group copied, and returns the events held for it, to be handled now.
  std::vector<EventBatch> taken(KeyGroup g, std::chrono::microseconds pause);

 private:
  uint32_t key_groups_;
  std::shared_ptr<SnapshotRequest> request_;
  std::vector<bool> pending_;                  // [key group]
  std::vector<std::vector<EventBatch>> held_;  // [key group]
  std::vector<size_t> held_count_;             // [key group]
  std::vector<KeyGroup> order_;                // the owned groups, in the order they are copied
  size_t remaining_;
  size_t held_events_ = 0;
  std::vector<std::pair<uint32_t, EventTime>> held_watermarks_;
  std::chrono::microseconds worst_pause_{0};
};

}  // namespace eddy
