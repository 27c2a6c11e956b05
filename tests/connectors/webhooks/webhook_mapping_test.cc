#include "connectors/webhooks/webhook_mapping.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "connectors/webhooks/builtin_mappings.h"
#include "connectors/webhooks/json_path.h"
#include "connectors/webhooks/mapping_value.h"
#include "tests/connectors/webhooks/test_data.h"

namespace eddy {
namespace {

namespace json = boost::json;
using webhooks_test::read_text;
using webhooks_test::source_root;

json::value parse_json(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  EXPECT_FALSE(ec) << ec.message() << " in " << text;
  return v;
}

WebhookMapping mapping_of(std::string_view text) {
  auto m = WebhookMapping::parse(text);
  EXPECT_TRUE(m.is_ok()) << m.status().to_string();
  return std::move(m).value();
}

json::value as_json(const MappedWebhook& out) {
  json::array messages(out.messages.begin(), out.messages.end());
  json::array ignored;
  for (const std::string& r : out.ignored)
    ignored.emplace_back(r);
  return json::object{{"messages", std::move(messages)}, {"ignored", std::move(ignored)}};
}

// ---------------------------------------------------------------------------------------------
// The shipped mappings against their example payloads.

struct Example {
  std::string mapping;
  std::string payload;  // tests/connectors/webhooks/data/<payload>.json, and .expected.json
  std::string source;
  std::string webhook_id;
};

const std::vector<Example>& examples() {
  static const std::vector<Example> kExamples = {
      {"shop_order", "shop_order_create", "shop", "msg_2fWd1bKq8u3xZ4oP0Lr7"},
      {"shop_order", "shop_order_guest", "shop", "msg_2fWd7QnR1c0aVbX9sKe2"},
      {"email_engagement", "email_open", "email", "msg_2fWeA0c9Jm4TtQ1yHd8u"},
      {"email_engagement", "email_click", "email", "msg_2fWeB7pLw2Nn5RzC3kYv"},
      {"email_engagement", "email_bounce", "email", "msg_2fWeC1aQz7Lm0XbV4nRt"},
      {"crm_contact", "crm_contact_update", "crm", "msg_2fWeH3sDk8Uu1PqA6mZx"},
      {"crm_contact", "crm_contact_no_email", "crm", "msg_2fWeJ9tFw0Ee2KrB7oYy"},
  };
  return kExamples;
}

TEST(WebhookMapping, ShippedMappingsGiveExactlyTheDocumentedMessages) {
  const auto root = source_root();
  ASSERT_FALSE(root.empty()) << "cannot find the repository; set EDDY_SOURCE_DIR";
  const auto data = root / "tests/connectors/webhooks/data";
  for (const Example& e : examples()) {
    SCOPED_TRACE(e.payload);
    auto mapping = builtin_mapping(e.mapping);
    ASSERT_TRUE(mapping.is_ok()) << mapping.status().to_string();
    const json::value payload = parse_json(read_text(data / (e.payload + ".json")));
    const json::value want = parse_json(read_text(data / (e.payload + ".expected.json")));
    auto out = mapping->apply(payload, WebhookRef{e.source, e.webhook_id});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    const json::value got = as_json(*out);
    EXPECT_EQ(got, want) << "got  " << json::serialize(got) << "\nwant " << json::serialize(want);
  }
}

TEST(WebhookMapping, BuiltinMappingsAreTheShippedFilesByteForByte) {
  const auto root = source_root();
  ASSERT_FALSE(root.empty()) << "cannot find the repository; set EDDY_SOURCE_DIR";
  std::set<std::string> files;
  for (const auto& entry :
       std::filesystem::directory_iterator(root / "connectors/webhooks/mappings")) {
    if (entry.path().extension() == ".json") files.insert(entry.path().stem().string());
  }
  std::set<std::string> builtins;
  for (const BuiltinMapping& m : builtin_mappings()) {
    SCOPED_TRACE(std::string(m.name));
    builtins.insert(std::string(m.name));
    EXPECT_EQ(m.json,
              read_text(root / "connectors/webhooks/mappings" / (std::string(m.name) + ".json")));
    auto parsed = builtin_mapping(m.name);
    ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string();
    EXPECT_EQ(parsed->name(), m.name);
    // The same file loaded from disk behaves the same.
    EXPECT_TRUE(
        WebhookMapping::load_file(
            (root / "connectors/webhooks/mappings" / (std::string(m.name) + ".json")).string())
            .is_ok());
  }
  EXPECT_EQ(builtins, files);
  EXPECT_EQ(builtins, (std::set<std::string>{"crm_contact", "email_engagement", "shop_order"}));
}

TEST(WebhookMapping, UnknownBuiltinListsTheKnownOnes) {
  auto m = builtin_mapping("shopify");
  ASSERT_FALSE(m.is_ok());
  EXPECT_EQ(m.status().code(), Errc::kNotFound);
  EXPECT_NE(m.status().message().find("shop_order"), std::string::npos);
}

TEST(WebhookMapping, LoadFileNamesTheFile) {
  auto missing = WebhookMapping::load_file("/nonexistent/eddy/mapping.json");
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().code(), Errc::kIo);
  EXPECT_NE(missing.status().message().find("/nonexistent/eddy/mapping.json"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Payload errors: what a sender gets back with its 400.

struct PayloadError {
  std::string name;
  std::string mapping;
  std::string payload;
  std::string want;  // the whole message
};

TEST(WebhookMapping, PayloadErrorsNameTheRuleTheFieldAndThePath) {
  const std::vector<PayloadError> cases = {
      {"total missing", "shop_order", R"({"id": 1, "customer": {"id": 2}})",
       "rule 0 'order_completed': properties.revenue: required field 'total_price' is missing"},
      {"total not a number", "shop_order",
       R"({"id": 1, "customer": {"id": 2}, "total_price": "12,50"})",
       "rule 0 'order_completed': properties.revenue: \"12,50\" at 'total_price' is not a number"},
      {"order id missing", "shop_order", R"({"customer": {"id": 2}, "total_price": "1"})",
       "rule 0 'order_completed': properties.order_id: required field 'id' is missing"},
      {"line item price wrong", "shop_order",
       R"({"id": 1, "customer": {"id": 2}, "total_price": "1",
           "line_items": [{"price": "1.00"}, {"price": "one"}]})",
       "rule 0 'order_completed': properties.products[1].price: \"one\" at 'price' is not a "
       "number"},
      {"line items not an array", "shop_order",
       R"({"id": 1, "customer": {"id": 2}, "total_price": "1", "line_items": {"a": 1}})",
       "rule 0 'order_completed': properties.products: {\"a\":1} at 'line_items' is not an array"},
      {"quantity fractional", "shop_order",
       R"({"id": 1, "customer": {"id": 2}, "total_price": "1", "line_items": [{"quantity": 1.5}]})",
       "rule 0 'order_completed': properties.products[0].quantity: 1.5E0 at 'quantity' is not an "
       "integer"},
      {"nobody to key by", "shop_order", R"({"id": 1, "total_price": "1", "customer": null})",
       "rule 0 'order_completed': no userId or anonymousId in the payload (userId from "
       "'customer.id', 'email')"},
      {"customer id is an object", "shop_order",
       R"({"id": 1, "total_price": "1", "customer": {"id": {"n": 1}}})",
       "rule 0 'order_completed': userId: {\"n\":1} at 'customer.id' is not a string, number or "
       "boolean"},
      {"campaign missing", "email_engagement", R"({"event": "open", "email": "a@b.c"})",
       "rule 0 'engagement': properties.campaign_id: none of the fields 'campaign_id', "
       "'marketing_campaign_id' is present"},
      {"timestamp not epoch", "email_engagement",
       R"({"event": "open", "email": "a@b.c", "campaign_id": "c", "timestamp": "soon"})",
       "rule 0 'engagement': timestamp: \"soon\" at 'timestamp' is not an epoch time in years "
       "0000-9999"},
      {"crm id missing", "crm_contact", R"({"properties": {"email": "a@b.c"}})",
       "rule 0 'contact_updated': traits.crm_contact_id: required field 'id' is missing"},
  };
  for (const PayloadError& c : cases) {
    SCOPED_TRACE(c.name);
    auto mapping = builtin_mapping(c.mapping);
    ASSERT_TRUE(mapping.is_ok());
    auto out = mapping->apply(parse_json(c.payload), WebhookRef{"s", "msg_1"});
    ASSERT_FALSE(out.is_ok()) << json::serialize(as_json(*out));
    EXPECT_EQ(out.status().code(), Errc::kInvalidArgument);
    EXPECT_EQ(out.status().message(), c.want);
  }
}

// ---------------------------------------------------------------------------------------------
// Load-time validation.

struct InvalidMapping {
  std::string name;
  std::string mapping;
  std::string want;  // a part of the message
};

// A valid rule with one key replaced or added, so that each case shows only what it is about.
std::string rule_with(std::string_view extra, std::string_view type = "track",
                      std::string_view event = R"("event": "E",)") {
  return R"({"rules": [{"name": "r", "type": ")" + std::string(type) + "\", " + std::string(event) +
         R"( "userId": "u")" + std::string(extra) + "}]}";
}

TEST(WebhookMapping, ValidationErrorsNameTheRuleAndTheField) {
  const std::vector<InvalidMapping> cases = {
      {"not json", "{", "a mapping is JSON"},
      {"not an object", "[]", "a mapping is a JSON object"},
      {"no rules", R"({"name": "x"})", "mapping: \"rules\" is a non-empty array"},
      {"empty rules", R"({"rules": []})", "mapping: \"rules\" is a non-empty array"},
      {"unknown top-level key", R"({"rule": []})", "mapping: unknown key 'rule'"},
      {"rule not an object", R"({"rules": [1]})", "rule 0: a rule is an object"},
      {"rule without name", R"({"rules": [{"type": "track"}]})",
       "rule 0: \"name\" is a non-empty string"},
      {"duplicate rule names",
       R"({"rules": [{"name": "a", "type": "identify", "userId": "u"},
                     {"name": "a", "type": "identify", "userId": "u"}]})",
       "rule 1 'a': another rule has this name"},
      {"misspelt key", rule_with(R"(, "propertes": {})"), "rule 0 'r': unknown key 'propertes'"},
      {"page calls are not mapped", rule_with("", "page"),
       "rule 0 'r': \"type\" is \"track\" or \"identify\""},
      {"track without event", rule_with("", "track", ""), "rule 0 'r': a track rule needs"},
      {"empty constant event", rule_with("", "track", R"("event": "",)"),
       "rule 0 'r': event: a constant event name is a non-empty string"},
      {"numeric constant event", rule_with("", "track", R"("event": {"const": 3},)"),
       "rule 0 'r': event: a constant event name is a non-empty string"},
      {"track with traits", rule_with(R"(, "traits": {})"), "context.traits"},
      {"identify with event", rule_with("", "identify"), "an identify rule has no \"event\""},
      {"identify with properties", rule_with(R"(, "properties": {})", "identify", ""),
       "an identify rule has \"traits\", not \"properties\""},
      {"no identity", R"({"rules": [{"name": "r", "type": "identify"}]})",
       "rule 0 'r': needs \"userId\" or \"anonymousId\""},
      {"empty path step", rule_with(R"(, "properties": {"x": "a..b"})"),
       "rule 0 'r': properties.x: path 'a..b': has an empty step"},
      {"bad index", rule_with(R"(, "properties": {"x": "items[x]"})"),
       "rule 0 'r': properties.x: path 'items[x]': an index is a non-negative integer"},
      {"unclosed index", rule_with(R"(, "properties": {"x": "items[0"})"),
       "path 'items[0': an index is written [n]"},
      {"path in a list not a string", rule_with(R"(, "properties": {"x": {"field": ["a", 1]}})"),
       "rule 0 'r': properties.x: \"field\" holds path strings"},
      {"empty path list", rule_with(R"(, "properties": {"x": {"field": []}})"),
       "\"field\" lists at least one path"},
      {"unknown type", rule_with(R"(, "properties": {"x": {"field": "a", "as": "numbr"}})"),
       "rule 0 'r': properties.x: \"as\" is one of as_is, string, number, integer"},
      {"misspelt value key", rule_with(R"(, "properties": {"x": {"feild": "a"}})"),
       "rule 0 'r': properties.x: unknown key 'feild'"},
      {"neither field nor const", rule_with(R"(, "properties": {"x": {"as": "string"}})"),
       "rule 0 'r': properties.x: needs \"field\" or \"const\""},
      {"value not a path or object", rule_with(R"(, "properties": {"x": 3})"),
       "rule 0 'r': properties.x: a value is a path string or an object"},
      {"const with more", rule_with(R"(, "properties": {"x": {"const": 1, "as": "string"}})"),
       "\"const\" takes no other key"},
      {"unmatched without lookup",
       rule_with(R"(, "properties": {"x": {"field": "a", "unmatched": "keep"}})"),
       "\"unmatched\" goes with \"lookup\""},
      {"bad unmatched",
       rule_with(R"(, "properties": {"x": {"field": "a", "lookup": {}, "unmatched": "drop"}})"),
       "\"unmatched\" is \"ignore\", \"error\" or \"keep\""},
      {"lookup not an object", rule_with(R"(, "properties": {"x": {"field": "a", "lookup": []}})"),
       "\"lookup\" is an object"},
      {"required and default",
       rule_with(R"(, "properties": {"x": {"field": "a", "required": true, "default": 1}})"),
       "a field with a \"default\" cannot be \"required\""},
      {"required not a boolean",
       rule_with(R"(, "properties": {"x": {"field": "a", "required": "yes"}})"),
       "\"required\" is true or false"},
      {"each with as",
       rule_with(R"(, "properties": {"x": {"field": "a", "as": "string", "each": {}}})"),
       "\"each\" takes no \"as\", \"lookup\" or \"default\""},
      {"each not an object", rule_with(R"(, "properties": {"x": {"field": "a", "each": []}})"),
       "rule 0 'r': properties.x[]: is an object of target names and values"},
      {"error inside each",
       rule_with(R"(, "properties": {"x": {"field": "a", "each": {"p": {"as": "number"}}}})"),
       "rule 0 'r': properties.x[].p: needs \"field\" or \"const\""},
      {"overlapping targets", rule_with(R"(, "properties": {"a": "x", "a.b": "y"})"),
       "rule 0 'r': properties.a.b: overlaps the target 'a'"},
      {"empty target step", rule_with(R"(, "properties": {"a..b": "x"})"),
       "a target name has no empty step"},
      {"context.webhook is eddy's", rule_with(R"(, "context": {"webhook.id": "x"})"),
       "rule 0 'r': context.webhook.id: 'webhook' is filled by eddy itself"},
      {"fields not an object", rule_with(R"(, "properties": [])"),
       "rule 0 'r': properties: is an object"},
      {"condition without operator", rule_with(R"(, "when": {"field": "a"})"),
       "rule 0 'r': when: needs exactly one of equals, one_of, exists"},
      {"condition with two operators",
       rule_with(R"(, "when": {"field": "a", "equals": 1, "exists": true})"),
       "needs exactly one of equals, one_of, exists"},
      {"condition unknown key", rule_with(R"(, "when": {"field": "a", "is": 1})"),
       "rule 0 'r': when: unknown key 'is'"},
      {"condition on null", rule_with(R"(, "when": {"field": "a", "equals": null})"),
       "null is absent"},
      {"empty one_of", rule_with(R"(, "when": {"field": "a", "one_of": []})"),
       "\"one_of\" is a non-empty array"},
      {"second condition wrong",
       rule_with(R"(, "when": [{"field": "a", "exists": true}, {"field": "", "exists": true}])"),
       "rule 0 'r': when[1]: path '': is empty"},
      {"exists not a boolean", rule_with(R"(, "when": {"field": "a", "exists": 1})"),
       "\"exists\" is true or false"},
  };
  for (const InvalidMapping& c : cases) {
    SCOPED_TRACE(c.name);
    auto m = WebhookMapping::parse(c.mapping);
    ASSERT_FALSE(m.is_ok()) << c.mapping;
    EXPECT_EQ(m.status().code(), Errc::kInvalidArgument);
    EXPECT_NE(m.status().message().find(c.want), std::string::npos)
        << "message: " << m.status().message();
  }
}

