#include "runtime/worker.h"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "runtime/key_hash.h"
#include "runtime/this_thread.h"

namespace eddy {

namespace {
constexpr size_t kPopMessages = 64;
// How many events an earlier stage handles before the later ones get their turn again (about one
// source batch). The last stage drains up to kPopMessages at a time. Input of 64 source batches at
// once kept a worker's later stage, and the peers that wait for it at an exchange (RFM's epoch),
// waiting for a fifth of a second: at two workers behind an identity stage that was a third of
// the run spent waiting.
constexpr size_t kEarlierStageTurnEvents = 1024;
// How long a worker whose output is held back by a full inbox waits before trying again.
constexpr int64_t kBlockedRetryMicros = 500;

int64_t micros_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

int64_t thread_cpu_micros() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<int64_t>(t.tv_sec) * 1'000'000 + t.tv_nsec / 1'000;
}
}  // namespace

Worker::Worker(WorkerId id, Fabric& fabric)
    : id_(id), fabric_(fabric), stage_count_(static_cast<uint32_t>(fabric.spec->stage_count())) {}

Worker::~Worker() {
  join();
}

Status Worker::init() {
  const uint32_t groups = fabric_.settings.key_groups;
  for (uint32_t g = 0; g < groups; ++g) {
    if (worker_of(KeyGroup(g), fabric_.workers) == id_) owned_.push_back(KeyGroup(g));
  }
  instances_.resize(stage_count_);
  const EventTime lateness(fabric_.settings.allowed_lateness_ms);
  for (uint32_t s = 0; s < stage_count_; ++s) {
    instances_[s].resize(groups);
    for (KeyGroup g : owned_) {
      auto made = StageInstance::create(*fabric_.spec, StageId(s), g, lateness);
      if (!made) return made.status();
      instances_[s][g.value()] = std::move(made).value();
    }
  }
  aggregating_ops_.resize(stage_count_);
  aggregate_epoch_.assign(stage_count_, INT64_MIN);
  for (uint32_t s = 0; s < stage_count_ && !owned_.empty(); ++s) {
    const StageInstance& first = *instances_[s][owned_.front().value()];
    for (size_t i = 0; i < first.op_count(); ++i) {
      if (first.op(i).aggregates_globally()) aggregating_ops_[s].push_back(i);
    }
  }
  last_snapshot_bytes_.assign(groups, 0);
  watermark_.assign(stage_count_, kMinEventTime);
  sender_watermark_.assign(stage_count_, std::vector<EventTime>(fabric_.workers, kMinEventTime));
  alignments_.resize(stage_count_);
  set_aside_.resize(stage_count_);
  snapshots_.resize(stage_count_);
  merges_.resize(stage_count_);
  end_arrivals_.assign(stage_count_, 0);
  outboxes_.resize(stage_count_);
  for (uint32_t s = 1; s < stage_count_; ++s)
    outboxes_[s] = std::vector<Outbox>(fabric_.workers);
  sink_buffers_.resize(stage_count_);
  for (uint32_t s = 0; s < stage_count_; ++s) {
    sink_buffers_[s] = std::vector<BatchBuilder>(fabric_.stage_sinks[s].size());
  }
  return {};
}

