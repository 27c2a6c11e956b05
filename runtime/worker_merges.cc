// Identity resolution on a worker: moving one key's state into another key of the same stage.
//
// Upstream, one step causes both halves: it sends the old key's input a marker that moves the key
// out (Context::move_key_to) and the surviving key's input a marker that expects it
// (Context::expect_key_from), both before its next barrier or both after. So when a later stage's
// barrier has aligned, every move that the snapshot must contain has either merged or is awaited
// here; the barrier waits for those, and a snapshot never sees a move in flight. Moves that arrive
// before their expect (the two markers travel different channels) wait as early until it comes.
#include <algorithm>

#include "runtime/key_hash.h"
#include "runtime/log.h"
#include "runtime/worker.h"

namespace eddy {

void Worker::move_key(StageId stage, std::shared_ptr<const KeyMove> move) {
  const KeyGroup group = key_group_of(move->into_hash, fabric_.settings.key_groups);
  Message m;
  m.kind = MessageKind::kKeyMove;
  m.sender = id_.value();
  m.move = std::move(move);
  // Outside the inbox's event budget, like every control message: moves are few (one per link of
  // two identities), and waiting for room here could wait on the worker that waits for this move.
  fabric_.inboxes[worker_of(group, fabric_.workers).value()]->push(stage, std::move(m));
}

void Worker::expect_key(StageId stage, KeyHash into, KeyHash from) {
  StageMerges& merges = merges_[stage.value()];
  auto [it, began] = merges.waiting.try_emplace(into.value());
  KeyMerge& merge = it->second;
  if (began) {
    ++merges.filter[StageMerges::slot(into.value())];
    merge.watermark = watermark_[stage.value()];
  }
  merge.awaiting.push_back(from);
  auto early = std::find_if(merges.early.begin(), merges.early.end(), [&](const auto& move) {
    return move->into_hash == into && move->from_hash == from;
  });
  if (early != merges.early.end()) {
    // Merged once the event that expects it is done: not in the middle of its operators.
    merges.ready.push_back(std::move(*early));
    merges.early.erase(early);
  }
}

bool Worker::hold_for_merge(StageId stage, const EventRef& event) {
  if (merges_[stage.value()].filter[StageMerges::slot(event.key_hash().value())] == 0) return false;
  auto waiting = merges_[stage.value()].waiting.find(event.key_hash().value());
  if (waiting == merges_[stage.value()].waiting.end()) return false;
  waiting->second.held.add(event);
  return true;
}

void Worker::handle_key_move(StageId stage, std::shared_ptr<const KeyMove> move) {
  StageMerges& merges = merges_[stage.value()];
  auto waiting = merges.waiting.find(move->into_hash.value());
  if (waiting == merges.waiting.end() ||
      std::find(waiting->second.awaiting.begin(), waiting->second.awaiting.end(),
                move->from_hash) == waiting->second.awaiting.end()) {
    merges.early.push_back(std::move(move));
    return;
  }
  merges.ready.push_back(std::move(move));
  merge_ready(stage);
}

void Worker::merge_ready(StageId stage) {
  StageMerges& merges = merges_[stage.value()];
  // Held events handled below may make another move ready: the loop here takes it, after the rest
  // of those events. Settling in the middle would pass the barrier before them.
  if (merges.merging) return;
  merges.merging = true;
  while (merges.ready_next < merges.ready.size()) {
    const std::shared_ptr<const KeyMove> move = std::move(merges.ready[merges.ready_next++]);
    if (merges.ready_next == merges.ready.size()) {
      merges.ready.clear();
      merges.ready_next = 0;
    }
    merge_moved(stage, *move);
    auto waiting = merges.waiting.find(move->into_hash.value());
    auto& awaiting = waiting->second.awaiting;
    awaiting.erase(std::find(awaiting.begin(), awaiting.end(), move->from_hash));
    if (!awaiting.empty()) continue;
    const EventTime held_since = waiting->second.watermark;
    const EventBatch held = waiting->second.held.finish();
    merges.waiting.erase(waiting);
    --merges.filter[StageMerges::slot(move->into_hash.value())];
    // May begin a new wait for the key (a held marker expecting another move): what follows that
    // marker is held again.
    if (!held.empty()) handle_events(stage, held, held_since);
  }
  merges.merging = false;
  if (merges.waiting.empty()) merges_settled(stage);
}

void Worker::merge_moved(StageId stage, const KeyMove& move) {
  const KeyGroup group = key_group_of(move.into_hash, fabric_.settings.key_groups);
  // A snapshot in progress copies the group as it was before the merge. (A merge normally follows
  // the copy already: its expect came after the barrier. This keeps it so whatever the order.)
  if (snapshots_[stage.value()] && snapshots_[stage.value()]->pending(group))
    copy_group(stage, group);
  StageInstance& target = *instance(stage, group);
  const Status merged =
      target.merge_key_in(move.into_hash, move.into, move.state, watermark_[stage.value()], *this);
  if (!merged) {
    // Written by move_key_out of this very build: a bug, not bad input. The key keeps what it had
    // merged so far; counted and logged rather than lost in silence.
    ++counters_.rejected["key_move_failed"];
    log_line(LogLevel::kError, "a key's state could not be merged into another",
             {{"from", move.from}, {"into", move.into}, {"reason", merged.message()}});
  }
}

void Worker::merges_settled(StageId stage) {
  StageMerges& merges = merges_[stage.value()];
  if (merges.barrier) {
    const Message barrier = std::move(*merges.barrier);
    merges.barrier.reset();
    release_alignment(stage, barrier);
  }
  if (merges.end && merges.waiting.empty()) {
    merges.end = false;
    pass_end(stage);
  }
}

}  // namespace eddy