// ---------------------------------------------------------------------------------------------
// The language, one feature at a time.

json::value first_at(const MappedWebhook& out, std::string_view at) {
  if (out.messages.empty()) return nullptr;
  const json::value* v = &out.messages.front().at("properties");
  if (!at.empty()) v = v->as_object().if_contains(at);
  return v == nullptr ? json::value("<absent>") : *v;
}

// A mapping whose only property is {"field": "v", "as": <as>}.
WebhookMapping converting(std::string_view as) {
  return mapping_of(R"({"rules": [{"name": "r", "type": "track", "event": "E", "userId": "u",
      "properties": {"x": {"field": "v", "as": ")" +
                    std::string(as) + R"("}}}]})");
}

TEST(WebhookMapping, Conversions) {
  struct Case {
    std::string as;
    std::string value;  // JSON
    json::value want;
  };
  const std::vector<Case> cases = {
      {"string", "42", "42"},
      {"string", "12.5", "12.5"},
      {"string", "true", "true"},
      {"string", "820982911946154508", "820982911946154508"},
      {"string", "18446744073709551615", "18446744073709551615"},
      {"number", R"("12.50")", 12.5},
      {"number", R"("-3")", -3.0},
      {"number", "7", 7},
      {"integer", R"("3")", 3},
      {"integer", "3.0", 3},
      {"integer", "-2", -2},
      {"boolean", R"("false")", false},
      {"boolean", "true", true},
      {"epoch_seconds", "1714644904", "2024-05-02T10:15:04.000Z"},
      {"epoch_seconds", "1714644904.25", "2024-05-02T10:15:04.250Z"},
      {"epoch_seconds", R"("1714644904")", "2024-05-02T10:15:04.000Z"},
      {"epoch_seconds", "0", "1970-01-01T00:00:00.000Z"},
      {"epoch_millis", "1714644904123", "2024-05-02T10:15:04.123Z"},
      {"epoch_millis", R"("1714644904123")", "2024-05-02T10:15:04.123Z"},
      {"as_is", R"({"k": [1]})", json::object{{"k", json::array{1}}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.as + " " + c.value);
    auto out =
        converting(c.as).apply(parse_json(R"({"u": "x", "v": )" + c.value + "}"), {"s", "m"});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_EQ(first_at(*out, "x"), c.want) << json::serialize(out->messages.front());
  }
}

TEST(WebhookMapping, PathsDefaultsConstantsAndTargets) {
  const WebhookMapping m = mapping_of(R"({"rules": [{"name": "r", "type": "track", "event": "E",
      "userId": "u",
      "properties": {
        "second": "items[1].sku",
        "second_dotted": "items.1.sku",
        "nested": "a.b.c",
        "first_present": {"field": ["missing", "also.missing", "v"]},
        "defaulted": {"field": "missing", "default": "none"},
        "constant": {"const": {"k": [1, 2]}},
        "out.deep": "v"
      }}]})");
  struct Case {
    std::string name;
    std::string payload;
    std::string at;
    json::value want;
  };
  const std::vector<Case> cases = {
      {"index in brackets", R"({"u": "x", "items": [{"sku": "a"}, {"sku": "b"}]})", "second", "b"},
      {"index as a step", R"({"u": "x", "items": [{"sku": "a"}, {"sku": "b"}]})", "second_dotted",
       "b"},
      {"index past the end", R"({"u": "x", "items": [{"sku": "a"}]})", "second", "<absent>"},
      {"numeric step on an object is a key", R"({"u": "x", "items": {"1": {"sku": "k"}}})",
       "second_dotted", "k"},
      {"nested object copied", R"({"u": "x", "a": {"b": {"c": {"d": [1]}}}})", "nested",
       json::object{{"d", json::array{1}}}},
      {"null is absent", R"({"u": "x", "a": {"b": {"c": null}}})", "nested", "<absent>"},
      {"first present path", R"({"u": "x", "also": {}, "v": "last"})", "first_present", "last"},
      {"null skipped for the next path", R"({"u": "x", "missing": null, "v": 1})", "first_present",
       1},
      {"default", R"({"u": "x"})", "defaulted", "none"},
      {"constant", R"({"u": "x"})", "constant", json::object{{"k", json::array{1, 2}}}},
      {"dotted target nests", R"({"u": "x", "v": 5})", "out", json::object{{"deep", 5}}},
      {"absent value leaves no key", R"({"u": "x"})", "out", "<absent>"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto out = m.apply(parse_json(c.payload), WebhookRef{"s", "msg_1"});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_EQ(first_at(*out, c.at), c.want) << json::serialize(out->messages.front());
  }
}

