#include <algorithm>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <functional>
#include <random>
#include <unordered_set>

#include "connectors/api/api_context.h"
#include "runtime/batch_builder.h"
#include "runtime/identity_fields.h"

namespace eddy {

HttpResponse engine_error(const Status& s) {
  switch (s.code()) {
    case Errc::kBusy: {
      HttpResponse r = error_response(http::status::service_unavailable, "busy", s.message());
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
    case Errc::kStopped:
      return error_response(http::status::service_unavailable, "shutting_down", s.message());
    case Errc::kIo: {
      // The write-ahead log cannot write: a full or failing disk, which may pass.
      HttpResponse r =
          error_response(http::status::service_unavailable, "storage_unavailable", s.message());
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
    case Errc::kNotFound:
      return error_response(http::status::not_found, "not_found", s.message());
    case Errc::kInvalidArgument:
      return error_response(http::status::bad_request, "invalid", s.message());
    default:
      return error_response(http::status::internal_server_error, "internal", s.message());
  }
}

namespace {

StageId stage_named(const ApiContext& api, const std::string& name) {
  return *api.engine->topology().find_stage(name);
}

HttpResponse unknown_customer(const std::string& id) {
  return error_response(http::status::not_found, "unknown_customer",
                        "no events have been seen for customer '" + id + "'");
}

// An identifier the identity stage has never seen may be a customer record's id, which only the
// customer index knows (operators/customer_matcher.h): asks it, and calls `then` with the customer
// holding the record, else with the id itself.
void resolve_record(const ApiContext& api, const std::string& id, const Responder& respond,
                    std::function<void(std::string customer)> then) {
  Status s = api.engine->lookup_key(
      stage_named(api, api.identity_stage), kCustomerIndexKey, id,
      [respond, id, then](Result<boost::json::object> answer) {
        if (!answer && answer.status().code() != Errc::kNotFound) {
          respond(engine_error(answer.status()));
          return;
        }
        const auto* customer = answer ? answer->if_contains("customer") : nullptr;
        then(customer != nullptr && customer->is_string() ? std::string(customer->as_string())
                                                          : id);
      });
  if (!s) respond(engine_error(s));
}

// Which customer an identifier belongs to, by the identity stage: the user it is linked to, else
// itself. Calls `then` with it, or answers the error.
void resolve_customer(const ApiContext& api, const std::string& id, const Responder& respond,
                      std::function<void(std::string customer)> then) {
  if (api.identity_stage.empty()) {
    then(id);
    return;
  }
  Status s = api.engine->query_key(
      stage_named(api, api.identity_stage), id,
      [&api, respond, id, then = std::move(then)](Result<boost::json::object> answer) {
        if (!answer && answer.status().code() == Errc::kNotFound)
          return resolve_record(api, id, respond, std::move(then));
        if (!answer) {
          respond(engine_error(answer.status()));
          return;
        }
        std::string customer = id;
        if (answer) {
          const auto* identity = answer->if_contains("identity");
          const auto* linked = identity != nullptr && identity->is_object()
                                   ? identity->as_object().if_contains("customer")
                                   : nullptr;
          if (linked != nullptr && linked->is_string()) customer = linked->as_string();
        }
        then(std::move(customer));
      });
  if (!s) respond(engine_error(s));
}

// What a customer route answers: `out` holds "id" (as asked) and "customer_id" already; the
// shape adds what it takes from the profile.
using Shape = std::function<void(boost::json::object profile, boost::json::object& out)>;

// Resolves identifier `id` to its customer and reads the customer's profile on the worker that owns
// it; calls `then` there with both, or answers 404 (unknown customer) or the engine's error.
using ProfileThen = std::function<void(std::string customer, boost::json::object profile)>;
void with_profile(const ApiContext& api, const std::string& id, const Responder& respond,
                  ProfileThen then) {
  resolve_customer(api, id, respond, [&api, respond, id, then](std::string customer) {
    Status s = api.engine->query_key(
        stage_named(api, api.profile_stage), customer,
        [respond, id, customer, then](Result<boost::json::object> answer) {
          if (!answer) {
            respond(answer.status().code() == Errc::kNotFound ? unknown_customer(id)
                                                              : engine_error(answer.status()));
            return;
          }
          then(customer, std::move(answer).value());
        });
    if (!s) respond(engine_error(s));
  });
}

// GET `path`: the profile of the customer identifier {id} belongs to, shaped by `shape`.
void add_customer_route(Router& router, const ApiContext& api, const char* path, Shape shape) {
  router.add(http::verb::get, path, RouteAccess::kToken,
             [&api, shape](HttpRequest& req, Responder respond) {
               const std::string id(req.param("id"));
               with_profile(
                   api, id, respond,
                   [respond, id, shape](std::string customer, boost::json::object profile) {
                     boost::json::object out{{"id", id}, {"customer_id", customer}};
                     shape(std::move(profile), out);
                     respond(json_response(http::status::ok, boost::json::serialize(out)));
                   });
             });
}

// A receipt id for an erasure: random, so that it tells nothing about whom it erased.
std::string erasure_receipt_id() {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  char hex[33];
  std::snprintf(hex, sizeof hex, "%016llx%016llx", static_cast<unsigned long long>(random()),
                static_cast<unsigned long long>(random()));
  return std::string("erasure_") + hex;
}

// One "Customer Erased" event per identifier, keyed by it (operators/identity_resolver.h), and,
// when the topology matches customer records, one to the customer index, which holds the
// customer's records (operators/customer_matcher.h).
EventBatch erasure_batch(const ApiContext& api, const std::string& customer,
                         const std::vector<std::string>& ids) {
  const EventTypeRegistry& types = api.engine->topology().types();
  const EventType erased = types.find(kCustomerErasedType);
  const WallTime now = api.clock != nullptr ? api.clock->now() : SystemClock().now();
  BatchBuilder builder;
  EventDraft d;
  d.type = erased;
  d.time = EventTime(now.value());
  for (const std::string& id : ids) {
    d.key = id;
    builder.add(d);
  }
  if (types.find(kCustomerRecordType) != EventTypeRegistry::kUnknown) {
    const PropDraft props[] = {{kCustomerProperty, PropValue::of_string(customer)}};
    d.key = kCustomerIndexKey;
    d.props = props;
    builder.add(d);
  }
  return builder.finish();
}

// The customer's id and every identifier the profile lists as linked to it, and how many links it
// could not list.
std::pair<std::vector<std::string>, int64_t> identities_of(const std::string& customer,
                                                           const boost::json::object& profile) {
  std::vector<std::string> ids{customer};
  int64_t unlisted = 0;
  if (const auto* found = profile.if_contains("identities")) {
    const auto& identities = found->as_object();
    for (const auto& linked : identities.at("linked").as_array())
      ids.emplace_back(linked.as_string());
    unlisted = identities.at("unlisted").to_number<int64_t>();
  }
  return {std::move(ids), unlisted};
}

// Logs one erasure event per identifier in `ids` (the customer's id among them) and answers with
// the receipt once they are durable.
void log_erasure(const ApiContext& api, const Responder& respond, const std::string& customer,
                 const std::vector<std::string>& ids, int64_t unlisted, int64_t left) {
  boost::json::object receipt{{"receipt_id", erasure_receipt_id()},
                              {"customer_id", customer},
                              {"identities_erased", ids.size()},
                              {"unlisted_identities", unlisted},
                              {"identities_left", left},
                              {"files_purged", "at the next checkpoint"}};
  Status taken = api.erase(
      erasure_batch(api, customer, ids), [respond, receipt = std::move(receipt)](Status durable) {
        if (!durable) return respond(engine_error(durable));
        respond(json_response(http::status::accepted, boost::json::serialize(receipt)));
      });
  if (!taken) respond(engine_error(taken));
}

// Calls `then` with the customer's id and every identifier linked to it: those the profile lists
// and, when it counts more links than it lists, those a search of every worker's identity stage
// finds (at most api.identity_search_max), with how many links the profile could not list and
// how many of those the search could not take either.
using IdentitiesThen =
    std::function<void(std::vector<std::string> ids, int64_t unlisted, int64_t left)>;
void all_identities(const ApiContext& api, const std::string& customer,
                    const boost::json::object& profile, const Responder& respond,
                    IdentitiesThen then) {
  auto [ids, unlisted] = identities_of(customer, profile);
  // Without an identity stage there is nothing to search (and nothing a profile could not list).
  if (unlisted == 0 || api.identity_stage.empty()) return then(std::move(ids), unlisted, unlisted);
  const size_t limit = api.identity_search_max;
  Status s = api.engine->find_keys(
      stage_named(api, api.identity_stage), customer, limit,
      [ids = std::move(ids), unlisted, limit,
       then = std::move(then)](std::vector<std::string> linked) mutable {
        std::unordered_set<std::string> known(ids.begin(), ids.end());
        int64_t added = 0;
        for (std::string& id : linked) {
          if (known.insert(id).second) {
            ids.push_back(std::move(id));
            ++added;
          }
        }
        const int64_t left = linked.size() >= limit ? std::max<int64_t>(0, unlisted - added) : 0;
        then(std::move(ids), unlisted, left);
      });
  if (!s) respond(engine_error(s));
}

// DELETE /v1/customers/{id}: reads the identities of the customer {id} belongs to from its
// profile (and, when it has more links than it lists, searches the identity stage for the rest),
// then logs one erasure event per identifier and answers once they are durable. The profile stage
// erases the profile when the events reach it; the next checkpoint removes the files that still
// hold the customer's data (runtime/durability/checkpointer.h).
void erase_customer(const ApiContext& api, const std::string& id, const Responder& respond) {
  if (!api.erase || api.identity_stage.empty()) {
    return respond(error_response(http::status::not_found, "not_enabled",
                                  "this eddy cannot erase customers (it runs without a "
                                  "write-ahead log, or its topology has no identity stage)"));
  }
  with_profile(api, id, respond,
               [&api, respond, id](std::string customer, boost::json::object profile) {
                 all_identities(api, customer, profile, respond,
                                [&api, respond, id, customer](std::vector<std::string> ids,
                                                              int64_t unlisted, int64_t left) {
                                  if (std::find(ids.begin(), ids.end(), id) == ids.end())
                                    ids.push_back(id);
                                  log_erasure(api, respond, customer, ids, unlisted, left);
                                });
               });
}

// GET /v1/customers/{id}/identities: the customer's id first, then every identifier linked to it;
// those the profile lists in the order they were linked, then those a search found.
void list_identities(const ApiContext& api, const std::string& id, const Responder& respond) {
  with_profile(api, id, respond,
               [&api, respond, id](std::string customer, boost::json::object profile) {
                 all_identities(
                     api, customer, profile, respond,
                     [respond, id, customer](std::vector<std::string> ids, int64_t, int64_t left) {
                       boost::json::array listed;
                       for (std::string& i : ids)
                         listed.emplace_back(std::move(i));
                       const boost::json::object out{{"id", id},
                                                     {"customer_id", customer},
                                                     {"identities", std::move(listed)},
                                                     {"unlisted", left}};
                       respond(json_response(http::status::ok, boost::json::serialize(out)));
                     });
               });
}

}  // namespace

void add_customer_routes(Router& router, const ApiContext& api) {
  router.add(http::verb::delete_, "/v1/customers/{id}", RouteAccess::kToken,
             [&api](HttpRequest& req, Responder respond) {
               erase_customer(api, std::string(req.param("id")), respond);
             });
  add_customer_route(router, api, "/v1/customers/{id}",
                     [](boost::json::object profile, boost::json::object& out) {
                       for (auto& [k, v] : profile)
                         out[k] = std::move(v);
                     });
  add_customer_route(router, api, "/v1/customers/{id}/segments",
                     [](boost::json::object profile, boost::json::object& out) {
                       out["segments"] = boost::json::array();
                       if (auto* s = profile.if_contains("segments"))
                         out["segments"] = std::move(*s);
                     });
  router.add(http::verb::get, "/v1/customers/{id}/identities", RouteAccess::kToken,
             [&api](HttpRequest& req, Responder respond) {
               list_identities(api, std::string(req.param("id")), respond);
             });
}

}  // namespace eddy
