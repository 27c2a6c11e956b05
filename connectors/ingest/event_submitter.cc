#include "connectors/ingest/event_submitter.h"

#include <algorithm>
#include <thread>

#include "connectors/match/customer_record_event.h"

namespace eddy {
namespace {

IngestErrc errc_of(RejectReason r) {
  switch (r) {
    case RejectReason::kMissingKey:
      return IngestErrc::kMissingUserId;
    case RejectReason::kUnknownEventType:
      return IngestErrc::kUnknownEventType;
    case RejectReason::kTooManyProperties:
      return IngestErrc::kTooManyProperties;
  }
  return IngestErrc::kInternal;
}

}  // namespace

EventSubmitter::EventSubmitter(Intake& intake, MessageDedup& dedup, WallTime received_at,
                               SubmitterOptions options)
    : intake_(intake),
      dedup_(dedup),
      received_at_(received_at),
      options_(options),
      ack_(std::make_shared<AckLatch>()) {
  if (options_.max_batch_events == 0) options_.max_batch_events = 1;
  // A batch the log fails to write was never taken: its ids are forgotten so that the retry is.
  ack_->on_lost([&dedup](std::span<const uint64_t> keys, WallTime received) {
    for (uint64_t k : keys) {
      if (k != 0) dedup.release(MessageIdHash(k), received);
    }
  });
}

EventSubmitter::~EventSubmitter() {
  abandon();
}

void EventSubmitter::note(RequestTally& into, const ItemPos& pos, IngestError error) {
  ++into.rejected;
  ++into.rejected_by_code[static_cast<size_t>(error.code)];
  if (tally_.rejections.size() + chunk_.rejections.size() < options_.max_reported_rejections) {
    into.rejections.push_back({pos, std::move(error)});
  }
}

void EventSubmitter::reject(const ItemPos& pos, IngestError error) {
  if (!chunk_first_) chunk_first_ = pos;
  note(chunk_, pos, std::move(error));
}

Status EventSubmitter::add(const ItemPos& pos, const MappedEvent& event) {
  if (!chunk_first_) chunk_first_ = pos;
  std::optional<MessageIdHash> id;
  if (!event.message_id.empty()) {
    id = hash_message_id(event.message_id);
    if (dedup_.claim(*id, received_at_) == DedupClaim::kDuplicate) {
      ++chunk_.duplicates;
      return {};
    }
  }
  builder_.add(event.draft);
  pending_.push_back({pos, id});
  if (event.record != nullptr) {
    CustomerRecordOrigin origin;
    origin.known_user = true;
    add_customer_record_event(builder_, event.record_type, *event.record, *event.raw_record, origin,
                              event.draft.time);
    pending_.push_back({pos, std::nullopt, true});
  }
  if (pending_.size() >= options_.max_batch_events) return finish();
  return {};
}

Status EventSubmitter::finish() {
  if (pending_.empty()) {
    settle(SubmitResult{});
    return {};
  }
  const EventBatch batch = builder_.finish();
  const Status status = submit(batch);
  if (!status.is_ok()) {
    resume_at_ = chunk_first_;
    abandon();
  }
  return status;
}

Status EventSubmitter::submit(const EventBatch& batch) {
  using Clock = std::chrono::steady_clock;
  // Only a request that has already had a batch taken waits; see SubmitterOptions::busy_wait.
  const bool may_wait = tally_.accepted + tally_.duplicates + tally_.rejected != 0;
  const Clock::time_point deadline = Clock::now() + options_.busy_wait;
  auto pause = std::chrono::microseconds(50);
  keys_.clear();
  bool any_key = false;
  for (const Pending& p : pending_) {
    keys_.push_back(p.id ? p.id->value() : 0);
    any_key |= p.id.has_value();
  }
  if (!any_key) keys_.clear();
  while (true) {
    SubmitResult result = intake_.submit(batch, keys_, received_at_, ack_);
    if (result.status.is_ok()) {
      settle(result);
      return {};
    }
    if (result.status.code() != Errc::kBusy || !may_wait || Clock::now() >= deadline) {
      return result.status;
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(10'000));
  }
}

void EventSubmitter::settle(const SubmitResult& result) {
  size_t companions = 0;
  for (const Pending& p : pending_)
    companions += p.companion ? 1 : 0;
  for (const Rejection& r : result.rejected) {
    const Pending& p = pending_[r.index];
    if (p.companion) {
      --companions;
      continue;
    }
    // The engine did not take it, so a corrected retry under the same messageId must be taken.
    if (p.id) dedup_.release(*p.id, received_at_);
    note(chunk_, p.pos, {errc_of(r.reason), r.message, std::nullopt});
  }
  tally_.accepted += result.accepted - companions;
  tally_.duplicates += chunk_.duplicates;
  tally_.rejected += chunk_.rejected;
  for (size_t i = 0; i < kIngestErrcCount; ++i)
    tally_.rejected_by_code[i] += chunk_.rejected_by_code[i];
  for (ItemRejection& r : chunk_.rejections)
    tally_.rejections.push_back(std::move(r));
  chunk_ = RequestTally{};
  chunk_first_.reset();
  pending_.clear();
}

void EventSubmitter::abandon() {
  for (const Pending& p : pending_) {
    if (p.id) dedup_.release(*p.id, received_at_);
  }
  pending_.clear();
  builder_.clear();
  chunk_ = RequestTally{};
  chunk_first_.reset();
}

}  // namespace eddy
