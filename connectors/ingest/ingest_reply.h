#pragma once

#include <optional>

#include "connectors/ingest/event_submitter.h"
#include "connectors/ingest/ingest_errc.h"
#include "connectors/ingest/ingest_request.h"
#include "runtime/status.h"

namespace eddy {

// A request refused whole: `{"success":false,"code":...,"message":...}`, with the byte position
// of a JSON syntax error when there is one. Busy answers carry Retry-After.
IngestReply refusal_reply(unsigned status, const IngestError& error);

// The answer for a request whose events went to the submitter, from its tally and the status of
// its last submit:
//   all taken (duplicates count as taken)  200 {"success":true}
//   some refused                           200 {"success":true,"accepted":N,"duplicates":D,
//                                               "rejected":[{"index":i,"line":n,"code":..,
//                                               "message":..}, ...]}
//   all refused                            400 {"success":false,"code":"invalid_events",...}
//   engine busy / stopping                 503 code busy (Retry-After: 1) / shutting_down; when
//                                          part of the request was taken, also what was and
//                                          "resume_index" (and "resume_line") to go on from
// Rejections are listed in item order; "rejected_count" says how many there were in all when the
// list is cut short.
// The answer instead of a request's reply when its events could not be made durable after all.
IngestReply storage_failure_reply(const Status& failure);

IngestReply outcome_reply(const RequestTally& tally, const Status& submitted,
                          const std::optional<ItemPos>& resume_at);

}  // namespace eddy
