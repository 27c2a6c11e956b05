#include "connectors/ingest/ingest_service.h"

#include <boost/json/value.hpp>
#include <exception>

#include "connectors/ingest/ingest_reply.h"
#include "connectors/ingest/json_array_split.h"
#include "connectors/ingest/json_reader.h"
#include "connectors/ingest/segment_mapper.h"
#include "connectors/normalize/iso8601.h"
#include "runtime/event.h"

namespace eddy {
namespace {

using boost::json::object;
using boost::json::value;

constexpr unsigned kBadRequest = 400;
constexpr unsigned kUnauthorized = 401;
constexpr unsigned kPayloadTooLarge = 413;
constexpr unsigned kInternalError = 500;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool blank(std::string_view s) {
  for (char c : s) {
    if (!is_space(c)) return false;
  }
  return true;
}

bool granted(HeaderAuth auth) {
  return auth == HeaderAuth::kNotRequired || auth == HeaderAuth::kGranted;
}

IngestError unauthorized(HeaderAuth auth) {
  return {IngestErrc::kUnauthorized,
          auth == HeaderAuth::kDenied
              ? "the Authorization header does not carry a known write key"
              : "a write key is needed: as the Basic user name, or as 'writeKey' in the body",
          std::nullopt};
}

IngestError too_large(IngestErrc code, std::string_view what, size_t size, size_t limit) {
  return {code,
          std::string(what) + " is " + std::to_string(size) + " bytes; the limit is " +
              std::to_string(limit),
          std::nullopt};
}

// "properties.revenue: required; traits.age: expected integer, got string"
std::string describe(const std::vector<TrackingPlanViolation>& violations) {
  std::string out;
  for (const TrackingPlanViolation& v : violations) {
    if (!out.empty()) out += "; ";
    out.append(v.field).append(": ").append(v.reason);
  }
  return out;
}

// Whether a message still needs its size checked: one parsed out of a larger document does (the
// body's size says nothing about it); a bulk line or array element was measured as sent.
enum class Measure : uint8_t { kAlreadyChecked, kCompactSize };

}  // namespace

// The parts of one request's work: its parser, its mapper and its submitter.
class IngestService::Run {
 public:
  Run(IngestService& service, WallTime received_at, SubmitterOptions options, uint32_t max_depth)
      : service(service),
        reader(max_depth),
        mapper(service.types_, service.options_.default_phone_region),
        submitter(service.intake_, service.dedup_, received_at, options) {}

  // Whether `message` may be taken: the request's credentials already allow it, or it carries a
  // write key of its own.
  bool allowed(bool request_allowed, const value& message) const {
    if (request_allowed) return true;
    if (!message.is_object()) return false;
    const value* key = message.get_object().if_contains("writeKey");
    return key != nullptr && key->is_string() && service.keys_.valid(key->get_string());
  }

  // One message of a request that holds several: refused without a write key, or for its size,
  // or mapped and handed to the submitter. A status other than ok means the engine refused a
  // batch: stop.
  Status item(const ItemPos& pos, const value& message, const MessageEnvelope& envelope,
              bool request_allowed, Measure measure, bool& any_allowed) {
    if (!allowed(request_allowed, message)) {
      submitter.reject(pos, unauthorized(HeaderAuth::kAbsent));
      return {};
    }
    any_allowed = true;
    if (measure == Measure::kCompactSize) {
      const size_t limit = service.settings_.max_event_bytes;
      if (const size_t size = compact_json_size(message, limit); size > limit) {
        submitter.reject(pos, too_large(IngestErrc::kEventTooLarge, "the message", size, limit));
        return {};
      }
    }
    return take(pos, message, envelope);
  }

  Status take(const ItemPos& pos, const value& message, const MessageEnvelope& envelope) {
    if (auto e = mapper.map(message, envelope, mapped)) {
      submitter.reject(pos, std::move(*e));
      return {};
    }
    if (service.options_.tracking_plan != nullptr) {
      // The mapper took the message, so it is an object.
      if (auto e = follow_plan(message.get_object())) {
        submitter.reject(pos, std::move(*e));
        return {};
      }
    }
    return submitter.add(pos, mapped);
  }

