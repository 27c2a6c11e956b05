#include "runtime/engine.h"

#include <future>
#include <mutex>

#include "runtime/key_hash.h"
#include "runtime/snapshot_request.h"
#include "runtime/this_thread.h"

namespace eddy {

Result<std::unique_ptr<Engine>> Engine::create(TopologySpec spec, EngineOptions options) {
  if (std::string problem = options.settings.check(); !problem.empty()) {
    return {Errc::kInvalidArgument, "settings: " + problem};
  }
  std::unique_ptr<Engine> engine(new Engine(std::move(spec), std::move(options)));
  if (Status s = engine->init(); !s) return s;
  return engine;
}

Engine::Engine(TopologySpec spec, EngineOptions options)
    : spec_(std::move(spec)),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : &system_clock_) {}

Status Engine::init() {
  fabric_.spec = &spec_;
  fabric_.settings = options_.settings;
  fabric_.workers = options_.settings.resolved_workers();
  fabric_.barriers = &barriers_;
  for (uint32_t s = 0; s < spec_.stage_count(); ++s) {
    fabric_.boards.push_back(std::make_unique<AggregateBoard>(fabric_.settings.resolved_workers()));
  }
  for (uint32_t w = 0; w < fabric_.workers; ++w) {
    fabric_.inboxes.push_back(std::make_unique<Inbox>(
        spec_.stage_count(), fabric_.settings.inbox_capacity_events, fabric_.workers));
  }
  for (const StageSpec& stage : spec_.stages()) {
    std::vector<Sink*> bound;
    for (const SinkSpec& sink : stage.sinks) {
      auto it = options_.sinks.find(sink.name);
      if (it == options_.sinks.end() || !it->second) {
        return {Errc::kInvalidArgument, "stage '" + stage.name + "', sink '" + sink.name +
                                            "': no sink is bound to that name"};
      }
      bound.push_back(it->second.get());
    }
    fabric_.stage_sinks.push_back(std::move(bound));
  }
  for (auto& [name, sink] : options_.side_sinks) {
    if (sink) fabric_.side_sinks.emplace(name, sink.get());
  }
  for (uint32_t s = 0; s < spec_.stage_count(); ++s) {
    auto probe = StageInstance::create(spec_, StageId(s), KeyGroup(0), EventTime(0));
    if (!probe) return probe.status();
    probes_.push_back(std::move(probe).value());
  }
  source_ = std::make_unique<Source>(spec_, fabric_.settings, fabric_.workers, fabric_.inboxes,
                                     *clock_, gate_);
  for (uint32_t w = 0; w < fabric_.workers; ++w) {
    auto worker = std::make_unique<Worker>(WorkerId(w), fabric_);
    if (Status s = worker->init(); !s) return s;
    workers_.push_back(std::move(worker));
  }
  return {};
}

Engine::~Engine() {
  (void)stop();
}

Status Engine::start() {
  if (started_.exchange(true)) return {Errc::kAlreadyExists, "the engine is already started"};
  for (auto& w : workers_)
    w->start();
  if (options_.run_ticker) {
    ticker_ = std::thread([this] {
      name_this_thread("eddy-ticker");
      std::unique_lock lock(ticker_mu_);
      while (!ticker_cv_.wait_for(lock, options_.tick_interval, [&] { return ticker_stop_; })) {
        source_->tick();
      }
    });
  }
  return {};
}

Status Engine::stop() {
  if (stopped_.exchange(true)) return {};
  {
    std::lock_guard lock(ticker_mu_);
    ticker_stop_ = true;
  }
  ticker_cv_.notify_all();
  if (ticker_.joinable()) ticker_.join();
  if (!started_.load()) return {};
  // After close() no submit or task is in flight, so the end markers follow everything accepted.
  gate_.close();
  source_->broadcast_marker(MessageKind::kEnd, 0);
  for (auto& w : workers_)
    w->join();
  return {};
}