void Worker::start() {
  thread_ = std::thread([this] {
    name_this_thread("eddy-worker-" + std::to_string(id_.value()));
    run();
  });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::run() {
  while (true) {
    bool progressed = snapshot_step();
    bool blocked = false;
    // Later stages first: they are what frees room for the output of earlier ones.
    for (uint32_t s = stage_count_; s-- > 0;) {
      if (!is_last(StageId(s)) && !flush_outboxes(StageId(s + 1))) {
        blocked = true;
        continue;
      }
      progressed |= drain(StageId(s));
    }
    if (ended_ && !blocked && all_queues_empty()) break;
    if (!progressed) {
      const auto idle_from = std::chrono::steady_clock::now();
      inbox().wait(blocked ? kBlockedRetryMicros : -1);
      counters_.idle_micros += micros_since(idle_from);
    }
  }
  flush_sinks();
}

bool Worker::all_queues_empty() {
  for (uint32_t s = 0; s < stage_count_; ++s) {
    if (drain(StageId(s))) return false;
  }
  return true;
}

bool Worker::drain(StageId stage) {
  std::deque<Message>& aside = set_aside_[stage.value()];
  size_t n = 0, events = 0;
  const size_t budget = is_last(stage) ? SIZE_MAX : kEarlierStageTurnEvents;
  for (; n < kPopMessages && events < budget; ++n) {
    Message m;
    if (!aside.empty()) {
      // Popped before anything still queued: handled first, in order.
      m = std::move(aside.front());
      aside.pop_front();
    } else if (inbox().pop(stage, &m, 1) == 0) {
      break;
    }
    events += m.batch.size();
    consume(stage, m);
  }
  if (n == 0) return false;
  if (!is_last(stage)) flush_outboxes(StageId(stage.value() + 1));
  flush_sinks();
  return true;
}

void Worker::set_aside_input(StageId stage) {
  Message batch[kPopMessages];
  std::deque<Message>& aside = set_aside_[stage.value()];
  while (const size_t n = inbox().pop(stage, batch, kPopMessages)) {
    for (size_t i = 0; i < n; ++i) {
      Message& m = batch[i];
      if (m.kind == MessageKind::kEvents && !m.batch.empty() && !m.room_released) {
        inbox().release(stage, static_cast<int64_t>(m.batch.size()), m.sender);
        m.room_released = true;
      }
      aside.push_back(std::move(m));
    }
  }
}

void Worker::consume(StageId stage, Message& m) {
  if (parks(stage, m)) {
    alignments_[stage.value()].held.push_back(std::move(m));
    return;
  }
  const uint32_t sender = m.sender;
  const auto events =
      m.kind == MessageKind::kEvents && !m.room_released ? static_cast<int64_t>(m.batch.size()) : 0;
  handle(stage, m);
  if (events != 0) inbox().release(stage, events, sender);
}

bool Worker::parks(StageId stage, const Message& m) const {
  if (m.sender == kFromSource) return false;  // the source's input and tasks are never aligned
  // A move is caused by input before the barrier on both sides (see expect_key_from), or else it
  // waits as early; keeping it back could keep back the alignment that waits for it.
  if (m.kind == MessageKind::kKeyMove) return false;
  const Alignment& a = alignments_[stage.value()];
  return a.count != 0 && a.arrived[m.sender];
}

void Worker::handle(StageId stage, Message& m) {
  IncrementalSnapshot* snapshot = snapshots_[stage.value()].get();
  switch (m.kind) {
    case MessageKind::kEvents:
      if (snapshot != nullptr) {
        const EventBatch now = snapshot->hold(std::move(m.batch));
        if (!now.empty()) handle_events(stage, now);
        // Held input is out of the inbox's budget; past a bound the rest is copied in one go.
        if (snapshot->held_events() > static_cast<size_t>(inbox().capacity_events()))
          finish_snapshot(stage);
      } else {
        handle_events(stage, m.batch);
      }
      if (m.sender == kFromSource) {
        ++source_batches_seen_;
        release_deferred();
      }
      break;
    case MessageKind::kWatermark:
      if (snapshot != nullptr) {
        snapshot->hold_watermark(m.sender, m.watermark);
      } else {
        handle_watermark(stage, m.sender, m.watermark);
      }
      break;
    case MessageKind::kBarrier:
    case MessageKind::kEnd:
      if (m.sender == kFromSource && m.source_batches_before > source_batches_seen_) {
        deferred_.push_back(std::move(m));
      } else if (m.kind == MessageKind::kBarrier) {
        handle_barrier(stage, m);
      } else {
        handle_end(stage, m.sender);
      }
      break;
    case MessageKind::kKeyMove:
      handle_key_move(stage, std::move(m.move));
      break;
    case MessageKind::kTask:
      // Queries run at once; anything that may change state (a command, a restore) waits for the
      // snapshots in progress, which must not see it.
      if (m.task_writes) finish_snapshots();
      m.task(*this);
      break;
  }
}

void Worker::release_deferred() {
  while (!deferred_.empty() && deferred_.front().source_batches_before <= source_batches_seen_) {
    Message m = std::move(deferred_.front());
    deferred_.pop_front();
    if (m.kind == MessageKind::kBarrier) {
      handle_barrier(StageId(0), m);
    } else {
      handle_end(StageId(0), m.sender);
    }
  }
}

void Worker::begin_snapshot(StageId stage, const std::shared_ptr<SnapshotRequest>& request) {
  if (stage.value() == 0) {
    assemblies_.try_emplace(request.get(), request, stage_count_, fabric_.settings.key_groups);
  }
  snapshots_[stage.value()] =
      std::make_unique<IncrementalSnapshot>(owned_, fabric_.settings.key_groups, request);
}

void Worker::copy_group(StageId stage, KeyGroup group) {
  IncrementalSnapshot& snapshot = *snapshots_[stage.value()];
  GroupAssembly& assembly = assemblies_.at(snapshot.request().get());
  // A group's sections go in stage order. An earlier stage of this snapshot that has not copied
  // the group yet is still in progress (it ends only once every group is copied), so copy it there
  // first: its state for the group is still as of its barrier.
  for (uint32_t earlier = assembly.next_stage(group); earlier < stage.value(); ++earlier)
    copy_group(StageId(earlier), group);
  const auto started = std::chrono::steady_clock::now();
  const size_t last = last_snapshot_bytes_[group.value()];
  // Sized like the group's last copy, so that the buffer is not regrown (and copied) as it fills.
  const size_t size = assembly.add(group, last + last / 8 + 64, [&](StateWriter& out) {
    instances_[stage.value()][group.value()]->snapshot(out);
  });
  last_snapshot_bytes_[group.value()] = size;
  const auto pause = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - started);
  for (const EventBatch& held : snapshot.taken(group, pause))
    handle_events(stage, held);
}