  // Counts how the mapped message breaks the plan; then either the error to refuse it with, or
  // (in tag mode) the draft gets the violations as a property.
  std::optional<IngestError> follow_plan(const object& m) {
    const std::vector<TrackingPlanViolation> violations =
        service.options_.tracking_plan->validate(m, mapped.call);
    if (violations.empty()) return std::nullopt;
    const std::string_view event = mapped.call == SegmentCall::kTrack
                                       ? std::string_view(m.at("event").get_string())
                                       : segment_call_name(mapped.call);
    for (const TrackingPlanViolation& v : violations)
      service.plan_counters_.add(event, v.field);
    plan_summary = describe(violations);
    if (service.options_.tracking_plan_mode == TrackingPlanMode::kReject) {
      return IngestError{IngestErrc::kTrackingPlanViolation,
                         "the event breaks the tracking plan: " + plan_summary, std::nullopt};
    }
    tag();
    return std::nullopt;
  }

  // A full property bag keeps its properties and goes without the tag: the event was to be taken
  // either way, and the violations are still counted.
  void tag() {
    if (mapped.draft.props.size() >= kMaxBagProperties) return;
    tagged_props.assign(mapped.draft.props.begin(), mapped.draft.props.end());
    tagged_props.push_back({kTrackingPlanViolationsProperty, PropValue::of_string(plan_summary)});
    mapped.draft.props = tagged_props;
  }

  IngestService& service;
  JsonReader reader;
  SegmentMapper mapper;
  EventSubmitter submitter;
  MappedEvent mapped;
  // The tag and the property list that carries it, for the event in `mapped`.
  std::string plan_summary;
  std::vector<PropDraft> tagged_props;
};

IngestService::IngestService(Intake& intake, const EventTypeRegistry& types,
                             const HttpSettings& settings, const Clock& clock, MessageDedup& dedup,
                             IngestOptions options)
    : intake_(intake),
      types_(types),
      settings_(settings),
      clock_(clock),
      dedup_(dedup),
      options_(options),
      keys_(settings.write_keys) {}

template <typename Body>
IngestReply IngestService::guarded(IngestEndpoint endpoint, Body&& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    return refuse(endpoint, kInternalError,
                  {IngestErrc::kInternal, std::string("ingest failed: ") + e.what(), std::nullopt});
  }
}

IngestReply IngestService::refuse(IngestEndpoint endpoint, unsigned status, IngestError error) {
  counters_.add(endpoint, IngestOutcome::kRequestRefused, 1, error.code);
  return refusal_reply(status, error);
}

IngestReply IngestService::conclude(IngestEndpoint endpoint, const EventSubmitter& submitter,
                                    Status submitted) {
  const RequestTally& tally = submitter.tally();
  counters_.add(endpoint, IngestOutcome::kAccepted, tally.accepted);
  counters_.add(endpoint, IngestOutcome::kDuplicate, tally.duplicates);
  for (size_t i = 0; i < kIngestErrcCount; ++i) {
    counters_.add(endpoint, IngestOutcome::kRejected, tally.rejected_by_code[i],
                  static_cast<IngestErrc>(i));
  }
  if (!submitted.is_ok()) {
    counters_.add(endpoint, IngestOutcome::kRequestRefused, 1,
                  submitted.code() == Errc::kBusy ? IngestErrc::kBusy
                  : submitted.code() == Errc::kIo ? IngestErrc::kStorageUnavailable
                                                  : IngestErrc::kShuttingDown);
  }
  IngestReply reply = outcome_reply(tally, submitted, submitter.resume_at());
  reply.durable = submitter.ack();
  return reply;
}

IngestReply IngestService::segment_call(SegmentCall call, const IngestRequest& request) {
  return guarded(endpoint_of(call), [&] { return do_segment_call(call, request); });
}