TEST(WebhookMapping, ConversionFailures) {
  struct Case {
    std::string as;
    std::string value;
  };
  const std::vector<Case> cases = {
      {"number", R"("12.5.1")"},
      {"number", R"("")"},
      {"number", R"("nan")"},
      {"number", "true"},
      {"integer", R"("3.5")"},
      {"integer", "3.5"},
      {"integer", "18446744073709551615"},
      {"boolean", R"("yes")"},
      {"boolean", "1"},
      {"string", "[1]"},
      {"epoch_seconds", "1e300"},
      {"epoch_millis", R"("x")"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.as + " " + c.value);
    auto out =
        converting(c.as).apply(parse_json(R"({"u": "x", "v": )" + c.value + "}"), {"s", "m"});
    ASSERT_FALSE(out.is_ok());
    EXPECT_NE(out.status().message().find("at 'v' is not"), std::string::npos)
        << out.status().message();
  }
}

TEST(WebhookMapping, LookupPolicies) {
  auto mapping = [](std::string_view unmatched) {
    return mapping_of(R"({"rules": [{"name": "r", "type": "track", "userId": "u",
        "event": {"field": "kind", "lookup": {"open": "Email Opened", "1": "One"}, "unmatched": ")" +
                      std::string(unmatched) + R"("}}]})");
  };
  struct Case {
    std::string name;
    std::string unmatched;
    std::string kind;  // JSON
    std::string want;  // event, "<ignored>" or "<error>"
  };
  const std::vector<Case> cases = {
      {"entry", "ignore", R"("open")", "Email Opened"},
      {"number matches its text", "ignore", "1", "One"},
      {"ignored", "ignore", R"("bounce")", "<ignored>"},
      {"error", "error", R"("bounce")", "<error>"},
      {"kept", "keep", R"("bounce")", "bounce"},
      {"kept number becomes a string", "keep", "7", "7"},
      {"object never matches", "keep", R"({"a": 1})", "<error>"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto out =
        mapping(c.unmatched).apply(parse_json(R"({"u": "x", "kind": )" + c.kind + "}"), {"s", "m"});
    if (c.want == "<error>") {
      EXPECT_FALSE(out.is_ok());
      continue;
    }
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    if (c.want == "<ignored>") {
      EXPECT_TRUE(out->messages.empty());
      ASSERT_EQ(out->ignored.size(), 1u);
      EXPECT_EQ(out->ignored[0],
                "rule 0 'r': event: \"bounce\" at 'kind' has no entry in the lookup table");
      continue;
    }
    ASSERT_EQ(out->messages.size(), 1u);
    EXPECT_EQ(out->messages[0].at("event"), json::value(c.want));
  }
}

