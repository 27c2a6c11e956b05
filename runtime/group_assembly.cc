#include "runtime/group_assembly.h"

#include <algorithm>

namespace eddy {

GroupAssembly::GroupAssembly(std::shared_ptr<SnapshotRequest> request, uint32_t stages,
                             uint32_t key_groups)
    : request_(std::move(request)),
      stages_(stages),
      writers_(key_groups),
      next_stage_(key_groups, 0) {}

size_t GroupAssembly::add(KeyGroup group, size_t size_hint,
                          const std::function<void(StateWriter&)>& write) {
  StateWriter& out = writers_[group.value()];
  uint32_t& stage = next_stage_[group.value()];
  if (stage == 0) {
    out.reserve(size_hint);
    out.put<uint32_t>(stages_);
  }
  const size_t mark = out.begin_nested();
  write(out);
  out.end_nested(mark);
  const size_t size = out.size();
  if (++stage == stages_) request_->group_taken(group, out.take());
  return size;
}

bool GroupAssembly::stage_finished(std::chrono::microseconds worst_pause) {
  worst_pause_ = std::max(worst_pause_, worst_pause);
  if (++stages_finished_ < stages_) return false;
  request_->worker_done(worst_pause_);
  return true;
}

}  // namespace eddy