Status Engine::sync(std::chrono::milliseconds timeout) {
  uint64_t id = 0;
  {
    GateHolder held(gate_);
    if (!held.entered()) return {Errc::kStopped, "the engine is stopped"};
    id = barriers_.begin(fabric_.workers);
    source_->broadcast_marker(MessageKind::kBarrier, id);
  }
  return barriers_.wait(id, timeout);
}

bool Engine::enter_task() {
  if (pending_tasks_.fetch_add(1, std::memory_order_acq_rel) >=
      fabric_.settings.max_pending_tasks) {
    leave_task();
    return false;
  }
  return true;
}

void Engine::push_task(WorkerId worker, StageId stage, std::function<void(Worker&)> task,
                       TaskAccess access) {
  Message m;
  m.kind = MessageKind::kTask;
  m.task_writes = access == TaskAccess::kWrites;
  m.task = [this, task = std::move(task)](Worker& w) {
    leave_task();
    task(w);
  };
  fabric_.inboxes[worker.value()]->push(stage, std::move(m));
}

Status Engine::run_on_key(StageId stage, std::string_view key,
                          std::function<void(Worker&, StageInstance&, KeyHash)> task) {
  if (stage.value() >= spec_.stage_count()) return {Errc::kNotFound, "no such stage"};
  GateHolder held(gate_);
  if (!held.entered()) return {Errc::kStopped, "the engine is stopped"};
  if (!enter_task()) return {Errc::kBusy, "too many queries are waiting"};
  const KeyHash hash = hash_key(key);
  const KeyGroup group = key_group_of(hash, fabric_.settings.key_groups);
  push_task(
      worker_of(group, fabric_.workers), stage,
      [task = std::move(task), stage, group, hash](Worker& w) {
        task(w, *w.instance(stage, group), hash);
      },
      TaskAccess::kReads);
  return {};
}

Status Engine::snapshot_key_groups(
    std::function<void(KeyGroupState)> on_group,
    std::function<void(std::chrono::microseconds worst_pause)> done) {
  GateHolder held(gate_);
  if (!held.entered()) return {Errc::kStopped, "the engine is stopped"};
  auto request = std::make_shared<SnapshotRequest>(
      fabric_.workers,
      [on_group = std::move(on_group)](KeyGroup g, std::string bytes) {
        on_group(KeyGroupState{g, std::move(bytes)});
      },
      std::move(done));
  // A barrier, not a task: it follows every batch the source sent before it, from any thread.
  source_->broadcast_marker(MessageKind::kBarrier, 0, request);
  return {};
}

Status Engine::restore_key_groups(std::vector<KeyGroupState> groups,
                                  std::chrono::milliseconds timeout) {
  std::vector<std::vector<KeyGroupState>> by_worker(fabric_.workers);
  for (KeyGroupState& g : groups) {
    if (g.group.value() >= fabric_.settings.key_groups) {
      return {Errc::kInvalidArgument, "key group " + std::to_string(g.group.value()) +
                                          " is beyond this engine's " +
                                          std::to_string(fabric_.settings.key_groups)};
    }
    by_worker[worker_of(g.group, fabric_.workers).value()].push_back(std::move(g));
  }
  struct Gather {
    std::mutex mu;
    std::condition_variable cv;
    uint32_t remaining;
    Status first;
  };
  auto gather = std::make_shared<Gather>();
  gather->remaining = fabric_.workers;
  {
    GateHolder held(gate_);
    if (!held.entered()) return {Errc::kStopped, "the engine is stopped"};
    for (uint32_t w = 0; w < fabric_.workers; ++w) {
      pending_tasks_.fetch_add(1, std::memory_order_acq_rel);
      auto mine = std::make_shared<std::vector<KeyGroupState>>(std::move(by_worker[w]));
      push_task(
          WorkerId(w), StageId(0), [gather, mine, stages = spec_.stage_count()](Worker& worker) {
            Status result;
            for (const KeyGroupState& g : *mine) {
              StateReader in(g.bytes);
              const auto n = in.get<uint32_t>();
              if (!in.ok() || n != stages) {
                result = {Errc::kCorrupt, "key group " + std::to_string(g.group.value()) +
                                              ": the snapshot has " + std::to_string(n) +
                                              " stages, the topology " + std::to_string(stages)};
                break;
              }
              for (uint32_t s = 0; s < stages && result.is_ok(); ++s) {
                const std::string_view bytes = in.get_view();
                StateReader stage_in(bytes);
                Status r = in.ok() ? worker.instance(StageId(s), g.group)->restore(stage_in)
                                   : Status{Errc::kCorrupt, "truncated"};
                if (!r) {
                  result = {r.code(),
                            "key group " + std::to_string(g.group.value()) + ": " + r.message()};
                }
              }
              if (!result) break;
            }
            std::lock_guard lock(gather->mu);
            if (!result && gather->first.is_ok()) gather->first = result;
            if (--gather->remaining == 0) gather->cv.notify_all();
          });
    }
  }
  std::unique_lock lock(gather->mu);
  if (!gather->cv.wait_for(lock, timeout, [&] { return gather->remaining == 0; }))
    return {Errc::kBusy,
            "restoring key groups took longer than " + std::to_string(timeout.count()) + " ms"};
  return gather->first;
}

