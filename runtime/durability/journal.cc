#include "runtime/durability/journal.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <thread>

#include "runtime/durability/log_records.h"
#include "runtime/identity_fields.h"
#include "runtime/log.h"

namespace eddy {

namespace {

// The events of `batch` not named in `rejected` (which is in index order), sharing its payload.
EventBatch without(const EventBatch& batch, const std::vector<Rejection>& rejected,
                   std::span<const uint64_t> keys, std::vector<uint64_t>& kept_keys) {
  EventBatch out;
  out.payload = batch.payload;
  out.events.reserve(batch.size() - rejected.size());
  size_t r = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (r < rejected.size() && rejected[r].index == i) {
      ++r;
      continue;
    }
    out.events.push_back(batch.events[i]);
    if (!keys.empty()) kept_keys.push_back(keys[i]);
  }
  return out;
}

}  // namespace

Status feed_engine(Source& source, const EventBatch& batch, std::atomic<uint64_t>* waits) {
  auto pause = std::chrono::microseconds(20);
  while (true) {
    SubmitResult r = source.submit(batch);
    if (r.status.code() != Errc::kBusy) return r.status;
    if (waits) waits->fetch_add(1, std::memory_order_relaxed);
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(2000));
  }
}

namespace {

// Batches at least this large go to the engine as they are; smaller ones are merged up to
// kMergedBatchEvents, which copies their events once but saves a worker wake-up apiece.
constexpr size_t kDirectBatchEvents = 256;
constexpr size_t kMergedBatchEvents = 2048;

}  // namespace

Journal::Journal(Engine& engine, WriteAheadLog& log) : engine_(engine), log_(log) {
  log_.set_group_end([this] { feed_durable(); });
}

Journal::~Journal() {
  log_.stop();
}

void Journal::feed(const EventBatch& batch) {
  // Durable, so acknowledged even if the engine is stopping: a restart replays it.
  if (Status s = feed_engine(engine_.source(), batch, &engine_waits_);
      !s && s.code() != Errc::kStopped) {
    log_line(LogLevel::kError, "engine refused a logged batch", {{"error", s.message()}});
  }
}

void Journal::submit_merged() {
  if (!merged_.empty()) feed(merged_.finish());
}

void Journal::feed_durable() {
  for (const Durable& d : durable_) {
    if (d.batch->size() >= kDirectBatchEvents) {
      submit_merged();
      feed(*d.batch);
      continue;
    }
    for (const Event& e : d.batch->events) {
      merged_.add(EventRef(e, *d.batch->payload));
      if (merged_.size() >= kMergedBatchEvents) submit_merged();
    }
  }
  submit_merged();
  for (const Durable& d : durable_)
    d.ack->settle(Status{});
  durable_.clear();
}

SubmitResult Journal::submit(const EventBatch& batch, std::span<const uint64_t> idempotency_keys,
                             WallTime received_at, const std::shared_ptr<AckLatch>& ack) {
  SubmitResult result;
  result.rejected = engine_.source().screen(batch);
  if (result.rejected.size() == batch.size()) return result;

  auto taken = std::make_shared<EventBatch>();
  std::vector<uint64_t> kept_keys;
  if (result.rejected.empty()) {
    *taken = batch;
    kept_keys.assign(idempotency_keys.begin(), idempotency_keys.end());
  } else {
    *taken = without(batch, result.rejected, idempotency_keys, kept_keys);
  }
  thread_local flatbuffers::FlatBufferBuilder fbb(64 << 10);
  const std::span<const uint8_t> record =
      encode_events_record(fbb, *taken, engine_.topology().types(), kept_keys, received_at);

  ack->expect();
  Status appended = log_.append(RecordKind::kEvents, record,
                                [this, taken, ack, kept_keys = std::move(kept_keys), received_at](
                                    const Status& durable, uint64_t) {
                                  if (!durable) {
                                    ack->lost(kept_keys, received_at);
                                    return ack->settle(durable);
                                  }
                                  if (on_logged_ && !kept_keys.empty()) on_logged_(kept_keys);
                                  durable_.push_back({taken, ack});
                                });
  if (!appended) {
    ack->settle(Status{});  // nothing is pending for this batch after all
    result.status = appended;
    result.rejected.clear();
    return result;
  }
  result.accepted = taken->size();
  return result;
}

Status Journal::command(std::string_view target, const boost::json::object& command,
                        std::function<void(Status)> done) {
  const std::string record = encode_command_record(target, boost::json::serialize(command));
  return log_.append(RecordKind::kCommand, bytes_of(record),
                     [this, target = std::string(target), command, done = std::move(done)](
                         const Status& durable, uint64_t) mutable {
                       if (!durable) return done(durable);
                       // After the events logged before it, as in the log.
                       feed_durable();
                       Status s = engine_.command(target, command, done);
                       if (!s) done(s);
                     });
}

Status Journal::mark(std::function<void(uint64_t offset)> at_cut,
                     std::function<void(const Status&)> failed, bool new_segment) {
  return log_.append(
      RecordKind::kCheckpointMark, {},
      [this, at_cut = std::move(at_cut), failed = std::move(failed)](const Status& durable,
                                                                     uint64_t offset) {
        if (!durable) return failed(durable);
        feed_durable();
        at_cut(offset);
      },
      new_segment);
}

Result<ReplaySummary> replay_wal(Engine& engine, const std::string& dir,
                                 const ReplayOptions& options) {
  ReplaySummary sum;
  const EventTypeRegistry& types = engine.topology().types();
  const EventType erased = types.find(kCustomerErasedType);
  BatchBuilder builder;
  EventsRecordMeta meta;
  auto visit = [&](const WalRecord& r) -> Status {
    if (r.kind == RecordKind::kCheckpointMark) return {};
    if (r.kind == RecordKind::kCommand) {
      auto cmd = decode_command_record(r.payload);
      if (!cmd) return cmd.status();
      boost::system::error_code ec;
      boost::json::value v = boost::json::parse(cmd->command, ec);
      if (ec || !v.is_object())
        return {Errc::kCorrupt,
                "command record at offset " + std::to_string(r.offset) + " is not a JSON object"};
      ++sum.commands;
      if (!engine.command(cmd->target, v.get_object(), {})) ++sum.refused_commands;
      return {};
    }
    builder.clear();
    if (Status s = decode_events_record(r.payload, types, builder, meta); !s) {
      return {Errc::kCorrupt,
              "events record at offset " + std::to_string(r.offset) + ": " + s.message()};
    }
    const EventBatch batch = builder.finish();
    if (options.on_idempotency_keys && !meta.idempotency_keys.empty())
      options.on_idempotency_keys(meta.idempotency_keys, meta.received_at);
    sum.events += batch.size();
    if (erased != EventTypeRegistry::kUnknown) {
      for (const Event& e : batch.events) {
        if (e.type == erased) sum.erased_ids.emplace_back(batch.payload->str(e.key));
      }
    }
    return feed_engine(engine.source(), batch);
  };
  auto read = read_wal(dir, options.from, options.read, visit);
  if (!read) return read.status();
  sum.log = std::move(read).value();
  return sum;
}

}  // namespace eddy
