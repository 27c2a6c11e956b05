#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/http/http_settings.h"
#include "connectors/ingest/event_submitter.h"
#include "connectors/ingest/ingest_counters.h"
#include "connectors/ingest/ingest_errc.h"
#include "connectors/ingest/ingest_request.h"
#include "connectors/ingest/message_dedup.h"
#include "connectors/ingest/segment_call.h"
#include "connectors/ingest/tracking_plan.h"
#include "connectors/ingest/tracking_plan_counters.h"
#include "connectors/ingest/tracking_plan_mode.h"
#include "connectors/ingest/write_keys.h"
#include "runtime/clock.h"
#include "runtime/event_types.h"
#include "runtime/intake.h"
#include "runtime/source.h"

namespace eddy {

struct IngestOptions {
  // How /v1/events uploads are cut into batches for the engine, how long they wait for room once
  // partly taken, and how many rejections a reply lists (see SubmitterOptions).
  SubmitterOptions bulk;
  // Checked against every message that maps to an event; null checks nothing.
  std::shared_ptr<const TrackingPlan> tracking_plan;
  TrackingPlanMode tracking_plan_mode = TrackingPlanMode::kReject;
  // The country assumed for phone traits without a country code (SegmentMapper); empty: none.
  std::string default_phone_region;
};

// The ingest routes of the HTTP surface, without the HTTP: Segment's Tracking API (/v1/track,
// /v1/identify, /v1/page, /v1/screen, /v1/group, /v1/alias, /v1/batch) and bulk NDJSON or JSON
// arrays (/v1/events), turned into events for the engine's source. docs/event-model.md says how a
// message becomes an event; ingest_reply.h what each answer looks like.
//
// Threading contract: every method may be called from any number of threads at once. Each call
// works on its own request with its own buffers; what calls share (the source, the messageId
// memory, the counters) is thread-safe. A call blocks only while a bulk upload waits for the
// engine to make room (IngestOptions::bulk.busy_wait). No exception leaves a call: a failure the
// code did not foresee (an allocation) is answered with 500.
class IngestService {
 public:
  // Every reference must outlive the service. `types` are the topology's (Engine::topology()).
  IngestService(Intake& intake, const EventTypeRegistry& types, const HttpSettings& settings,
                const Clock& clock, MessageDedup& dedup, IngestOptions options = {});

  // One message; the route says which call it is.
  IngestReply segment_call(SegmentCall call, const IngestRequest& request);
  // {"batch":[...], "context":{...}, "sentAt":..., "writeKey":...}; each item says its `type`.
  IngestReply segment_batch(const IngestRequest& request);
  // NDJSON, one message per line, or a JSON array when the body starts with '['. A message
  // without `type` is a track call when it has an `event`.
  IngestReply bulk(const IngestRequest& request);

  const IngestCounters& counters() const { return counters_; }
  void visit_counters(const std::function<void(const IngestCounterSample&)>& fn) const {
    counters_.visit(fn);
  }
  const TrackingPlanCounters& tracking_plan_counters() const { return plan_counters_; }

 private:
  class Run;

  template <typename Body>
  IngestReply guarded(IngestEndpoint endpoint, Body&& body);
  IngestReply refuse(IngestEndpoint endpoint, unsigned status, IngestError error);
  IngestReply conclude(IngestEndpoint endpoint, const EventSubmitter& submitter, Status submitted);

  IngestReply do_segment_call(SegmentCall call, const IngestRequest& request);
  IngestReply do_segment_batch(const IngestRequest& request);
  IngestReply do_bulk(const IngestRequest& request);
  // A line of NDJSON or an element of a JSON array, as yet unparsed.
  struct BulkItem {
    ItemPos pos;
    std::string_view text;
  };
  static void split_lines(std::string_view body, std::vector<BulkItem>& items);
  IngestReply bulk_items(const std::vector<BulkItem>& items, HeaderAuth auth, uint32_t max_depth);

  Intake& intake_;
  const EventTypeRegistry& types_;
  const HttpSettings& settings_;
  const Clock& clock_;
  MessageDedup& dedup_;
  IngestOptions options_;
  WriteKeys keys_;
  IngestCounters counters_;
  TrackingPlanCounters plan_counters_;
};

}  // namespace eddy
