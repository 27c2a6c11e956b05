#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "runtime/event.h"
#include "runtime/ids.h"
#include "runtime/key_move.h"

namespace eddy {

class SnapshotRequest;
class Worker;

// Sender id of messages that come from the source rather than from another worker.
inline constexpr uint32_t kFromSource = UINT32_MAX;

enum class MessageKind : uint8_t {
  kEvents,     // a batch for the stage
  kWatermark,  // the sender's watermark for the stage
  kBarrier,    // marks a point in the stream: everything before it has been handled
  kTask,       // runs a function on the worker (queries, admin); answers through the function
  kEnd,        // the sender will send nothing more to this stage
  kKeyMove,    // one key's state moving to another key of the same stage (identity resolution)
};

struct Message {
  MessageKind kind = MessageKind::kEvents;
  uint32_t sender = kFromSource;
  EventBatch batch;
  EventTime watermark;
  uint64_t barrier = 0;
  // On a barrier: the snapshot each stage takes when the barrier has aligned there; null for a
  // barrier that only marks a point (Engine::sync).
  std::shared_ptr<SnapshotRequest> snapshot;
  // On barriers and ends from the source: how many source batches the source had sent to this
  // worker before it. Queues are FIFO per producer only, so a marker sent by one thread can
  // overtake batches sent earlier by another; the worker holds the marker back until it has seen
  // them all.
  uint64_t source_batches_before = 0;
  std::function<void(Worker&)> task;
  // On a barrier that carries a task (a run-time command): the stage that runs it, once
  // the barrier has aligned there, so that it falls on the same side of every snapshot's cut as
  // the input around it.
  StageId task_stage{0};
  // A task that may change state (a command, a restore) waits for a snapshot in progress to
  // finish; one that only reads (a query) runs at once.
  bool task_writes = true;
  // On event batches of later stages: the inbox room was already given back (the batch was taken
  // aside while its worker waited for a global aggregate; see Worker::exchange_aggregates).
  bool room_released = false;
  // On a key move.
  std::shared_ptr<const KeyMove> move;
};

// A control message (watermark, barrier, end) passed on by `sender`: everything that travels with
// it, and none of what belongs to one hop (events, the source's batch count, the room flag).
inline Message forwarded(const Message& prototype, uint32_t sender) {
  Message m;
  m.kind = prototype.kind;
  m.sender = sender;
  m.watermark = prototype.watermark;
  m.barrier = prototype.barrier;
  m.snapshot = prototype.snapshot;
  m.task = prototype.task;
  m.task_stage = prototype.task_stage;
  return m;
}

}  // namespace eddy
