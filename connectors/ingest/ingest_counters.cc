#include "connectors/ingest/ingest_counters.h"

namespace eddy {

std::string_view ingest_outcome_name(IngestOutcome o) {
  switch (o) {
    case IngestOutcome::kAccepted:
      return "accepted";
    case IngestOutcome::kDuplicate:
      return "duplicate";
    case IngestOutcome::kRejected:
      return "rejected";
    case IngestOutcome::kRequestRefused:
      return "request_refused";
  }
  return "rejected";
}

template <typename Self>
auto& IngestCounters::slot(Self& self, IngestEndpoint endpoint, IngestOutcome outcome,
                           IngestErrc reason) {
  auto& e = self.by_endpoint_[static_cast<size_t>(endpoint)];
  switch (outcome) {
    case IngestOutcome::kAccepted:
      return e.accepted;
    case IngestOutcome::kDuplicate:
      return e.duplicates;
    case IngestOutcome::kRejected:
      return e.rejected[static_cast<size_t>(reason)];
    case IngestOutcome::kRequestRefused:
      return e.refused[static_cast<size_t>(reason)];
  }
  return e.accepted;
}

void IngestCounters::add(IngestEndpoint endpoint, IngestOutcome outcome, uint64_t n,
                         IngestErrc reason) {
  if (n != 0) slot(*this, endpoint, outcome, reason).fetch_add(n, std::memory_order_relaxed);
}

uint64_t IngestCounters::get(IngestEndpoint endpoint, IngestOutcome outcome,
                             IngestErrc reason) const {
  return slot(*this, endpoint, outcome, reason).load(std::memory_order_relaxed);
}

void IngestCounters::visit(const std::function<void(const IngestCounterSample&)>& fn) const {
  for (size_t e = 0; e < kIngestEndpointCount; ++e) {
    const PerEndpoint& c = by_endpoint_[e];
    const std::string_view endpoint = ingest_endpoint_name(static_cast<IngestEndpoint>(e));
    fn({endpoint,
        ingest_outcome_name(IngestOutcome::kAccepted),
        {},
        c.accepted.load(std::memory_order_relaxed)});
    fn({endpoint,
        ingest_outcome_name(IngestOutcome::kDuplicate),
        {},
        c.duplicates.load(std::memory_order_relaxed)});
    for (size_t r = 0; r < kIngestErrcCount; ++r) {
      const std::string_view reason = ingest_errc_code(static_cast<IngestErrc>(r));
      if (const uint64_t v = c.rejected[r].load(std::memory_order_relaxed); v != 0) {
        fn({endpoint, ingest_outcome_name(IngestOutcome::kRejected), reason, v});
      }
      if (const uint64_t v = c.refused[r].load(std::memory_order_relaxed); v != 0) {
        fn({endpoint, ingest_outcome_name(IngestOutcome::kRequestRefused), reason, v});
      }
    }
  }
}

}  // namespace eddy
