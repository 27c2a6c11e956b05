#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/status.h"

namespace eddy {

// A declarative mapping from one webhook payload (JSON) to zero or more Segment messages, written
// in JSON (the language is described in docs/webhooks.md):
//
//   {"name": "email_engagement",
//    "rules": [{"name": "engagement", "type": "track",
//               "when": {"field": "event", "one_of": ["open", "click"]},
//               "event": {"field": "event", "lookup": {"open": "Email Opened"}},
//               "userId": {"field": ["user_id", "email"]},
//               "timestamp": {"field": "timestamp", "as": "epoch_seconds"},
//               "properties": {"campaign_id": {"field": "campaign_id", "required": true}}}]}
//
// Every rule whose condition holds yields one message; the others say why they did not. A mapping
// is checked in full when it is loaded, so a webhook can fail only on its own payload (a required
// field missing, a value of the wrong type), never on a mistake in the mapping.
//
// Immutable once parsed and cheap to copy (the rules are shared); apply() may run on any number of
// threads at once.

// The delivery a payload came with; it names the messages and goes into their context.
struct WebhookRef {
  std::string_view source;
  std::string_view id;
};

struct MappedWebhook {
  // Segment-shaped: type, messageId, event (track), userId and/or anonymousId, timestamp when the
  // payload has one, properties (track) or traits (identify), context.
  std::vector<boost::json::object> messages;
  // One reason per rule that yielded no message ("rule 0 'engagement': event: ...").
  std::vector<std::string> ignored;
};

class WebhookMapping {
 public:
  // Errors name the rule and the field: "rule 1 'contact': traits.email: unknown key 'feild'".
  static Result<WebhookMapping> parse(std::string_view json_text);
  static Result<WebhookMapping> from_json(const boost::json::value& spec);
  static Result<WebhookMapping> load_file(const std::string& path);

  // The messages for one payload. An error (kInvalidArgument) says which rule and field failed and
  // why; the receiver answers 400 with it.
  Result<MappedWebhook> apply(const boost::json::value& payload, const WebhookRef& ref) const;

  const std::string& name() const;
  size_t rule_count() const;

  struct Spec;

 private:
  explicit WebhookMapping(std::shared_ptr<const Spec> spec) : spec_(std::move(spec)) {}

  std::shared_ptr<const Spec> spec_;
};

// The id of the message that rule `rule_index` of a mapping with `rule_count` rules makes from a
// delivery: "<source>:<webhook id>", with ":<rule index>" when the mapping has several rules. The
// same delivery always gives the same ids, so ingest's messageId de-duplication recognises a
// redelivery that the webhook id memory has forgotten.
std::string webhook_message_id(const WebhookRef& ref, size_t rule_index, size_t rule_count);

}  // namespace eddy
