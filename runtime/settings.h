#pragma once

#include <cstdint>
#include <string>

#include "runtime/ids.h"
#include "runtime/key_hash.h"

namespace eddy {

// How the watermark moves.
enum class TimeMode : uint8_t {
  // Event time moves it, and so does the wall clock while input is idle, so timers fire in a live
  // system when customers go quiet.
  kLive,
  // Only event time moves it: for replay and backfill, where the wall clock says nothing about the
  // data.
  kReplay,
  // Only Source::advance_watermark moves it: for tests and tools that say where time stands, so
  // that results do not depend on how the input happened to be batched.
  kManual,
};

// Every limit and knob of the runtime, with its default. The eddy binary exposes each one.
struct RuntimeSettings {
  // Fixed for the life of the data; see key_hash.h.
  uint32_t key_groups = kDefaultKeyGroups;
  // 0: one per hardware thread.
  uint32_t workers = 0;
  // Events a worker's inbox holds per stage before senders are told 'busy'.
  int64_t inbox_capacity_events = 1 << 16;
  // Events gathered per destination before an exchange or sink batch is sent.
  size_t exchange_batch_events = 1024;
  // Events older than the watermark minus this go to the "late" side output of operators that do
  // not take late events.
  int64_t allowed_lateness_ms = 0;
  // The watermark trails the newest event time seen by this much (bounded out-of-orderness).
  int64_t max_out_of_orderness_ms = 5 * kMillisPerSecond;
  TimeMode time_mode = TimeMode::kLive;
  // Live mode: after this much wall-clock time without input the watermark follows the clock.
  int64_t idle_timeout_ms = kMillisPerSecond;
  // Live mode: an event time further than this ahead of the clock does not move the watermark, so
  // one client with a wrong clock cannot fire every timer early.
  int64_t max_future_skew_ms = 5 * kMillisPerMinute;
  // Event time between two merges of global aggregates (the population behind RFM scores).
  int64_t global_aggregate_interval_ms = kMillisPerMinute;
  // Tasks (queries, admin) that may wait in inboxes at once before callers are told 'busy'.
  int64_t max_pending_tasks = 1 << 14;

  uint32_t resolved_workers() const;
  // Empty when the settings are usable, else what is wrong with them.
  std::string check() const;
};

}  // namespace eddy
