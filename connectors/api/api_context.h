#pragma once

#include <functional>
#include <string>

#include "connectors/http/http_settings.h"
#include "connectors/http/router.h"
#include "runtime/engine.h"

namespace eddy {

class ImportJobs;
class SegmentChangeHub;

// What the REST routes need to reach: the engine (only through its messages: query_key,
// run_on_all, command), the names of the profile stage and the segments operator in its topology,
// and the live segment-change feed.
struct ApiContext {
  Engine* engine = nullptr;
  std::string profile_stage = "profiles";
  // The stage that maps identifiers to customers (operators/identity_resolver.h); empty when the
  // topology has none, and then an identifier is its own customer.
  std::string identity_stage;
  std::string segments_operator = "segments";
  SegmentChangeHub* changes = nullptr;
  HttpSettings http;
  // Run-time commands (segment definitions) go here instead of straight to the engine when set:
  // the write-ahead log's Journal::command, which applies them once durable.
  std::function<Status(std::string_view target, const boost::json::object& command,
                       std::function<void(Status)> done)>
      command;
  // Takes a checkpoint (POST /v1/admin/checkpoint); `done` gets what to answer about it: its id,
  // log offset, size and timings, or why it failed. Unset: the route answers 404 not_enabled.
  std::function<Status(std::function<void(Result<boost::json::object>)> done)> checkpoint;
  // True once the engine has restored its state and may take traffic (/readyz).
  std::function<bool()> ready = [] { return true; };
  // Erasure (DELETE /v1/customers/{id}): hands the batch of erasure events to the durable intake;
  // `done` gets ok once the batch is durable and taken by the engine, or why it is not. A status
  // other than ok means nothing was taken and `done` will not be called. Unset: the route answers
  // 404 not_enabled.
  std::function<Status(const EventBatch& batch, std::function<void(Status)> done)> erase;
  // The time erasure events carry.
  const Clock* clock = nullptr;
  // The most identifiers a search of the identity stage finds for a customer with more links than
  // its profile lists, for an erasure or a listing of its identities (--identity-search-max).
  size_t identity_search_max = 100'000;
  // Bulk imports of customer records (POST /v1/import): the jobs, and how their batches of
  // "Customer Record" events reach the durable intake, with the contract of `erase` (and busy
  // when the intake is full, which a job retries). Either unset: the routes answer 404
  // not_enabled.
  ImportJobs* imports = nullptr;
  std::function<Status(const EventBatch& batch, std::function<void(Status)> done)> submit_records;
  // The country assumed for imported phone numbers without a country code (empty: none).
  std::string default_phone_region;
};

// GET /v1/customers/{id}, GET /v1/customers/{id}/segments, GET /v1/customers/{id}/identities; any
// identifier linked to a customer answers for that customer. DELETE /v1/customers/{id} erases the
// customer and every identifier linked to it.
void add_customer_routes(Router& router, const ApiContext& api);
// GET /v1/segments, PUT and DELETE /v1/segments/{id}, GET /v1/segments/{id}/members,
// GET /v1/segments/{id}/changes.
void add_segment_routes(Router& router, const ApiContext& api);

// POST /v1/admin/checkpoint.
void add_admin_routes(Router& router, const ApiContext& api);

// POST /v1/import (bulk customer records, CSV or NDJSON) and GET /v1/imports/{id}.
void add_import_routes(Router& router, const ApiContext& api);

// How an engine's refusal reads over HTTP.
HttpResponse engine_error(const Status& s);

}  // namespace eddy
