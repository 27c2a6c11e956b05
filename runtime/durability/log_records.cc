#include "runtime/durability/log_records.h"

#include "runtime/event_codec.h"
#include "schemas/log_record_generated.h"

namespace eddy {

namespace {

std::string finished(const flatbuffers::FlatBufferBuilder& fbb) {
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

}  // namespace

std::span<const uint8_t> encode_events_record(flatbuffers::FlatBufferBuilder& fbb,
                                              const EventBatch& batch,
                                              const EventTypeRegistry& types,
                                              std::span<const uint64_t> idempotency_keys,
                                              WallTime received_at) {
  fbb.Clear();
  const auto events = build_event_batch(fbb, batch, types);
  flatbuffers::Offset<flatbuffers::Vector<uint64_t>> keys;
  if (!idempotency_keys.empty())
    keys = fbb.CreateVector(idempotency_keys.data(), idempotency_keys.size());
  fbb.Finish(wire::CreateEventsRecord(fbb, events, keys, received_at.value()));
  return {fbb.GetBufferPointer(), fbb.GetSize()};
}

Status decode_events_record(std::span<const uint8_t> bytes, const EventTypeRegistry& types,
                            BatchBuilder& out, EventsRecordMeta& meta) {
  flatbuffers::Verifier verifier(bytes.data(), bytes.size());
  if (!verifier.VerifyBuffer<wire::EventsRecord>(nullptr))
    return {Errc::kCorrupt, "events record fails FlatBuffers verification"};
  const auto* record = flatbuffers::GetRoot<wire::EventsRecord>(bytes.data());
  meta.received_at = WallTime(record->received_ms());
  meta.idempotency_keys.clear();
  if (const auto* keys = record->idempotency_keys())
    meta.idempotency_keys.assign(keys->begin(), keys->end());
  return decode_event_batch(*record->batch(), types, out);
}

std::string encode_command_record(std::string_view target, std::string_view command) {
  flatbuffers::FlatBufferBuilder fbb(64 + target.size() + command.size());
  const auto t = fbb.CreateString(target.data(), target.size());
  const auto c = fbb.CreateString(command.data(), command.size());
  fbb.Finish(wire::CreateCommandRecord(fbb, t, c));
  return finished(fbb);
}

Result<CommandRecordView> decode_command_record(std::span<const uint8_t> bytes) {
  flatbuffers::Verifier verifier(bytes.data(), bytes.size());
  if (!verifier.VerifyBuffer<wire::CommandRecord>(nullptr))
    return Status{Errc::kCorrupt, "command record fails FlatBuffers verification"};
  const auto* record = flatbuffers::GetRoot<wire::CommandRecord>(bytes.data());
  return CommandRecordView{record->target()->str(), record->command()->str()};
}

}  // namespace eddy