IngestReply IngestService::segment_batch(const IngestRequest& request) {
  return guarded(IngestEndpoint::kBatch, [&] { return do_segment_batch(request); });
}

IngestReply IngestService::bulk(const IngestRequest& request) {
  return guarded(IngestEndpoint::kEvents, [&] { return do_bulk(request); });
}

IngestReply IngestService::do_segment_call(SegmentCall call, const IngestRequest& request) {
  const IngestEndpoint endpoint = endpoint_of(call);
  const HeaderAuth auth = keys_.check_header(request.authorization);
  if (auth == HeaderAuth::kDenied) return refuse(endpoint, kUnauthorized, unauthorized(auth));
  if (request.body.size() > settings_.max_event_bytes) {
    return refuse(endpoint, kPayloadTooLarge,
                  too_large(IngestErrc::kEventTooLarge, "the message", request.body.size(),
                            settings_.max_event_bytes));
  }
  const WallTime now = clock_.now();
  SubmitterOptions once = options_.bulk;
  once.busy_wait = std::chrono::milliseconds(0);
  Run run(*this, now, once, settings_.max_json_depth);
  IngestError error;
  const value* message = run.reader.read(request.body, error);
  if (message == nullptr) return refuse(endpoint, kBadRequest, std::move(error));
  if (!run.allowed(granted(auth), *message)) {
    return refuse(endpoint, kUnauthorized, unauthorized(auth));
  }
  MessageEnvelope envelope;
  envelope.received_at = now;
  envelope.route_call = call;
  Status submitted = run.take(ItemPos{}, *message, envelope);
  if (submitted.is_ok()) submitted = run.submitter.finish();
  return conclude(endpoint, run.submitter, std::move(submitted));
}

IngestReply IngestService::do_segment_batch(const IngestRequest& request) {
  constexpr IngestEndpoint kEndpoint = IngestEndpoint::kBatch;
  const HeaderAuth auth = keys_.check_header(request.authorization);
  if (auth == HeaderAuth::kDenied) return refuse(kEndpoint, kUnauthorized, unauthorized(auth));
  if (request.body.size() > settings_.max_batch_bytes) {
    return refuse(kEndpoint, kPayloadTooLarge,
                  too_large(IngestErrc::kBatchTooLarge, "the batch", request.body.size(),
                            settings_.max_batch_bytes));
  }
  const WallTime now = clock_.now();
  SubmitterOptions whole = options_.bulk;
  // A batch goes to the engine in one piece, taken or refused whole.
  whole.max_batch_events = std::max<size_t>(settings_.max_batch_events, 1);
  whole.busy_wait = std::chrono::milliseconds(0);
  Run run(*this, now, whole, settings_.max_json_depth);
  IngestError error;
  const value* root = run.reader.read(request.body, error);
  if (root == nullptr) return refuse(kEndpoint, kBadRequest, std::move(error));
  const value* items = root->is_object() ? root->get_object().if_contains("batch") : nullptr;
  if (items == nullptr || !items->is_array()) {
    return refuse(kEndpoint, kBadRequest,
                  {IngestErrc::kInvalidRequest, "the body must be an object with a 'batch' array",
                   std::nullopt});
  }
  const boost::json::array& batch = items->get_array();
  if (batch.size() > settings_.max_batch_events) {
    return refuse(kEndpoint, kBadRequest,
                  {IngestErrc::kTooManyEvents,
                   "the batch holds " + std::to_string(batch.size()) + " messages; the limit is " +
                       std::to_string(settings_.max_batch_events),
                   std::nullopt});
  }
  const object& top = root->get_object();
  MessageEnvelope envelope;
  envelope.received_at = now;
  if (const value* c = top.if_contains("context"); c != nullptr && !c->is_null()) {
    if (!c->is_object()) {
      return refuse(kEndpoint, kBadRequest,
                    {IngestErrc::kInvalidRequest, "'context' must be an object", std::nullopt});
    }
    envelope.batch_context = &c->get_object();
  }
  if (const value* s = top.if_contains("sentAt"); s != nullptr && !s->is_null()) {
    auto sent = s->is_string() ? parse_iso8601(s->get_string())
                               : Result<EventTime>(Errc::kInvalidArgument, "not a string");
    if (!sent) {
      return refuse(
          kEndpoint, kBadRequest,
          {IngestErrc::kBadTimestamp, "'sentAt': " + sent.status().message(), std::nullopt});
    }
    envelope.batch_sent_at = *sent;
  }

  const bool batch_allowed = run.allowed(granted(auth), *root);
  bool any_allowed = batch_allowed;
  for (size_t i = 0; i < batch.size(); ++i) {
    Status s = run.item(ItemPos{i, std::nullopt}, batch[i], envelope, batch_allowed,
                        Measure::kCompactSize, any_allowed);
    if (!s.is_ok()) return conclude(kEndpoint, run.submitter, std::move(s));
  }
  if (!any_allowed) return refuse(kEndpoint, kUnauthorized, unauthorized(auth));
  return conclude(kEndpoint, run.submitter, run.submitter.finish());
}