bool Worker::snapshot_step() {
  bool any = false;
  for (uint32_t s = 0; s < stage_count_; ++s) {
    if (!snapshots_[s]) continue;
    any = true;
    if (const auto group = snapshots_[s]->next()) {
      copy_group(StageId(s), *group);
      flush_sinks();
      break;
    }
  }
  for (uint32_t s = 0; s < stage_count_; ++s) {
    if (snapshots_[s] && snapshots_[s]->finished()) end_snapshot(StageId(s));
  }
  return any;
}

void Worker::end_snapshot(StageId stage) {
  const std::unique_ptr<IncrementalSnapshot> done = std::move(snapshots_[stage.value()]);
  const SnapshotRequest* request = done->request().get();
  if (assemblies_.at(request).stage_finished(done->worst_pause())) assemblies_.erase(request);
  for (const auto& [sender, wm] : done->held_watermarks())
    handle_watermark(stage, sender, wm);
}

void Worker::finish_snapshot(StageId stage) {
  while (snapshots_[stage.value()]) {
    if (const auto group = snapshots_[stage.value()]->next()) {
      copy_group(stage, *group);
    } else {
      end_snapshot(stage);
    }
  }
}

void Worker::finish_snapshots() {
  for (uint32_t s = 0; s < stage_count_; ++s)
    finish_snapshot(StageId(s));
}

