#pragma once

#include "connectors/http/http_settings.h"
#include "connectors/http/router.h"
#include "connectors/ingest/ingest_service.h"
#include "connectors/webhooks/webhook_receiver.h"
#include "runtime/clock.h"

namespace eddy {

// POST /v1/webhooks/{source}: verified, de-duplicated and mapped by the receiver, then ingested
// as one Segment batch (taken or refused whole). The delivery's id is remembered only once ingest
// has taken its events, so a delivery refused as busy is processed when the sender retries it.
void add_webhook_routes(Router& router, WebhookReceiver& receiver, IngestService& ingest,
                        const HttpSettings& http, const Clock& clock);

}  // namespace eddy
