#pragma once

#include "connectors/http/http_settings.h"
#include "connectors/http/router.h"
#include "connectors/ingest/ingest_service.h"

namespace eddy {

// POST /v1/track, /v1/identify, /v1/page, /v1/screen, /v1/group, /v1/alias, /v1/batch (Segment's
// Tracking API) and /v1/events (bulk NDJSON or a JSON array), on an IngestService.
//
// Ingest runs on the io thread that read the request: it parses, checks and hands the events to
// the intake (the write-ahead log), which never blocks except when a bulk upload waits for room.
// The answer goes out once the log says the events are durable, from the log's writer thread, so
// an io thread never waits for an fsync.
void add_ingest_routes(Router& router, IngestService& ingest, const HttpSettings& http);

// Sends `reply` once its events are durable, or the storage failure that kept them from being.
void respond_when_durable(IngestReply reply, Responder respond);
HttpResponse ingest_response(const IngestReply& reply);

// Undoes a gzip Content-Encoding in place; an answer when the body cannot be used.
std::optional<HttpResponse> inflate_body(HttpRequest& request, uint64_t max_inflated_bytes);

}  // namespace eddy
