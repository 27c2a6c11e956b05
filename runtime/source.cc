#include "runtime/source.h"

#include <algorithm>

#include "runtime/key_hash.h"

namespace eddy {

const char* reject_reason_code(RejectReason r) {
  switch (r) {
    case RejectReason::kMissingKey:
      return "missing_key";
    case RejectReason::kUnknownEventType:
      return "unknown_event_type";
    case RejectReason::kTooManyProperties:
      return "too_many_properties";
  }
  return "unknown";
}

Source::Source(const TopologySpec& spec, const RuntimeSettings& settings, uint32_t workers,
               std::vector<std::unique_ptr<Inbox>>& inboxes, const Clock& clock, Gate& gate)
    : spec_(spec),
      settings_(settings),
      workers_(workers),
      inboxes_(inboxes),
      clock_(clock),
      gate_(gate),
      sent_batches_(new std::atomic<uint64_t>[workers]) {
  for (uint32_t w = 0; w < workers; ++w)
    sent_batches_[w].store(0);
  last_input_wall_.store(clock.now().value());
}

std::optional<RejectReason> Source::check(const EventRef& e) const {
  if (e.key().empty()) return RejectReason::kMissingKey;
  if (!spec_.types().contains(e.type())) return RejectReason::kUnknownEventType;
  if (e.prop_count() > kMaxBagProperties) return RejectReason::kTooManyProperties;
  return std::nullopt;
}

std::optional<Rejection> Source::rejection_of(size_t index, const EventRef& e) const {
  auto bad = check(e);
  if (!bad) return std::nullopt;
  std::string message = std::string(reject_reason_code(*bad));
  if (*bad == RejectReason::kUnknownEventType) {
    message = "event type " + std::to_string(e.type().value()) + " is not accepted by topology '" +
              spec_.name() + "'";
  }
  return Rejection{index, *bad, std::move(message)};
}

std::vector<Rejection> Source::screen(const EventBatch& batch) {
  std::vector<Rejection> out;
  for (size_t i = 0; i < batch.events.size(); ++i) {
    if (auto bad = rejection_of(i, EventRef(batch.events[i], *batch.payload))) {
      rejected_[static_cast<size_t>(bad->reason)].fetch_add(1, std::memory_order_relaxed);
      out.push_back(std::move(*bad));
    }
  }
  return out;
}

SubmitResult Source::submit(const EventBatch& batch) {
  SubmitResult result;
  GateHolder held(gate_);
  if (!held.entered()) {
    result.status = Status(Errc::kStopped, "the engine is shutting down");
    return result;
  }
  // A full inbox is the common reason to refuse; finding out before splitting the batch spares a
  // retrying producer the whole split each time. The reservations below remain the real check.
  for (uint32_t w = 0; w < workers_; ++w) {
    const int64_t queued = inboxes_[w]->queued_events(StageId(0));
    if (queued != 0 && queued >= inboxes_[w]->capacity_events()) {
      busy_.fetch_add(1, std::memory_order_relaxed);
      result.status = Status(Errc::kBusy, "worker inboxes are full");
      return result;
    }
  }

  // Split by destination worker, dropping (and reporting) what fails the checks. Splits share the
  // payload, so only the small fixed-size event structs are copied.
  std::vector<std::vector<Event>> parts(workers_);
  int64_t newest = kMinEventTime.value();
  for (size_t i = 0; i < batch.events.size(); ++i) {
    const Event& e = batch.events[i];
    if (auto bad = rejection_of(i, EventRef(e, *batch.payload))) {
      result.rejected.push_back(std::move(*bad));
      continue;
    }
    newest = std::max(newest, e.time.value());
    parts[worker_of(key_group_of(e.key_hash, settings_.key_groups), workers_).value()].push_back(e);
  }

  // All or nothing: reserve room everywhere first.
  for (uint32_t w = 0; w < workers_; ++w) {
    if (parts[w].empty()) continue;
    if (!inboxes_[w]->try_reserve(StageId(0), static_cast<int64_t>(parts[w].size()))) {
      for (uint32_t u = 0; u < w; ++u) {
        if (!parts[u].empty())
          inboxes_[u]->release(StageId(0), static_cast<int64_t>(parts[u].size()));
      }
      busy_.fetch_add(1, std::memory_order_relaxed);
      result.status = Status(Errc::kBusy, "worker inboxes are full");
      result.rejected.clear();
      return result;
    }
  }

  for (const Rejection& r : result.rejected) {
    rejected_[static_cast<size_t>(r.reason)].fetch_add(1, std::memory_order_relaxed);
  }
  for (uint32_t w = 0; w < workers_; ++w) {
    if (parts[w].empty()) continue;
    result.accepted += parts[w].size();
    Message m;
    m.kind = MessageKind::kEvents;
    m.sender = kFromSource;
    m.batch.events = std::move(parts[w]);
    m.batch.payload = batch.payload;
    inboxes_[w]->push(StageId(0), std::move(m));
    sent_batches_[w].fetch_add(1, std::memory_order_acq_rel);
  }
  accepted_.fetch_add(result.accepted, std::memory_order_relaxed);

  if (result.accepted != 0) last_input_wall_.store(clock_.now().value(), std::memory_order_release);
  if (result.accepted != 0 && settings_.time_mode != TimeMode::kManual) {
    int64_t candidate = newest;
    if (settings_.time_mode == TimeMode::kLive) {
      // A client with a clock far ahead must not drag the watermark into the future.
      candidate = std::min(candidate, clock_.now().value() + settings_.max_future_skew_ms);
    }
    raise_watermark_to(EventTime(candidate - settings_.max_out_of_orderness_ms));
  }
  return result;
}

void Source::tick() {
  if (settings_.time_mode != TimeMode::kLive) return;
  const int64_t now = clock_.now().value();
  if (now - last_input_wall_.load(std::memory_order_acquire) < settings_.idle_timeout_ms) return;
  GateHolder held(gate_);
  if (!held.entered()) return;
  raise_watermark_to(EventTime(now - settings_.max_out_of_orderness_ms));
}

void Source::advance_watermark(EventTime wm) {
  GateHolder held(gate_);
  if (!held.entered()) return;
  raise_watermark_to(wm);
}

void Source::raise_watermark_to(EventTime candidate) {
  int64_t current = watermark_.load(std::memory_order_acquire);
  while (candidate.value() > current) {
    if (watermark_.compare_exchange_weak(current, candidate.value(), std::memory_order_acq_rel)) {
      broadcast_watermark(candidate);
      return;
    }
  }
}

void Source::broadcast_watermark(EventTime wm) {
  // Two threads may broadcast out of order; workers keep the maximum, so that is harmless.
  for (uint32_t w = 0; w < workers_; ++w) {
    Message m;
    m.kind = MessageKind::kWatermark;
    m.sender = kFromSource;
    m.watermark = wm;
    inboxes_[w]->push(StageId(0), std::move(m));
  }
}

void Source::broadcast_marker(MessageKind kind, uint64_t barrier_id,
                              const std::shared_ptr<SnapshotRequest>& snapshot) {
  Message prototype;
  prototype.kind = kind;
  prototype.barrier = barrier_id;
  prototype.snapshot = snapshot;
  broadcast(prototype);
}

void Source::broadcast_task_barrier(StageId stage, const std::function<void(Worker&)>& task) {
  Message prototype;
  prototype.kind = MessageKind::kBarrier;
  prototype.task = task;
  prototype.task_stage = stage;
  broadcast(prototype);
}

void Source::broadcast(const Message& prototype) {
  for (uint32_t w = 0; w < workers_; ++w) {
    Message m = forwarded(prototype, kFromSource);
    m.source_batches_before = sent_batches_[w].load(std::memory_order_acquire);
    inboxes_[w]->push(StageId(0), std::move(m));
  }
}

SourceMetrics Source::metrics() const {
  SourceMetrics m;
  m.accepted = accepted_.load(std::memory_order_relaxed);
  m.busy_batches = busy_.load(std::memory_order_relaxed);
  for (size_t i = 0; i < kRejectReasonCount; ++i) {
    m.rejected[i] = rejected_[i].load(std::memory_order_relaxed);
  }
  m.watermark = watermark();
  return m;
}

}  // namespace eddy
