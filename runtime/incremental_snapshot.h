#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "runtime/event.h"
#include "runtime/ids.h"

namespace eddy {

// A snapshot of one worker's key groups taken a group at a time, so that the worker stops for one
// group's copy at a time rather than for all of them at once.
//
// From the moment it begins, every group is pending: its state must be copied as it is now.
// Events for a pending group are held (their order kept) until its copy is taken; events for
// groups already copied are handled at once. The watermark is held too, since a watermark fires
// timers in every group; it is applied once the last group is copied. Everything else the worker
// is asked to do that could change state waits for the whole snapshot (see Worker::handle).
//
// Owned by the worker thread; not thread-safe.
class IncrementalSnapshot {
 public:
  using OnGroup = std::function<void(KeyGroup group, std::string bytes)>;
  using Done = std::function<void(std::chrono::microseconds worst_pause)>;

  IncrementalSnapshot(const std::vector<KeyGroup>& owned, uint32_t key_groups, OnGroup on_group,
                      Done done);

  bool pending(KeyGroup g) const { return pending_[g.value()]; }
  bool finished() const { return remaining_ == 0; }
  size_t held_events() const { return held_events_; }
  std::optional<EventTime> held_watermark() const { return held_watermark_; }

  // Keeps back the events of `batch` whose group is pending; returns the others.
  EventBatch hold(EventBatch batch);
  void hold_watermark(EventTime wm);

  // The group to copy next: the one with the most held events, so that held input waits least;
  // nullopt once every group is copied.
  std::optional<KeyGroup> next() const;
  // Hands over a group's copy, and returns the events held for it, to be handled now.
  std::vector<EventBatch> taken(KeyGroup g, std::string bytes, std::chrono::microseconds pause);
  // Reports the worst pause. Call once, when finished.
  void finish();

 private:
  uint32_t key_groups_;
  OnGroup on_group_;
  Done done_;
  std::vector<bool> pending_;                  // [key group]
  std::vector<std::vector<EventBatch>> held_;  // [key group]
  std::vector<size_t> held_count_;             // [key group]
  std::vector<KeyGroup> order_;                // the owned groups, in the order they are copied
  size_t remaining_;
  size_t held_events_ = 0;
  std::optional<EventTime> held_watermark_;
  std::chrono::microseconds worst_pause_{0};
};

}  // namespace eddy
