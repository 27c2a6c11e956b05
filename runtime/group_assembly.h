#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "runtime/ids.h"
#include "runtime/snapshot_request.h"
#include "runtime/state_io.h"

namespace eddy {

// One worker's part of a snapshot, put together stage by stage. Each key group's bytes are the
// stage count, then every stage's state in stage order, each nested (what
// Engine::restore_key_groups reads); a group is handed to the request once its last stage is in.
//
// Stages of one snapshot are taken at different moments (each when its barrier has aligned), and
// a group's sections must still go in stage order: the worker copies a group's earlier stages
// first when a later one gets to it sooner (see Worker::copy_group).
//
// Owned by the worker thread; not thread-safe.
class GroupAssembly {
 public:
  GroupAssembly(std::shared_ptr<SnapshotRequest> request, uint32_t stages, uint32_t key_groups);

  // The stage whose section `group` needs next.
  uint32_t next_stage(KeyGroup group) const { return next_stage_[group.value()]; }
  // Appends the next stage's section of `group`, written by `write`. `size_hint` sizes the buffer
  // when this is the group's first section. Returns the group's size so far.
  size_t add(KeyGroup group, size_t size_hint, const std::function<void(StateWriter&)>& write);
  // One stage of this worker's groups is all in; true once every stage is (the worker is done).
  bool stage_finished(std::chrono::microseconds worst_pause);

 private:
  std::shared_ptr<SnapshotRequest> request_;
  uint32_t stages_;
  std::vector<StateWriter> writers_;  // [key group]
  std::vector<uint32_t> next_stage_;  // [key group]
  uint32_t stages_finished_ = 0;
  std::chrono::microseconds worst_pause_{0};
};

}  // namespace eddy
