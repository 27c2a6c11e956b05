#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <map>
#include <mutex>

#include "connectors/api/api_context.h"
#include "connectors/api/segment_change_hub.h"
#include "connectors/api/segment_definition.h"
#include "operators/segments.h"

namespace eddy {

namespace {

// Every Segments instance a worker owns, one per key group of the profile stage.
template <typename Fn>
void for_each_segments(Worker& w, StageId stage, std::string_view op_name, Fn fn) {
  for (KeyGroup g : w.owned_groups()) {
    StageInstance* inst = w.instance(stage, g);
    if (inst == nullptr) continue;
    auto op = inst->find_operator(op_name);
    if (!op) continue;
    fn(static_cast<const Segments&>(inst->op(*op)), *inst);
  }
}

StageId profile_stage(const ApiContext& api) {
  return *api.engine->topology().find_stage(api.profile_stage);
}

void list_segments(const ApiContext& api, Responder respond) {
  struct Gather {
    std::mutex mu;
    std::map<std::string, std::pair<Segments::Definition, uint64_t>> by_id;
  };
  auto gather = std::make_shared<Gather>();
  const StageId stage = profile_stage(api);
  const std::string op = api.segments_operator;
  Status s = api.engine->run_on_all(
      [gather, stage, op](Worker& w) {
        for_each_segments(w, stage, op, [&](const Segments& seg, const StageInstance&) {
          std::lock_guard lock(gather->mu);
          for (const auto& [def, n] : seg.definitions()) {
            auto& entry = gather->by_id[def.id];
            entry.first = def;
            entry.second += n;
          }
        });
      },
      [gather, respond] {
        boost::json::array list;
        for (const auto& [id, entry] : gather->by_id) {
          boost::json::object o = entry.first.to_json();
          o["size"] = entry.second;
          list.push_back(std::move(o));
        }
        boost::json::object out{{"segments", std::move(list)}};
        respond(json_response(http::status::ok, boost::json::serialize(out)));
      });
  if (!s) respond(engine_error(s));
}

// The body of PUT /v1/segments/{id}: {"enter": "...", "exit": "...", "min_dwell": "1h"}.
Result<boost::json::object> put_command(std::string_view id, const std::string& body,
                                        uint32_t max_depth) {
  boost::json::parse_options options;
  options.max_depth = max_depth;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec, {}, options);
  if (ec) return {Errc::kInvalidArgument, "the body is not JSON: " + ec.message()};
  if (!v.is_object()) return {Errc::kInvalidArgument, "the body must be a JSON object"};
  return segment_put_command(id, v.as_object());
}

// How a refused definition or deletion reads: a bad rule names its position (the operator checks
// the rules), an unknown segment is 404, anything else is the engine's own answer.
HttpResponse segment_refusal(const Status& s, const std::string& id) {
  if (s.code() == Errc::kInvalidArgument)
    return error_response(http::status::bad_request, "invalid_segment", s.message());
  if (s.code() == Errc::kNotFound && s.message().starts_with("no segment"))
    return error_response(http::status::not_found, "unknown_segment", "no segment '" + id + "'");
  return engine_error(s);
}

// Sends the command through the write-ahead log when there is one, so that definitions survive a
// restart and replay in order with the events around them.
Status send_command(const ApiContext& api, const boost::json::object& cmd,
                    std::function<void(Status)> done) {
  if (api.command) return api.command(api.segments_operator, cmd, std::move(done));
  return api.engine->command(api.segments_operator, cmd, std::move(done));
}

void put_segment(const ApiContext& api, HttpRequest& req, Responder respond) {
  const std::string id(req.param("id"));
  auto cmd = put_command(id, req.body(), api.http.max_json_depth);
  if (!cmd) {
    respond(error_response(http::status::bad_request, "invalid_segment", cmd.status().message()));
    return;
  }
  boost::json::object answer = *cmd;
  answer.erase("action");
  Status s = send_command(api, *cmd, [respond, answer, id](Status applied) {
    if (!applied) return respond(segment_refusal(applied, id));
    respond(json_response(http::status::ok, boost::json::serialize(answer)));
  });
  if (!s) respond(segment_refusal(s, id));
}

void delete_segment(const ApiContext& api, HttpRequest& req, Responder respond) {
  const std::string id(req.param("id"));
  boost::json::object cmd{{"action", "delete"}, {"id", id}};
  Status s = send_command(api, cmd, [respond, id](Status applied) {
    if (!applied) return respond(segment_refusal(applied, id));
    boost::json::object out{{"id", id}, {"deleted", true}};
    respond(json_response(http::status::ok, boost::json::serialize(out)));
  });
  if (!s) respond(segment_refusal(s, id));
}

std::string cursor_of(KeyHash h) {
  char buf[17];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, h.value(), 16);
  return std::string(buf, end);
}