Status Engine::run_on_all(std::function<void(Worker&)> task, std::function<void()> done) {
  GateHolder held(gate_);
  if (!held.entered()) return {Errc::kStopped, "the engine is stopped"};
  struct Gather {
    std::function<void(Worker&)> task;
    std::function<void()> done;
    std::atomic<uint32_t> remaining;
  };
  auto gather = std::make_shared<Gather>();
  gather->task = std::move(task);
  gather->done = std::move(done);
  gather->remaining.store(fabric_.workers);
  for (uint32_t w = 0; w < fabric_.workers; ++w) {
    if (!enter_task()) {
      // Tasks already queued still run; the missing ones count as done so `done` still fires.
      for (uint32_t u = w; u < fabric_.workers; ++u) {
        if (gather->remaining.fetch_sub(1) == 1) gather->done();
      }
      return {Errc::kBusy, "too many queries are waiting"};
    }
    push_task(
        WorkerId(w), StageId(0),
        [gather](Worker& worker) {
          gather->task(worker);
          if (gather->remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) gather->done();
        },
        TaskAccess::kReads);
  }
  return {};
}

Status Engine::query_key(StageId stage, std::string_view key,
                         std::function<void(Result<boost::json::object>)> done) {
  return run_on_key(stage, key,
                    [stage, done = std::move(done)](Worker& w, StageInstance& inst, KeyHash hash) {
                      auto answer = inst.query(hash, w.watermark(stage));
                      if (!answer) {
                        done(Status(Errc::kNotFound, "no such key"));
                      } else {
                        done(std::move(*answer));
                      }
                    });
}

Status Engine::lookup_key(StageId stage, std::string_view key, std::string arg,
                          std::function<void(Result<boost::json::object>)> done) {
  return run_on_key(
      stage, key,
      [arg = std::move(arg), done = std::move(done)](Worker&, StageInstance& inst, KeyHash hash) {
        auto answer = inst.lookup(hash, arg);
        if (!answer) {
          done(Status(Errc::kNotFound, "no such key"));
        } else {
          done(std::move(*answer));
        }
      });
}

Status Engine::find_keys(StageId stage, std::string arg, size_t limit,
                         std::function<void(std::vector<std::string>)> done) {
  struct Found {
    std::mutex mu;
    std::vector<std::string> keys;
  };
  auto found = std::make_shared<Found>();
  return run_on_all(
      [found, stage, arg = std::move(arg), limit](Worker& worker) {
        std::vector<std::string> mine;
        for (KeyGroup g : worker.owned_groups()) {
          if (const StageInstance* inst = worker.instance(stage, g))
            inst->find_keys(arg, limit, mine);
        }
        std::lock_guard lock(found->mu);
        for (std::string& key : mine) {
          if (found->keys.size() >= limit) break;
          found->keys.push_back(std::move(key));
        }
      },
      [found, done = std::move(done)] { done(std::move(found->keys)); });
}