void Worker::handle_events(StageId stage, const EventBatch& batch,
                           std::optional<EventTime> watermark) {
  auto& instances = instances_[stage.value()];
  const EventTime wm = watermark.value_or(watermark_[stage.value()]);
  StageMerges& merges = merges_[stage.value()];
  size_t held = 0;
  const uint32_t groups = fabric_.settings.key_groups;
  // Three passes over runs of events: prefetch every key's bucket of the slot index, then look up
  // every slot (prefetching the operators' state for it), then run the operators. Handling one
  // event at a time, each event paid its misses in turn; this way a run's misses overlap.
  constexpr size_t kRun = 64;
  struct Prepared {
    StageInstance* inst;
    uint32_t slot;
  };
  Prepared run[kRun];
  const size_t n = batch.events.size();
  for (size_t start = 0; start < n; start += kRun) {
    const size_t end = std::min(n, start + kRun);
    for (size_t i = start; i < end; ++i) {
      const Event& e = batch.events[i];
      StageInstance* inst = instances[key_group_of(e.key_hash, groups).value()].get();
      run[i - start] = {inst, 0};
      if (inst != nullptr) inst->prefetch_key(e.key_hash);
    }
    for (size_t i = start; i < end; ++i) {
      Prepared& p = run[i - start];
      if (p.inst != nullptr) p.slot = p.inst->prepare(EventRef(batch.events[i], *batch.payload));
    }
    for (size_t i = start; i < end; ++i) {
      const EventRef ref(batch.events[i], *batch.payload);
      const Prepared& p = run[i - start];
      if (p.inst == nullptr) {
        // Routing and ownership are computed by the same functions, so this is a bug; the event
        // is kept visible rather than lost.
        side_output(stage, kUnroutableOutput, ref);
        continue;
      }
      if (!merges.waiting.empty() && hold_for_merge(stage, ref)) {
        ++held;
        continue;
      }
      p.inst->on_event(ref, p.slot, wm, *this);
      if (!merges.ready.empty()) merge_ready(stage);
    }
  }
  counters_.events_processed += batch.size() - held;
}

void Worker::handle_watermark(StageId stage, uint32_t sender, EventTime wm) {
  const uint32_t s = stage.value();
  EventTime next;
  if (sender == kFromSource) {
    next = std::max(watermark_[s], wm);
  } else {
    // An exchange's watermark is the slowest of its senders'.
    EventTime& from = sender_watermark_[s][sender];
    from = std::max(from, wm);
    next = *std::min_element(sender_watermark_[s].begin(), sender_watermark_[s].end());
  }
  if (next > watermark_[s]) advance(stage, next);
}

void Worker::advance(StageId stage, EventTime wm) {
  const uint32_t s = stage.value();
  watermark_[s] = wm;
  for (KeyGroup g : owned_) {
    counters_.timers_fired += instances_[s][g.value()]->on_watermark(wm, *this);
  }
  if (!aggregating_ops_[s].empty()) {
    const int64_t interval = fabric_.settings.global_aggregate_interval_ms;
    // Floor division, so that negative event times fall into the right epoch too.
    const int64_t epoch = wm.value() / interval - (wm.value() % interval < 0 ? 1 : 0);
    if (epoch > aggregate_epoch_[s]) exchange_aggregates(stage, epoch, wm);
  }
  if (!is_last(stage)) {
    Message m;
    m.kind = MessageKind::kWatermark;
    m.watermark = wm;
    broadcast_next(stage, m);
  }
}

void Worker::exchange_aggregates(StageId stage, int64_t epoch, EventTime wm) {
  const uint32_t s = stage.value();
  AggregateParts parts;
  for (size_t op : aggregating_ops_[s]) {
    std::unique_ptr<GlobalAggregate> local;
    for (KeyGroup g : owned_) {
      auto part = instances_[s][g.value()]->op(op).local_aggregate();
      if (!part) continue;
      if (!local) {
        local = std::move(part);
      } else {
        local->merge(*part);
      }
    }
    parts.push_back(std::move(local));
  }
  AggregateBoard& board = *fabric_.boards[s];
  board.publish(id_.value(), epoch, std::move(parts));
  while (!board.ready(epoch)) {
    // The others may need something from this worker to get here: output it has not sent yet
    // (a watermark behind batches that wait for room), room in this stage's inbox for their
    // output (their barrier to a snapshot may be behind it, and an alignment on another worker
    // may keep back the watermark they need until it arrives), or the later stages' progress.
    for (uint32_t t = 1; t < stage_count_; ++t)
      flush_outboxes(StageId(t));
    for (uint32_t later = s + 1; later < stage_count_; ++later)
      drain(StageId(later));
    if (s > 0) set_aside_input(stage);
    const auto wait_from = std::chrono::steady_clock::now();
    board.wait(epoch, kBlockedRetryMicros);
    counters_.exchange_wait_micros += micros_since(wait_from);
  }
  const AggregateParts merged = board.merged(epoch);
  for (size_t k = 0; k < aggregating_ops_[s].size(); ++k) {
    for (KeyGroup g : owned_) {
      instances_[s][g.value()]
          ->mutable_op(aggregating_ops_[s][k])
          .on_global_aggregate(merged[k], wm);
    }
  }
  aggregate_epoch_[s] = epoch;
}

