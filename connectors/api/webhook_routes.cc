#include "connectors/api/webhook_routes.h"

#include <boost/json/serialize.hpp>

#include "connectors/api/ingest_routes.h"
#include "connectors/ingest/ingest_reply.h"
#include "connectors/webhooks/standard_webhooks.h"
#include "runtime/log.h"

namespace eddy {

void add_webhook_routes(Router& router, WebhookReceiver& receiver, IngestService& ingest,
                        const HttpSettings& http, const Clock& clock) {
  // Webhooks authenticate by signature; when ingest wants a write key it gets the first one.
  std::string authorization;
  if (!http.write_keys.empty()) authorization = "Basic " + base64_encode(http.write_keys[0] + ":");
  router.add(
      http::verb::post, "/v1/webhooks/{source}", RouteAccess::kOpen,
      [&receiver, &ingest, &http, &clock, authorization](HttpRequest& req, Responder respond) {
        if (auto refused = inflate_body(req, http.max_inflated_bytes)) return respond(*refused);
        const WebhookHeaders headers{req.header("webhook-id"), req.header("webhook-timestamp"),
                                     req.header("webhook-signature")};
        const WallTime now = clock.now();
        WebhookOutcome outcome =
            receiver.receive(req.param("source"), headers, req.body(), now.value() / 1000);
        if (outcome.code != WebhookCode::kAccepted) {
          return respond(json_response(static_cast<http::status>(outcome.status),
                                       boost::json::serialize(outcome.response_json())));
        }
        boost::json::array batch;
        for (auto& m : outcome.messages)
          batch.push_back(std::move(m));
        const std::string body = boost::json::serialize(boost::json::object{{"batch", batch}});
        IngestRequest in;
        in.body = body;
        in.authorization = authorization;
        in.content_type = "application/json";
        IngestReply reply = ingest.segment_batch(in);
        if (reply.status / 100 != 2) {
          outcome.claim.release();
          // Whatever part was taken is answered only once durable, like any ingest reply.
          return respond_when_durable(std::move(reply), std::move(respond));
        }
        // The delivery is remembered, and answered, only once its events are durable; if they
        // never are, the id is released so that the sender's retry is processed.
        auto latch = std::move(reply.durable);
        auto claim = std::make_shared<WebhookIdClaim>(std::move(outcome.claim));
        auto accepted = boost::json::serialize(outcome.response_json());
        auto settle = [claim, now, source = std::string(req.param("source")), respond,
                       accepted = std::move(accepted)](const Status& durable) {
          if (!durable) {
            claim->release();
            return respond(ingest_response(storage_failure_reply(durable)));
          }
          if (Status s = claim->commit(now); !s) {
            // The events are in; only the memory of the id failed. Answering an error would
            // make the sender retry and count them twice, so the delivery succeeds and the
            // failure is logged.
            log_line(LogLevel::kError, "webhook id not remembered",
                     {{"source", source}, {"error", s.message()}});
          }
          respond(json_response(http::status::ok, accepted));
        };
        if (latch) return latch->arm(std::move(settle));
        settle(Status{});
      });
}

}  // namespace eddy
