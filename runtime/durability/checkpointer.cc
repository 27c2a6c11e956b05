#include "runtime/durability/checkpointer.h"

#include <deque>
#include <future>

#include "runtime/log.h"
#include "runtime/this_thread.h"

namespace eddy {

namespace {

// What the log's writer thread and the workers hand the checkpointer's thread during one
// checkpoint.
struct Cut {
  std::mutex mu;
  std::condition_variable ready;
  bool at_cut = false;
  uint64_t offset = 0;
  EventTime watermark = kMinEventTime;
  std::deque<Engine::KeyGroupState> groups;
  bool snapshot_done = false;
  std::chrono::microseconds worst_pause{0};
  Status failed;
};

Status start_cut(Engine& engine, Journal& journal, const std::shared_ptr<Cut>& cut,
                 bool new_segment) {
  auto fail = [cut](const Status& s) {
    std::lock_guard lock(cut->mu);
    if (cut->failed.is_ok()) cut->failed = s;
    cut->ready.notify_all();
  };
  return journal.mark(
      [cut, &engine, fail](uint64_t offset) {
        {
          std::lock_guard lock(cut->mu);
          cut->at_cut = true;
          cut->offset = offset;
          cut->watermark = engine.source().watermark();
        }
        Status s = engine.snapshot_key_groups(
            [cut](Engine::KeyGroupState g) {
              std::lock_guard lock(cut->mu);
              cut->groups.push_back(std::move(g));
              cut->ready.notify_all();
            },
            [cut](std::chrono::microseconds worst) {
              std::lock_guard lock(cut->mu);
              cut->snapshot_done = true;
              cut->worst_pause = worst;
              cut->ready.notify_all();
            });
        if (!s) fail(s);
      },
      fail, new_segment);
}

}  // namespace

Checkpointer::Checkpointer(Engine& engine, Journal& journal, WriteAheadLog& log,
                           CheckpointStore& store, CheckpointSettings settings,
                           std::vector<CheckpointExtra> extras, const Clock& clock)
    : engine_(engine),
      journal_(journal),
      log_(log),
      store_(store),
      settings_(settings),
      extras_(std::move(extras)),
      clock_(clock) {}

Checkpointer::~Checkpointer() {
  stop();
}

void Checkpointer::start() {
  thread_ = std::thread([this] {
    name_this_thread("eddy-checkpoint");
    run();
  });
}

void Checkpointer::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status Checkpointer::request(Done done) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return {Errc::kStopped, "checkpoints have stopped"};
    waiting_.push_back(std::move(done));
  }
  wake_.notify_all();
  return {};
}

Result<CheckpointInfo> Checkpointer::checkpoint_now() {
  auto promise = std::make_shared<std::promise<Result<CheckpointInfo>>>();
  auto future = promise->get_future();
  if (Status s = request([promise](const Result<CheckpointInfo>& r) { promise->set_value(r); }); !s)
    return s;
  return future.get();
}

void Checkpointer::note_erasure(const std::vector<std::string>& ids) {
  std::lock_guard lock(erasures_mu_);
  ++erasures_;
  erased_ids_.insert(ids.begin(), ids.end());
}

uint64_t Checkpointer::erasures_pending() const {
  std::lock_guard lock(erasures_mu_);
  return erasures_ - erasures_purged_;
}

CheckpointMetrics Checkpointer::metrics() const {
  std::lock_guard lock(mu_);
  return metrics_;
}

void Checkpointer::run() {
  auto next = std::chrono::steady_clock::now() + std::chrono::milliseconds(settings_.interval_ms);
  std::unique_lock lock(mu_);
  while (!stopping_) {
    const bool periodic = settings_.interval_ms > 0;
    if (waiting_.empty()) {
      if (periodic) {
        wake_.wait_until(lock, next, [&] { return stopping_ || !waiting_.empty(); });
      } else {
        wake_.wait(lock, [&] { return stopping_ || !waiting_.empty(); });
      }
    }
    if (stopping_) break;
    if (waiting_.empty() && std::chrono::steady_clock::now() < next) continue;
    std::vector<Done> served = std::move(waiting_);
    waiting_.clear();
    lock.unlock();
    const Result<CheckpointInfo> result = take();
    record(result);
    for (const Done& done : served)
      done(result);
    next = std::chrono::steady_clock::now() + std::chrono::milliseconds(settings_.interval_ms);
    lock.lock();
  }
  // Whoever still waits is told, so that nobody waits for a checkpoint that will not come.
  std::vector<Done> unserved = std::move(waiting_);
  waiting_.clear();
  lock.unlock();
  for (const Done& done : unserved)
    done(Status(Errc::kStopped, "checkpoints have stopped"));
}