void Worker::handle_barrier(StageId stage, Message& m) {
  if (m.sender != kFromSource) {
    Alignment& a = alignments_[stage.value()];
    if (a.count == 0) a.arrived.assign(fabric_.workers, false);
    a.arrived[m.sender] = true;
    if (++a.count < fabric_.workers) return;
    StageMerges& merges = merges_[stage.value()];
    if (!merges.waiting.empty()) {
      // Every sender's copy is in, so the count stays full and all their later input stays back
      // until the moves have come (merges_settled).
      merges.barrier = std::move(m);
      return;
    }
    release_alignment(stage, m);
    return;
  }
  pass_barrier(stage, m);
}

void Worker::release_alignment(StageId stage, const Message& barrier) {
  Alignment& a = alignments_[stage.value()];
  std::deque<Message> held;
  held.swap(a.held);
  a.count = 0;
  pass_barrier(stage, barrier);
  // What arrived senders sent after the barrier, in order; a next barrier among it starts a new
  // alignment, and what follows it from its sender is kept back again.
  for (Message& later : held)
    consume(stage, later);
}

void Worker::pass_barrier(StageId stage, const Message& barrier) {
  // A barrier promises that everything before it was handled, input held for a snapshot included.
  finish_snapshot(stage);
  if (barrier.task && barrier.task_stage == stage) {
    barrier.task(*this);
    return;
  }
  if (barrier.snapshot) begin_snapshot(stage, barrier.snapshot);
  if (is_last(stage)) {
    flush_sinks();
    // A snapshot reports through its request once its copies are done; a plain barrier here.
    if (!barrier.snapshot) fabric_.barriers->arrive(barrier.barrier);
    return;
  }
  broadcast_next(stage, barrier);
}

void Worker::handle_end(StageId stage, uint32_t sender) {
  if (sender != kFromSource && ++end_arrivals_[stage.value()] < fabric_.workers) return;
  StageMerges& merges = merges_[stage.value()];
  if (!merges.waiting.empty()) {
    merges.end = true;
    return;
  }
  pass_end(stage);
}

void Worker::pass_end(StageId stage) {
  finish_snapshot(stage);
  if (is_last(stage)) {
    ended_ = true;
    return;
  }
  Message m;
  m.kind = MessageKind::kEnd;
  broadcast_next(stage, m);
}

void Worker::broadcast_next(StageId stage, const Message& prototype) {
  auto& outboxes = outboxes_[stage.value() + 1];
  for (Outbox& box : outboxes) {
    if (!box.building.empty()) {
      Message batch;
      batch.sender = id_.value();
      batch.batch = box.building.finish();
      box.pending.push_back(std::move(batch));
    }
    box.pending.push_back(forwarded(prototype, id_.value()));
  }
  flush_outboxes(StageId(stage.value() + 1));
}

bool Worker::flush_outboxes(StageId to_stage) {
  bool all_sent = true;
  auto& outboxes = outboxes_[to_stage.value()];
  for (uint32_t target = 0; target < outboxes.size(); ++target) {
    Outbox& box = outboxes[target];
    if (!box.building.empty()) {
      Message batch;
      batch.sender = id_.value();
      batch.batch = box.building.finish();
      box.pending.push_back(std::move(batch));
    }
    Inbox& inbox = *fabric_.inboxes[target];
    while (!box.pending.empty()) {
      Message& m = box.pending.front();
      if (m.kind == MessageKind::kEvents &&
          !inbox.try_reserve(to_stage, static_cast<int64_t>(m.batch.size()), id_.value())) {
        all_sent = false;
        break;
      }
      inbox.push(to_stage, std::move(m));
      box.pending.pop_front();
    }
  }
  return all_sent;
}

