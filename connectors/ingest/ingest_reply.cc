#include "connectors/ingest/ingest_reply.h"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace eddy {
namespace {

constexpr uint32_t kRetryAfterSeconds = 1;

boost::json::object error_body(IngestErrc code, std::string_view message) {
  return {{"success", false}, {"code", ingest_errc_code(code)}, {"message", message}};
}

boost::json::array rejection_list(const RequestTally& tally) {
  std::vector<const ItemRejection*> sorted;
  sorted.reserve(tally.rejections.size());
  for (const ItemRejection& r : tally.rejections)
    sorted.push_back(&r);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto* a, const auto* b) { return a->pos.index < b->pos.index; });
  boost::json::array out;
  out.reserve(sorted.size());
  for (const ItemRejection* r : sorted) {
    boost::json::object item{{"index", r->pos.index}};
    if (r->pos.line) item["line"] = *r->pos.line;
    item["code"] = ingest_errc_code(r->error.code);
    item["message"] = r->error.message;
    if (r->error.position) item["position"] = *r->error.position;
    out.push_back(std::move(item));
  }
  return out;
}

void add_tally(boost::json::object& body, const RequestTally& tally) {
  body["accepted"] = tally.accepted;
  body["duplicates"] = tally.duplicates;
  body["rejected"] = rejection_list(tally);
  if (tally.rejections.size() < tally.rejected) body["rejected_count"] = tally.rejected;
}

IngestReply reply(unsigned status, const boost::json::object& body, const RequestTally& tally) {
  IngestReply r;
  r.status = status;
  r.body = boost::json::serialize(body);
  r.accepted = tally.accepted;
  r.duplicates = tally.duplicates;
  r.rejected = tally.rejected;
  return r;
}

IngestReply failed_submit(const RequestTally& tally, const Status& submitted,
                          const std::optional<ItemPos>& resume_at) {
  const bool busy = submitted.code() == Errc::kBusy;
  const bool storage = submitted.code() == Errc::kIo;
  boost::json::object body =
      busy      ? error_body(IngestErrc::kBusy, "the engine is busy; retry after a second")
      : storage ? error_body(IngestErrc::kStorageUnavailable, submitted.message())
                : error_body(IngestErrc::kShuttingDown, "the engine is shutting down");
  const bool partly_taken = tally.accepted + tally.duplicates + tally.rejected != 0;
  if (partly_taken) {
    add_tally(body, tally);
    if (resume_at) {
      body["resume_index"] = resume_at->index;
      if (resume_at->line) body["resume_line"] = *resume_at->line;
    }
  }
  IngestReply r = reply(503, body, tally);
  if (busy || storage) r.retry_after_seconds = kRetryAfterSeconds;
  return r;
}

}  // namespace

IngestReply storage_failure_reply(const Status& failure) {
  IngestReply r;
  r.status = 503;
  r.body = boost::json::serialize(error_body(
      IngestErrc::kStorageUnavailable,
      "the events could not be made durable (" + failure.message() +
          "); none of this request is acknowledged: retry it, messages with a messageId are "
          "not counted twice"));
  r.retry_after_seconds = kRetryAfterSeconds;
  return r;
}

IngestReply refusal_reply(unsigned status, const IngestError& error) {
  boost::json::object body = error_body(error.code, error.message);
  if (error.position) body["position"] = *error.position;
  IngestReply r;
  r.status = status;
  r.body = boost::json::serialize(body);
  if (error.code == IngestErrc::kBusy) r.retry_after_seconds = kRetryAfterSeconds;
  return r;
}

IngestReply outcome_reply(const RequestTally& tally, const Status& submitted,
                          const std::optional<ItemPos>& resume_at) {
  if (!submitted.is_ok()) return failed_submit(tally, submitted, resume_at);
  if (tally.rejected == 0) return reply(200, {{"success", true}}, tally);
  if (tally.accepted + tally.duplicates == 0) {
    // One refused event (a single call) is best explained by its own reason.
    const std::string message =
        tally.rejected == 1 && !tally.rejections.empty()
            ? tally.rejections.front().error.message
            : "all " + std::to_string(tally.rejected) + " events were refused";
    boost::json::object body = error_body(IngestErrc::kInvalidEvents, message);
    add_tally(body, tally);
    body.erase("accepted");
    body.erase("duplicates");
    return reply(400, body, tally);
  }
  boost::json::object body{{"success", true}};
  add_tally(body, tally);
  return reply(200, body, tally);
}

}  // namespace eddy
