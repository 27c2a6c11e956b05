#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <string_view>

#include "connectors/ingest/ingest_errc.h"

namespace eddy {

// What became of events (or of whole requests) that reached ingest.
enum class IngestOutcome : uint8_t {
  kAccepted,        // events the engine took
  kDuplicate,       // events acknowledged without being taken again (a messageId seen before)
  kRejected,        // events refused, by reason
  kRequestRefused,  // whole requests refused before any event was looked at, by reason
};
std::string_view ingest_outcome_name(IngestOutcome o);

// One counter as a metrics module renders it, e.g.
// eddy_ingest_total{endpoint="batch",outcome="rejected",reason="bad_timestamp"} 3.
// `reason` is empty for accepted and duplicate events.
struct IngestCounterSample {
  std::string_view endpoint;
  std::string_view outcome;
  std::string_view reason;
  uint64_t value = 0;
};

// Ingest's counters by endpoint, outcome and reason. Relaxed atomics: every HTTP thread adds to
// them at once, and a scrape reads each one on its own (a scrape need not be a consistent cut).
class IngestCounters {
 public:
  void add(IngestEndpoint endpoint, IngestOutcome outcome, uint64_t n,
           IngestErrc reason = IngestErrc::kInternal);
  uint64_t get(IngestEndpoint endpoint, IngestOutcome outcome,
               IngestErrc reason = IngestErrc::kInternal) const;

  // Every accepted and duplicate counter, and the rejected and refused ones that are not zero
  // (most reasons never happen on most endpoints).
  void visit(const std::function<void(const IngestCounterSample&)>& fn) const;

 private:
  struct PerEndpoint {
    std::atomic<uint64_t> accepted{0};
    std::atomic<uint64_t> duplicates{0};
    std::array<std::atomic<uint64_t>, kIngestErrcCount> rejected{};
    std::array<std::atomic<uint64_t>, kIngestErrcCount> refused{};
  };
  // The one switch from labels to a counter, for the const and the mutable callers.
  template <typename Self>
  static auto& slot(Self& self, IngestEndpoint endpoint, IngestOutcome outcome, IngestErrc reason);

  std::array<PerEndpoint, kIngestEndpointCount> by_endpoint_;
};

}  // namespace eddy