void Worker::flush_sinks() {
  for (uint32_t s = 0; s < stage_count_; ++s) {
    for (size_t i = 0; i < sink_buffers_[s].size(); ++i) {
      BatchBuilder& b = sink_buffers_[s][i];
      if (b.empty()) continue;
      counters_.events_to_sinks += b.size();
      fabric_.stage_sinks[s][i]->write(b.finish());
    }
  }
  for (auto& [name, b] : side_buffers_) {
    if (b.empty()) continue;
    fabric_.side_sinks.find(name)->second->write(b.finish());
  }
}

void Worker::output(StageId stage, const EventRef& event) {
  const uint32_t s = stage.value();
  const auto& sinks = fabric_.spec->stages()[s].sinks;
  for (size_t i = 0; i < sinks.size(); ++i) {
    const auto& types = sinks[i].types;
    if (!types.empty() && std::find(types.begin(), types.end(), event.type()) == types.end()) {
      continue;
    }
    BatchBuilder& b = sink_buffers_[s][i];
    b.add(event);
    if (b.size() >= fabric_.settings.exchange_batch_events) {
      counters_.events_to_sinks += b.size();
      fabric_.stage_sinks[s][i]->write(b.finish());
    }
  }
  if (is_last(stage)) return;

  const StageSpec& next = fabric_.spec->stages()[s + 1];
  const std::string_view key = next.key_by(event);
  if (key.empty()) {
    side_output(stage, kUnroutableOutput, event);
    return;
  }
  const KeyHash hash = hash_key(key);
  const WorkerId target =
      worker_of(key_group_of(hash, fabric_.settings.key_groups), fabric_.workers);
  Outbox& box = outboxes_[s + 1][target.value()];
  box.building.add_rekeyed(event, key, hash);
  if (box.building.size() >= fabric_.settings.exchange_batch_events) {
    Message m;
    m.sender = id_.value();
    m.batch = box.building.finish();
    box.pending.push_back(std::move(m));
  }
}

void Worker::side_output(StageId /*stage*/, std::string_view name, const EventRef& event) {
  auto counted = counters_.side_outputs.find(name);
  if (counted == counters_.side_outputs.end()) {
    counted = counters_.side_outputs.emplace(std::string(name), 0).first;
  }
  ++counted->second;
  if (fabric_.side_sinks.find(name) == fabric_.side_sinks.end()) {
    if (fabric_.side_sinks.find(kAnySideOutput) == fabric_.side_sinks.end()) return;
    name = kAnySideOutput;
  }
  auto buffer = side_buffers_.find(name);
  if (buffer == side_buffers_.end()) {
    buffer = side_buffers_.emplace(std::string(name), BatchBuilder()).first;
  }
  buffer->second.add(event);
}

void Worker::rejected(StageId stage, std::string_view reason, const EventRef& event) {
  auto counted = counters_.rejected.find(reason);
  if (counted == counters_.rejected.end()) {
    counted = counters_.rejected.emplace(std::string(reason), 0).first;
  }
  ++counted->second;
  side_output(stage, kRejectedOutput, event);
}

Status Worker::run_command(StageId stage, size_t op, const boost::json::object& command) {
  Status first;
  for (KeyGroup g : owned_) {
    Status s = instances_[stage.value()][g.value()]->command(op, command, watermark_[stage.value()],
                                                             *this);
    if (!s && first.is_ok()) first = s;
  }
  return first;
}

WorkerMetrics Worker::metrics() const {
  WorkerMetrics m = counters_;
  // Read on the worker's own thread: metrics() runs as a task there.
  m.cpu_micros = thread_cpu_micros();
  m.watermarks = watermark_;
  for (uint32_t s = 0; s < stage_count_; ++s) {
    m.inbox_events.push_back(fabric_.inboxes[id_.value()]->queued_events(StageId(s)));
    for (KeyGroup g : owned_) {
      m.keys += instances_[s][g.value()]->slots().key_count();
      m.timers += instances_[s][g.value()]->pending_timers();
    }
  }
  return m;
}

}  // namespace eddy