TEST(WebhookMapping, LookupInAPropertyIgnoresTheWholeRule) {
  const WebhookMapping m = mapping_of(R"({"rules": [{"name": "r", "type": "track", "event": "E",
      "userId": "u", "properties": {"tier": {"field": "plan", "lookup": {"p": "pro"}}}}]})");
  auto out = m.apply(parse_json(R"({"u": "x", "plan": "free"})"), {"s", "m"});
  ASSERT_TRUE(out.is_ok());
  EXPECT_TRUE(out->messages.empty());
  ASSERT_EQ(out->ignored.size(), 1u);
  EXPECT_EQ(out->ignored[0],
            "rule 0 'r': properties.tier: \"free\" at 'plan' has no entry in the lookup table");
}

TEST(WebhookMapping, ConditionsSelectRules) {
  const WebhookMapping m = mapping_of(R"({"rules": [
      {"name": "paid", "type": "track", "event": "Order Completed", "userId": "u",
       "when": [{"field": "status", "equals": "paid"}, {"field": "total", "exists": true}]},
      {"name": "refund", "type": "track", "event": "Order Refunded", "userId": "u",
       "anonymousId": "token",
       "when": {"field": "status", "one_of": ["refunded", "partially_refunded"]}},
      {"name": "first", "type": "identify", "userId": "u",
       "when": {"field": "orders_count", "equals": 1}},
      {"name": "guest", "type": "identify", "anonymousId": "token",
       "when": {"field": "u", "exists": false}}]})");
  struct Case {
    std::string name;
    std::string payload;
    std::vector<std::string> messages;  // messageIds
    std::vector<std::string> ignored;
  };
  const std::vector<Case> cases = {
      {"paid, second order",
       R"({"u": "c1", "status": "paid", "total": 3, "orders_count": 2})",
       {"shop:m:0"},
       {"rule 1 'refund': condition not met: 'status' is \"paid\"",
        "rule 2 'first': condition not met: 'orders_count' is 2",
        "rule 3 'guest': condition not met: 'u' is present"}},
      {"paid without total, first order (1.0 equals 1)",
       R"({"u": "c1", "status": "paid", "orders_count": 1.0})",
       {"shop:m:2"},
       {"rule 0 'paid': condition not met: 'total' is absent",
        "rule 1 'refund': condition not met: 'status' is \"paid\"",
        "rule 3 'guest': condition not met: 'u' is present"}},
      {"refund of a guest",
       R"({"status": "partially_refunded", "token": "t9", "u": null})",
       {"shop:m:1", "shop:m:3"},
       {"rule 0 'paid': condition not met: 'status' is \"partially_refunded\"",
        "rule 2 'first': condition not met: 'orders_count' is absent"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto out = m.apply(parse_json(c.payload), WebhookRef{"shop", "m"});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    std::vector<std::string> ids;
    for (const json::object& msg : out->messages)
      ids.emplace_back(msg.at("messageId").as_string());
    EXPECT_EQ(ids, c.messages);
    EXPECT_EQ(out->ignored, c.ignored);
  }
}

TEST(WebhookMapping, MessageIdsAreDeterministic) {
  EXPECT_EQ(webhook_message_id({"shop", "msg_1"}, 0, 1), "shop:msg_1");
  EXPECT_EQ(webhook_message_id({"shop", "msg_1"}, 2, 3), "shop:msg_1:2");
  EXPECT_EQ(webhook_message_id({"", "msg_1"}, 0, 1), "msg_1");
  auto m = builtin_mapping("shop_order");
  ASSERT_TRUE(m.is_ok());
  const json::value payload = parse_json(R"({"id": 1, "customer": {"id": 2}, "total_price": 3})");
  auto a = m->apply(payload, {"shop", "msg_9"});
  auto b = m->apply(payload, {"shop", "msg_9"});
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  EXPECT_EQ(a->messages, b->messages);
}

TEST(WebhookMapping, IdentityAndTimestampRules) {
  const WebhookMapping m = mapping_of(R"({"rules": [{"name": "r", "type": "identify",
      "userId": "u", "anonymousId": "a", "timestamp": "t"}]})");
  struct Case {
    std::string name;
    std::string payload;
    std::string want;  // serialized message fields of interest, or the error
  };
  const std::vector<Case> cases = {
      {"both ids", R"({"u": 42, "a": "anon"})", R"({"userId":"42","anonymousId":"anon"})"},
      {"empty userId is absent", R"({"u": "", "a": "anon"})", R"({"anonymousId":"anon"})"},
      {"iso timestamp passes through", R"({"u": "x", "t": "2024-05-02T10:15:04Z"})",
       R"({"userId":"x","timestamp":"2024-05-02T10:15:04Z"})"},
      {"numeric timestamp needs a unit", R"({"u": "x", "t": 1714644904})",
       "rule 0 'r': timestamp: 1714644904 is a number; declare \"as\": \"epoch_seconds\" or "
       "\"epoch_millis\""},
      {"no ids at all", R"({"u": "", "a": null})",
       "rule 0 'r': no userId or anonymousId in the payload (userId from 'u', anonymousId from "
       "'a')"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto out = m.apply(parse_json(c.payload), {"crm", "m1"});
    if (!out.is_ok()) {
      EXPECT_EQ(out.status().message(), c.want);
      continue;
    }
    ASSERT_EQ(out->messages.size(), 1u);
    json::object msg = out->messages[0];
    EXPECT_EQ(msg.at("type"), json::value("identify"));
    EXPECT_EQ(msg.at("traits"), json::object());
    EXPECT_EQ(msg.at("context"),
              (json::object{{"webhook", json::object{{"source", "crm"}, {"id", "m1"}}}}));
    for (const char* fixed : {"type", "messageId", "traits", "context"})
      msg.erase(fixed);
    EXPECT_EQ(json::value(msg), parse_json(c.want));
  }
}

