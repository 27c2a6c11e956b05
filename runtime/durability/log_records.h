#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <flatbuffers/flatbuffers.h>

#include "runtime/batch_builder.h"
#include "runtime/clock.h"
#include "runtime/event_types.h"
#include "runtime/status.h"

namespace eddy {

// What a kEvents record holds besides the events themselves.
struct EventsRecordMeta {
  std::vector<uint64_t> idempotency_keys;  // empty, or one per event (0: the event has none)
  WallTime received_at{0};
};

// Builds the record in `fbb` (cleared first) and returns its bytes, valid until `fbb` is used
// again. A builder kept per thread keeps its buffer: building into fresh memory each time cost
// more in page faults than the encoding itself (bench/runtime/wal_bench).
std::span<const uint8_t> encode_events_record(flatbuffers::FlatBufferBuilder& fbb,
                                              const EventBatch& batch,
                                              const EventTypeRegistry& types,
                                              std::span<const uint64_t> idempotency_keys,
                                              WallTime received_at);
// Verifies the bytes first: the log is read back from disk and trusted no further than that.
Status decode_events_record(std::span<const uint8_t> bytes, const EventTypeRegistry& types,
                            BatchBuilder& out, EventsRecordMeta& meta);

struct CommandRecordView {
  std::string target;
  std::string command;  // JSON text
};
std::string encode_command_record(std::string_view target, std::string_view command);
Result<CommandRecordView> decode_command_record(std::span<const uint8_t> bytes);

}  // namespace eddy