Result<CheckpointInfo> Checkpointer::take() {
  const auto started = std::chrono::steady_clock::now();
  const uint64_t id = store_.next_id();
  auto writer = store_.begin(id);
  if (!writer) return writer.status();
  auto cut = std::make_shared<Cut>();
  // Read before the cut: an erasure acknowledged later may be after it.
  uint64_t erasures;
  uint64_t purging;
  std::unordered_set<std::string> erased_ids;
  {
    std::lock_guard lock(erasures_mu_);
    erasures = erasures_;
    purging = erasures_ - erasures_purged_;
    erased_ids = erased_ids_;
  }
  if (Status s = start_cut(engine_, journal_, cut, purging > 0); !s) return s;

  const auto deadline = started + std::chrono::milliseconds(settings_.timeout_ms);
  CheckpointInfo info;
  info.id = id;
  while (true) {
    std::unique_lock lock(cut->mu);
    const bool woke = cut->ready.wait_until(lock, deadline, [&] {
      return !cut->failed.is_ok() || !cut->groups.empty() || cut->snapshot_done;
    });
    if (!woke) return Status(Errc::kInternal, "the workers did not hand over their state in time");
    if (!cut->failed.is_ok()) return cut->failed;
    if (cut->groups.empty() && cut->snapshot_done) break;
    std::deque<Engine::KeyGroupState> groups = std::move(cut->groups);
    cut->groups.clear();
    lock.unlock();
    for (const Engine::KeyGroupState& g : groups) {
      const uint32_t group = g.group.value();
      if (Status s =
              (*writer)->add_part(key_group_part_name(group), static_cast<int32_t>(group), g.bytes);
          !s)
        return s;
      ++info.parts;
    }
  }
  for (const CheckpointExtra& extra : extras_) {
    if (Status s = (*writer)->add_part(extra.name, kNotAKeyGroup, extra.snapshot()); !s) return s;
    ++info.parts;
  }

  CheckpointManifestData manifest;
  manifest.created_ms = clock_.now().value();
  manifest.wal_offset = cut->offset;
  manifest.topology = engine_.topology().name();
  manifest.topology_version = engine_.topology().version();
  manifest.topology_layout = topology_layout(engine_.topology());
  manifest.key_groups = engine_.settings().key_groups;
  manifest.watermark = cut->watermark.value();
  if (segment_definitions_) manifest.segment_definitions = segment_definitions_();
  if (Status s = (*writer)->commit(std::move(manifest)); !s) return s;

  info.wal_offset = cut->offset;
  info.bytes = (*writer)->bytes();
  info.worst_pause = cut->worst_pause;
  info.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  // The checkpoint stands once committed; tidying after it may fail without undoing it, and an
  // erasure it should have completed then waits for the next one.
  Status pruned = store_.prune(purging > 0 ? 1 : settings_.keep);
  if (!pruned)
    log_line(LogLevel::kWarn, "could not remove old checkpoints", {{"error", pruned.message()}});
  Status released = release_log();
  if (!released)
    log_line(LogLevel::kWarn, "could not remove old log segments", {{"error", released.message()}});
  if (purging > 0 && pruned && released) {
    Status outputs = erase_outputs_ ? erase_outputs_(erased_ids) : Status{};
    if (!outputs) {
      log_line(LogLevel::kWarn, "could not erase customers from the output files",
               {{"error", outputs.message()}});
    } else {
      std::lock_guard lock(erasures_mu_);
      erasures_purged_ = erasures;
      for (const std::string& id : erased_ids)
        erased_ids_.erase(id);
      info.erasures_purged = purging;
    }
  }
  return info;
}

Status Checkpointer::release_log() {
  const std::vector<uint64_t> kept = store_.committed();
  if (kept.empty()) return {};
  auto oldest = store_.read_manifest(kept.front());
  if (!oldest) return oldest.status();
  return log_.release_before(oldest->wal_offset);
}

void Checkpointer::record(const Result<CheckpointInfo>& result) {
  if (result) {
    log_line(LogLevel::kInfo, "checkpoint written",
             {{"id", result->id},
              {"wal_offset", result->wal_offset},
              {"bytes", result->bytes},
              {"parts", result->parts},
              {"ms", result->duration.count()},
              {"worst_worker_pause_us", result->worst_pause.count()},
              {"erasures_purged", result->erasures_purged}});
  } else {
    log_line(LogLevel::kError, "checkpoint failed; the previous ones are intact",
             {{"error", result.status().message()}});
  }
  std::lock_guard lock(mu_);
  if (result) {
    ++metrics_.completed;
    metrics_.last = *result;
    metrics_.last_completed_ms = clock_.now().value();
  } else {
    ++metrics_.failed;
  }
}

}  // namespace eddy
