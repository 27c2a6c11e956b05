#include "runtime/global_aggregate.h"

#include <algorithm>
#include <chrono>
#include <climits>

namespace eddy {

AggregateBoard::AggregateBoard(uint32_t workers)
    : by_worker_(workers), last_epoch_(workers, INT64_MIN) {}

void AggregateBoard::publish(uint32_t worker, int64_t epoch, AggregateParts parts) {
  {
    std::lock_guard lock(mu_);
    by_worker_[worker].push_back({last_epoch_[worker], epoch, std::move(parts)});
    last_epoch_[worker] = epoch;
    // Entries every worker has moved past are needed by nobody any more.
    forget_before_locked(*std::min_element(last_epoch_.begin(), last_epoch_.end()));
  }
  published_.notify_all();
}

void AggregateBoard::forget_before_locked(int64_t epoch) {
  for (auto& entries : by_worker_) {
    while (entries.size() > 1 && entries.front().to < epoch)
      entries.pop_front();
  }
}

bool AggregateBoard::ready_locked(int64_t epoch) const {
  for (int64_t last : last_epoch_) {
    if (last < epoch) return false;
  }
  return true;
}

bool AggregateBoard::ready(int64_t epoch) const {
  std::lock_guard lock(mu_);
  return ready_locked(epoch);
}

void AggregateBoard::wait(int64_t epoch, int64_t micros) {
  std::unique_lock lock(mu_);
  published_.wait_for(lock, std::chrono::microseconds(micros), [&] { return ready_locked(epoch); });
}

AggregateParts AggregateBoard::merged(int64_t epoch) const {
  std::lock_guard lock(mu_);
  AggregateParts out;
  for (const auto& entries : by_worker_) {
    const auto covering = std::find_if(entries.begin(), entries.end(), [&](const Entry& e) {
      return e.from_exclusive < epoch && epoch <= e.to;
    });
    if (covering == entries.end()) continue;  // not ready: callers check ready() first
    if (out.empty()) {
      for (const auto& part : covering->parts)
        out.push_back(part ? part->clone() : nullptr);
      continue;
    }
    for (size_t i = 0; i < out.size() && i < covering->parts.size(); ++i) {
      if (!out[i] || !covering->parts[i]) continue;
      auto sum = out[i]->clone();
      sum->merge(*covering->parts[i]);
      out[i] = std::move(sum);
    }
  }
  return out;
}

}  // namespace eddy
