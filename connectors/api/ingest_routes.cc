#include "connectors/api/ingest_routes.h"

#include <boost/beast/core/string.hpp>

#include "connectors/ingest/gzip.h"
#include "connectors/ingest/ingest_reply.h"

namespace eddy {

std::optional<HttpResponse> inflate_body(HttpRequest& request, uint64_t max_inflated_bytes) {
  const std::string_view encoding = request.header(http::field::content_encoding);
  if (encoding.empty() || boost::beast::iequals(encoding, "identity")) return std::nullopt;
  if (!boost::beast::iequals(encoding, "gzip")) {
    return error_response(
        http::status::unsupported_media_type, "unsupported_encoding",
        "Content-Encoding '" + std::string(encoding) + "' is not supported; send gzip or nothing");
  }
  auto inflated = gunzip(request.body(), max_inflated_bytes);
  if (!inflated) {
    const bool too_large = inflated.status().code() == Errc::kInvalidArgument;
    return error_response(too_large ? http::status::payload_too_large : http::status::bad_request,
                          too_large ? "body_too_large" : "bad_gzip", inflated.status().message());
  }
  request.message.body() = std::move(inflated).value();
  return std::nullopt;
}

HttpResponse ingest_response(const IngestReply& reply) {
  HttpResponse r = json_response(static_cast<http::status>(reply.status), reply.body);
  if (reply.retry_after_seconds)
    r.headers.emplace_back("Retry-After", std::to_string(*reply.retry_after_seconds));
  return r;
}

void respond_when_durable(IngestReply reply, Responder respond) {
  std::shared_ptr<AckLatch> latch = std::move(reply.durable);
  if (!latch) return respond(ingest_response(reply));
  latch->arm([reply = std::move(reply), respond = std::move(respond)](const Status& durable) {
    respond(ingest_response(durable ? reply : storage_failure_reply(durable)));
  });
}

namespace {

template <typename Call>
RouteHandler ingest_route(IngestService& ingest, const HttpSettings& http, Call call) {
  return [&ingest, &http, call](HttpRequest& req, Responder respond) {
    if (auto refused = inflate_body(req, http.max_inflated_bytes)) return respond(*refused);
    IngestRequest in;
    in.body = req.body();
    in.authorization = req.header(http::field::authorization);
    in.content_type = req.header(http::field::content_type);
    respond_when_durable(call(ingest, in), std::move(respond));
  };
}

}  // namespace

void add_ingest_routes(Router& router, IngestService& ingest, const HttpSettings& http) {
  for (SegmentCall call : {SegmentCall::kTrack, SegmentCall::kIdentify, SegmentCall::kPage,
                           SegmentCall::kScreen, SegmentCall::kGroup, SegmentCall::kAlias}) {
    router.add(http::verb::post, "/v1/" + std::string(segment_call_name(call)),
               RouteAccess::kIngest,
               ingest_route(ingest, http, [call](IngestService& s, const IngestRequest& r) {
                 return s.segment_call(call, r);
               }));
  }
  router.add(http::verb::post, "/v1/batch", RouteAccess::kIngest,
             ingest_route(ingest, http, [](IngestService& s, const IngestRequest& r) {
               return s.segment_batch(r);
             }));
  router.add(http::verb::post, "/v1/events", RouteAccess::kIngest,
             ingest_route(ingest, http,
                          [](IngestService& s, const IngestRequest& r) { return s.bulk(r); }));
}

}  // namespace eddy