// ---------------------------------------------------------------------------------------------

TEST(MappingValue, FormatsEpochMillisAsIso8601Utc) {
  struct Case {
    int64_t ms;
    std::optional<std::string> want;
  };
  const std::vector<Case> cases = {
      {0, "1970-01-01T00:00:00.000Z"},
      {-1, "1969-12-31T23:59:59.999Z"},
      {1714644904123, "2024-05-02T10:15:04.123Z"},
      {951782400000, "2000-02-29T00:00:00.000Z"},
      {-62167219200000, "0000-01-01T00:00:00.000Z"},
      {253402300799999, "9999-12-31T23:59:59.999Z"},
      {-62167219200001, std::nullopt},
      {253402300800000, std::nullopt},
      {INT64_MIN, std::nullopt},
      {INT64_MAX, std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.ms);
    EXPECT_EQ(format_iso8601_millis(c.ms), c.want);
  }
}

TEST(JsonPath, FindsAndRefuses) {
  const json::value doc =
      parse_json(R"({"a": {"b": [10, {"c": "deep"}]}, "n": null, "0": "zero"})");
  struct Case {
    std::string path;
    json::value want;  // "<absent>" when not found
  };
  const std::vector<Case> cases = {
      {"a.b[0]", 10},         {"a.b.0", 10},
      {"a.b[1].c", "deep"},   {"a.b.1.c", "deep"},
      {"a.b[2]", "<absent>"}, {"a.b[0].c", "<absent>"},
      {"n", "<absent>"},      {"0", "zero"},
      {"a[0]", "<absent>"},   {"missing.x", "<absent>"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.path);
    auto path = JsonPath::parse(c.path);
    ASSERT_TRUE(path.is_ok()) << path.status().to_string();
    const json::value* got = path->find(doc);
    EXPECT_EQ(got == nullptr ? json::value("<absent>") : *got, c.want);
  }
  for (std::string_view bad : {"", ".a", "a.", "a..b", "a[", "a[]", "a[-1]", "a]b", "a[1]x"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(JsonPath::parse(bad).is_ok());
  }
  auto root_index = JsonPath::parse("[1]");
  ASSERT_TRUE(root_index.is_ok());
  EXPECT_EQ(*root_index->find(parse_json("[5, 6]")), 6);
}

}  // namespace
}  // namespace eddy
