#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "runtime/batch_builder.h"
#include "runtime/event_types.h"
#include "runtime/status.h"
#include "schemas/event_generated.h"

namespace eddy {

// Encodes events as the FlatBuffers records of schemas/event.fbs. Types are written by name, so a
// record decodes under any topology that knows the name (one that does not gets the unknown type,
// which the source rejects).
std::string encode_events(const EventBatch& batch, const EventTypeRegistry& types);

// Verifies the buffer before reading it: bytes from disk or the network are never trusted.
Status decode_events(std::span<const uint8_t> bytes, const EventTypeRegistry& types,
                     BatchBuilder& out);

// The same, inside a larger buffer (a log record): the batch table, and reading one that the
// caller has verified as part of its buffer.
flatbuffers::Offset<wire::EventBatch> build_event_batch(flatbuffers::FlatBufferBuilder& fbb,
                                                        const EventBatch& batch,
                                                        const EventTypeRegistry& types);
Status decode_event_batch(const wire::EventBatch& verified, const EventTypeRegistry& types,
                          BatchBuilder& out);

}  // namespace eddy