// Members are walked in key-hash order, and the cursor is the last hash returned: a member that
// stays in the segment is returned exactly once in a walk however membership changes around it.
void list_members(const ApiContext& api, HttpRequest& req, Responder respond) {
  const std::string id(req.param("id"));
  uint64_t limit = 1000;
  if (auto text = req.query_param("limit"); !text.empty()) {
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
    if (ec != std::errc() || p != text.data() + text.size() || limit == 0 ||
        limit > api.http.max_members_page) {
      return respond(
          error_response(http::status::bad_request, "bad_limit",
                         "limit must be 1 to " + std::to_string(api.http.max_members_page)));
    }
  }
  uint64_t after = 0;
  if (auto text = req.query_param("cursor"); !text.empty()) {
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), after, 16);
    if (ec != std::errc() || p != text.data() + text.size())
      return respond(error_response(http::status::bad_request, "bad_cursor",
                                    "the cursor is not one this server gave"));
  }
  struct Gather {
    std::mutex mu;
    bool known = false;
    std::vector<Segments::Member> members;
  };
  auto gather = std::make_shared<Gather>();
  const StageId stage = profile_stage(api);
  const std::string op = api.segments_operator;
  Status s = api.engine->run_on_all(
      [=](Worker& w) {
        for_each_segments(w, stage, op, [&](const Segments& seg, const StageInstance& inst) {
          auto page = seg.members(id, inst.slots(), after, limit);
          std::lock_guard lock(gather->mu);
          if (!page) return;
          gather->known = true;
          for (auto& m : *page)
            gather->members.push_back(std::move(m));
        });
      },
      [=] {
        if (!gather->known) {
          return respond(error_response(http::status::not_found, "unknown_segment",
                                        "no segment '" + id + "'"));
        }
        auto& all = gather->members;
        std::sort(all.begin(), all.end(),
                  [](const auto& a, const auto& b) { return a.hash.value() < b.hash.value(); });
        const bool more = all.size() > limit;
        if (more) all.resize(limit);
        boost::json::array keys;
        for (const auto& m : all)
          keys.push_back(boost::json::string(m.key));
        boost::json::object out{{"members", std::move(keys)}, {"next_cursor", nullptr}};
        // A full page may have more after it; the walk ends at the first page that is not full.
        if (more || (all.size() == limit && limit > 0))
          out["next_cursor"] = cursor_of(all.back().hash);
        respond(json_response(http::status::ok, boost::json::serialize(out)));
      });
  if (!s) respond(engine_error(s));
}

void stream_changes(const ApiContext& api, HttpRequest& req, Responder respond) {
  HttpResponse r;
  r.stream = std::make_shared<EventStream>(api.http.sse_queue_events);
  api.changes->subscribe(std::string(req.param("id")), r.stream);
  respond(std::move(r));
}

}  // namespace

void add_segment_routes(Router& router, const ApiContext& api) {
  router.add(http::verb::get, "/v1/segments", RouteAccess::kToken,
             [&api](HttpRequest&, Responder respond) { list_segments(api, std::move(respond)); });
  router.add(
      http::verb::put, "/v1/segments/{id}", RouteAccess::kToken,
      [&api](HttpRequest& req, Responder respond) { put_segment(api, req, std::move(respond)); });
  router.add(http::verb::delete_, "/v1/segments/{id}", RouteAccess::kToken,
             [&api](HttpRequest& req, Responder respond) {
               delete_segment(api, req, std::move(respond));
             });
  router.add(
      http::verb::get, "/v1/segments/{id}/members", RouteAccess::kToken,
      [&api](HttpRequest& req, Responder respond) { list_members(api, req, std::move(respond)); });
  router.add(http::verb::get, "/v1/segments/{id}/changes", RouteAccess::kToken,
             [&api](HttpRequest& req, Responder respond) {
               stream_changes(api, req, std::move(respond));
             });
}

}  // namespace eddy
