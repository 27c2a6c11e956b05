#pragma once

#include "connectors/http/http_settings.h"
#include "connectors/http/router.h"
#include "connectors/ingest/ingest_service.h"

namespace eddy {

// POST /v1/track, /v1/identify, /v1/page, /v1/screen, /v1/group, /v1/alias, /v1/batch (Segment's
// Tracking API) and /v1/events (bulk NDJSON or a JSON array), on an IngestService.
//
// Ingest runs on the io thread that read the request: it parses, checks and submits to the
// engine's source, which never blocks except when a bulk upload waits for room.
void add_ingest_routes(Router& router, IngestService& ingest, const HttpSettings& http);

// Undoes a gzip Content-Encoding in place; an answer when the body cannot be used.
std::optional<HttpResponse> inflate_body(HttpRequest& request, uint64_t max_inflated_bytes);

}  // namespace eddy