IngestReply IngestService::do_bulk(const IngestRequest& request) {
  const HeaderAuth auth = keys_.check_header(request.authorization);
  if (auth == HeaderAuth::kDenied) {
    return refuse(IngestEndpoint::kEvents, kUnauthorized, unauthorized(auth));
  }
  std::vector<BulkItem> items;
  uint32_t max_depth = settings_.max_json_depth;
  const size_t first = request.body.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && request.body[first] == '[') {
    std::vector<std::string_view> elements;
    if (auto error = split_json_array(request.body, elements)) {
      return refuse(IngestEndpoint::kEvents, kBadRequest, std::move(*error));
    }
    items.reserve(elements.size());
    for (size_t i = 0; i < elements.size(); ++i)
      items.push_back({ItemPos{i, std::nullopt}, elements[i]});
    // The array is one level of the body's nesting.
    max_depth = std::max<uint32_t>(max_depth, 2) - 1;
  } else {
    split_lines(request.body, items);
  }
  return bulk_items(items, auth, max_depth);
}

void IngestService::split_lines(std::string_view body, std::vector<BulkItem>& items) {
  size_t line_number = 0;
  size_t index = 0;
  while (!body.empty()) {
    const size_t end = body.find('\n');
    std::string_view line = body.substr(0, end);
    body = end == std::string_view::npos ? std::string_view() : body.substr(end + 1);
    ++line_number;
    if (blank(line)) continue;
    if (line.back() == '\r') line.remove_suffix(1);
    items.push_back({ItemPos{index++, line_number}, line});
  }
}

IngestReply IngestService::bulk_items(const std::vector<BulkItem>& items, HeaderAuth auth,
                                      uint32_t max_depth) {
  constexpr IngestEndpoint kEndpoint = IngestEndpoint::kEvents;
  const WallTime now = clock_.now();
  Run run(*this, now, options_.bulk, max_depth);
  MessageEnvelope envelope;
  envelope.received_at = now;
  envelope.track_when_untyped = true;
  bool any_allowed = granted(auth);
  for (const BulkItem& item : items) {
    if (item.text.size() > settings_.max_event_bytes) {
      run.submitter.reject(item.pos, too_large(IngestErrc::kEventTooLarge, "the message",
                                               item.text.size(), settings_.max_event_bytes));
      continue;
    }
    IngestError error;
    const value* message = run.reader.read(item.text, error);
    if (message == nullptr) {
      run.submitter.reject(item.pos, std::move(error));
      continue;
    }
    Status s = run.item(item.pos, *message, envelope, granted(auth), Measure::kAlreadyChecked,
                        any_allowed);
    if (!s.is_ok()) return conclude(kEndpoint, run.submitter, std::move(s));
  }
  if (!any_allowed) return refuse(kEndpoint, kUnauthorized, unauthorized(auth));
  return conclude(kEndpoint, run.submitter, run.submitter.finish());
}

}  // namespace eddy