Result<boost::json::object> Engine::query_key_sync(StageId stage, std::string_view key,
                                                   std::chrono::milliseconds timeout) {
  auto promise = std::make_shared<std::promise<Result<boost::json::object>>>();
  auto future = promise->get_future();
  Status s = query_key(
      stage, key, [promise](Result<boost::json::object> r) { promise->set_value(std::move(r)); });
  if (!s) return s;
  if (future.wait_for(timeout) != std::future_status::ready) {
    return {Errc::kBusy, "the query was not answered in time"};
  }
  return future.get();
}

Status Engine::command(std::string_view operator_name, const boost::json::object& command,
                       std::function<void(Status)> done) {
  std::optional<StageId> stage;
  size_t op = 0;
  for (uint32_t s = 0; s < spec_.stage_count() && !stage; ++s) {
    if (auto found = probes_[s]->find_operator(operator_name)) {
      stage = StageId(s);
      op = *found;
    }
  }
  if (!stage) return {Errc::kNotFound, "no operator named '" + std::string(operator_name) + "'"};
  GateHolder held(gate_);
  if (!held.entered()) return {Errc::kStopped, "the engine is stopped"};
  // One command at a time, so every worker applies commands in the order the probe did.
  std::lock_guard lock(command_mu_);
  DiscardOutput discard;
  if (Status s = probes_[stage->value()]->command(op, command, EventTime(0), discard); !s) return s;

  struct Gather {
    std::mutex mu;
    Status first;
    std::atomic<uint32_t> remaining;
    std::function<void(Status)> done;
  };
  auto gather = std::make_shared<Gather>();
  gather->remaining.store(fabric_.workers);
  gather->done = std::move(done);
  auto shared_command = std::make_shared<const boost::json::object>(command);
  // Commands are not refused as busy: the probe has already applied this one, and workers must
  // not diverge from it. A command travels as a barrier of its own, so that it keeps its place in
  // the input at every stage: pushed straight into a later stage's queue, it could overtake a
  // snapshot's barrier still on its way through the earlier stages, or fall behind one sent after.
  pending_tasks_.fetch_add(fabric_.workers, std::memory_order_acq_rel);
  source_->broadcast_task_barrier(
      *stage, [this, gather, shared_command, stage = *stage, op](Worker& worker) {
        leave_task();
        Status s = worker.run_command(stage, op, *shared_command);
        if (!s) {
          std::lock_guard lock(gather->mu);
          if (gather->first.is_ok()) gather->first = s;
        }
        if (gather->remaining.fetch_sub(1, std::memory_order_acq_rel) == 1 && gather->done) {
          std::lock_guard lock(gather->mu);
          gather->done(gather->first);
        }
      });
  return {};
}

Result<EngineMetrics> Engine::metrics(std::chrono::milliseconds timeout) {
  struct Collected {
    std::mutex mu;
    std::vector<WorkerMetrics> workers;
    std::promise<void> done;
  };
  auto collected = std::make_shared<Collected>();
  collected->workers.resize(fabric_.workers);
  auto future = collected->done.get_future();
  Status s = run_on_all(
      [collected](Worker& w) {
        WorkerMetrics m = w.metrics();
        std::lock_guard lock(collected->mu);
        collected->workers[w.id().value()] = std::move(m);
      },
      [collected] { collected->done.set_value(); });
  if (!s) return s;
  if (future.wait_for(timeout) != std::future_status::ready) {
    return {Errc::kBusy, "workers did not answer in time"};
  }
  EngineMetrics out;
  out.source = source_->metrics();
  std::lock_guard lock(collected->mu);
  out.workers = collected->workers;
  return out;
}

}  // namespace eddy
