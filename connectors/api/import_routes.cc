#include <boost/json/serialize.hpp>
#include <variant>

#include "connectors/api/api_context.h"
#include "connectors/api/import_jobs.h"
#include "connectors/api/ingest_routes.h"
#include "connectors/normalize/ascii.h"
#include "runtime/identity_fields.h"

namespace eddy {

namespace {

constexpr std::string_view kDefaultSource = "import";

HttpResponse not_enabled() {
  return error_response(http::status::not_found, "not_enabled",
                        "this eddy takes no imports: its topology has no master customer index, "
                        "or it runs without a write-ahead log");
}

// The topology's id of kCustomerRecordType, or nullopt when imports cannot be taken.
std::optional<EventType> record_type_of(const ApiContext& api) {
  if (api.imports == nullptr || !api.submit_records) return std::nullopt;
  const EventType type = api.engine->topology().types().find(kCustomerRecordType);
  if (type == EventTypeRegistry::kUnknown) return std::nullopt;
  return type;
}

// The record id prefix: the query parameter `source`, else "import".
std::variant<std::string, HttpResponse> source_of(const HttpRequest& req) {
  const auto it = req.query.find("source");
  std::string source = it == req.query.end() ? std::string(kDefaultSource) : it->second;
  if (!is_import_source(source)) {
    return error_response(http::status::bad_request, "invalid_source",
                          "the source must be 1 to 32 of a-z, 0-9, '_' and '-'; it prefixes every "
                          "record id as '<source>:<id>'");
  }
  return source;
}

// The checks of POST /v1/import, in the order a client would fix them: the import to start, or
// the answer that refuses it.
std::variant<ImportRequest, HttpResponse> import_request(const ApiContext& api, HttpRequest& req) {
  const std::optional<EventType> record_type = record_type_of(api);
  if (!record_type) return not_enabled();
  const std::optional<ImportFormat> format =
      import_format_of(req.header(http::field::content_type));
  if (!format) {
    return error_response(http::status::unsupported_media_type, "unsupported_media_type",
                          "send the records as text/csv or as application/x-ndjson (one JSON "
                          "object per line)");
  }
  auto source = source_of(req);
  if (auto* refused = std::get_if<HttpResponse>(&source)) return std::move(*refused);
  if (auto refused = inflate_body(req, api.http.max_inflated_bytes)) return std::move(*refused);
  if (trim_ascii_whitespace(req.body()).empty()) {
    return error_response(http::status::bad_request, "empty_body", "the body holds no records");
  }
  // What decides the whole body is checked here, so that a wrong header is a 400 at once rather
  // than a failed import to poll for.
  ImportBodyReader check(req.body(), *format, api.http.max_json_depth);
  if (Status s = check.start(); !s) {
    return error_response(http::status::bad_request, "invalid_body", s.message());
  }
  ImportRequest request;
  request.body = std::move(req.message.body());
  request.format = *format;
  request.source = std::get<std::string>(std::move(source));
  request.record_type = *record_type;
  request.default_phone_region = api.default_phone_region;
  request.max_json_depth = api.http.max_json_depth;
  request.submit = api.submit_records;
  return request;
}

HttpResponse refused_start(const Status& s) {
  if (s.code() != Errc::kBusy) return engine_error(s);
  HttpResponse r = error_response(http::status::too_many_requests, "too_many_imports", s.message());
  r.headers.emplace_back("Retry-After", "10");
  return r;
}

void start_import(const ApiContext& api, HttpRequest& req, const Responder& respond) {
  auto request = import_request(api, req);
  if (auto* refused = std::get_if<HttpResponse>(&request)) return respond(std::move(*refused));
  Result<std::string> id = api.imports->start(std::get<ImportRequest>(std::move(request)));
  if (!id) return respond(refused_start(id.status()));
  const std::string status_url = "/v1/imports/" + *id;
  HttpResponse r = json_response(
      http::status::accepted,
      boost::json::serialize(boost::json::object{{"import_id", *id}, {"status_url", status_url}}));
  r.headers.emplace_back("Location", status_url);
  respond(std::move(r));
}

void import_status(const ApiContext& api, std::string_view id, const Responder& respond) {
  if (api.imports == nullptr) return respond(not_enabled());
  const std::optional<ImportSummary> summary = api.imports->find(id);
  if (!summary) {
    return respond(error_response(http::status::not_found, "unknown_import",
                                  "no import with this id is known; statuses are kept in memory "
                                  "for the newest imports until eddy restarts"));
  }
  respond(json_response(http::status::ok, boost::json::serialize(to_json(*summary))));
}

}  // namespace

void add_import_routes(Router& router, const ApiContext& api) {
  router.add(http::verb::post, "/v1/import", RouteAccess::kToken,
             [&api](HttpRequest& req, Responder respond) { start_import(api, req, respond); });
  router.add(http::verb::get, "/v1/imports/{id}", RouteAccess::kToken,
             [&api](HttpRequest& req, Responder respond) {
               import_status(api, req.param("id"), respond);
             });
}

}  // namespace eddy
