#include "connectors/ingest/ingest_service.h"
#include "connectors/ingest/ingest_reply.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <map>
#include <thread>

#include "runtime/identity_fields.h"
#include "tests/connectors/ingest/test_engine.h"

namespace eddy {
namespace {

using ingest_testing::EngineConfig;
using ingest_testing::kNow;
using ingest_testing::TestEngine;
using Record = CollectingSink::Record;

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  for (unsigned char c : in) {
    bits = (bits << 8) | c;
    count += 8;
    while (count >= 6) {
      count -= 6;
      out.push_back(kAlphabet[(bits >> count) & 63]);
    }
  }
  if (count > 0) out.push_back(kAlphabet[(bits << (6 - count)) & 63]);
  while (out.size() % 4 != 0)
    out.push_back('=');
  return out;
}

std::string basic(std::string_view key) {
  return "Basic " + base64(std::string(key) + ":");
}

boost::json::object body_of(const IngestReply& r) {
  return boost::json::parse(r.body).as_object();
}

std::string code_of(const IngestReply& r) {
  const boost::json::object body = body_of(r);
  const auto* c = body.if_contains("code");
  return c != nullptr ? std::string(c->as_string()) : std::string();
}

std::optional<std::string> prop(const Record& r, std::string_view name) {
  for (const auto& [n, v] : r.props) {
    if (n == name) return v;
  }
  return std::nullopt;
}

// The rejected list of a reply as (index, line or 0, code).
std::vector<std::tuple<size_t, size_t, std::string>> rejected_of(const IngestReply& r) {
  std::vector<std::tuple<size_t, size_t, std::string>> out;
  const boost::json::object body = body_of(r);
  const auto* list = body.if_contains("rejected");
  if (list == nullptr) return out;
  for (const auto& item : list->as_array()) {
    const auto& o = item.as_object();
    const auto* line = o.if_contains("line");
    out.emplace_back(o.at("index").to_number<size_t>(),
                     line != nullptr ? line->to_number<size_t>() : 0,
                     std::string(o.at("code").as_string()));
  }
  return out;
}

std::string track(std::string_view user, std::string_view event, std::string_view extra = "") {
  std::string s =
      R"({"userId":")" + std::string(user) + R"(","event":")" + std::string(event) + "\"";
  if (!extra.empty()) s += "," + std::string(extra);
  return s + "}";
}

class IngestServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { build(); }

  void build(EngineConfig config = {}, IngestOptions options = {}) {
    service_.reset();
    engine_ = TestEngine::make(config);
    ASSERT_NE(engine_, nullptr);
    dedup_ = std::make_unique<MessageDedup>();
    rebuild_service(options);
  }
  // After a change to settings_ (the service copies the write keys).
  void rebuild_service(IngestOptions options = {}) {
    intake_ = std::make_unique<DirectIntake>(engine_->engine->source());
    service_ = std::make_unique<IngestService>(*intake_, engine_->types(), settings_,
                                               engine_->clock, *dedup_, options);
  }

  IngestReply call(SegmentCall c, const std::string& body, const std::string& auth = "") {
    return service_->segment_call(c, {body, auth, "application/json"});
  }
  IngestReply batch(const std::string& body, const std::string& auth = "") {
    return service_->segment_batch({body, auth, "application/json"});
  }
  IngestReply bulk(const std::string& body, const std::string& auth = "") {
    return service_->bulk({body, auth, "application/x-ndjson"});
  }
  std::string type_name(const Record& r) { return std::string(engine_->types().name(r.type)); }

  HttpSettings settings_;
  std::unique_ptr<TestEngine> engine_;
  std::unique_ptr<MessageDedup> dedup_;
  std::unique_ptr<DirectIntake> intake_;
  std::unique_ptr<IngestService> service_;
};

TEST_F(IngestServiceTest, ATrackCallBecomesOneEvent) {
  const IngestReply r =
      call(SegmentCall::kTrack, track("u1", "Product Added",
                                      R"("properties":{"price":12.5,"quantity":3,"product_id":"p1"},
                                      "timestamp":"2023-11-14T22:00:00Z")"));
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, R"({"success":true})");
  EXPECT_FALSE(r.retry_after_seconds.has_value());
  EXPECT_EQ(r.accepted, 1u);
  const auto events = engine_->events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].key, "u1");
  EXPECT_EQ(type_name(events[0]), "Product Added");
  EXPECT_EQ(events[0].time.value(), kNow - 800'000);
  EXPECT_DOUBLE_EQ(events[0].amount, 12.5);
  EXPECT_EQ(events[0].quantity, 3);
  EXPECT_EQ(events[0].item, "p1");
}

TEST_F(IngestServiceTest, AKnownUsersIdentifyTraitsAreSentToTheCustomerIndexToo) {
  const IngestReply r = call(
      SegmentCall::kIdentify,
      R"({"userId":"u7","anonymousId":"a7","messageId":"m7","traits":{"email":" Ann@Example.com",
          "firstName":"Ann","lastName":"Lee","address":{"postalCode":"SW1A 1AA","city":"London"}}})");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.accepted, 1u) << "one message, whatever it was sent as";
  const auto events = engine_->events();
  ASSERT_EQ(events.size(), 2u);
  const Record* record = nullptr;
  for (const Record& e : events) {
    if (type_name(e) == "Customer Record") record = &e;
  }
  ASSERT_NE(record, nullptr);
  EXPECT_EQ(record->key, kCustomerIndexKey);
  EXPECT_EQ(prop(*record, "record_id"), "u7");
  EXPECT_EQ(prop(*record, "known_user"), "true");
  EXPECT_EQ(prop(*record, "m.email"), "ann@example.com");
  EXPECT_EQ(prop(*record, "m.postcode"), "SW1A1AA");

  // The same message again is a duplicate, record and all.
  call(SegmentCall::kIdentify, R"({"userId":"u7","messageId":"m7","traits":{"lastName":"Lee"}})");
  EXPECT_EQ(engine_->events().size(), 2u);
}

TEST_F(IngestServiceTest, IdentifiesWithNothingToMatchSendNoRecord) {
  for (const char* body : {
           R"({"anonymousId":"a8","traits":{"email":"ann@example.com"}})",  // no user to find
           R"({"userId":"u8","traits":{"plan":"pro"}})",                    // nothing to match by
           R"({"userId":"u9","traits":{"email":"not an email"}})",          // nothing left
       }) {
    EXPECT_EQ(call(SegmentCall::kIdentify, body).status, 200u) << body;
  }
  for (const Record& e : engine_->events())
    EXPECT_EQ(type_name(e), "identify");
}

TEST_F(IngestServiceTest, EachRouteSubmitsItsCall) {
  struct Case {
    SegmentCall call;
    const char* body;
    const char* key;
    const char* type;
    const char* prop;
    const char* value;
  };
  const Case cases[] = {
      {SegmentCall::kTrack, R"({"userId":"t","event":"Video Played"})", "t", "track", "event",
       "Video Played"},
      {SegmentCall::kIdentify, R"({"userId":"i","traits":{"email":"x@y"}})", "i", "identify",
       "traits.email", "x@y"},
      {SegmentCall::kPage, R"({"anonymousId":"p","name":"Home"})", "p", "page", "channel",
       "direct"},
      {SegmentCall::kScreen, R"({"userId":"s","name":"Cart"})", "s", "screen", "name", "Cart"},
      {SegmentCall::kGroup, R"({"userId":"g","groupId":"acme"})", "g", "group", "group_id", "acme"},
      {SegmentCall::kAlias, R"({"userId":"a","previousId":"anon-1"})", "anon-1", "alias", "user_id",
       "a"},
      // The route decides the call, whatever `type` says.
      {SegmentCall::kIdentify, R"({"type":"track","userId":"j","traits":{"n":1}})", "j", "identify",
       "traits.n", "1"},
  };
  for (const Case& c : cases) {
    const IngestReply r = call(c.call, c.body);
    EXPECT_EQ(r.status, 200u) << r.body;
  }
  const auto events = engine_->events();
  ASSERT_EQ(events.size(), std::size(cases));
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    auto it =
        std::find_if(events.begin(), events.end(), [&](const Record& r) { return r.key == c.key; });
    ASSERT_NE(it, events.end());
    EXPECT_EQ(type_name(*it), c.type);
    EXPECT_EQ(prop(*it, c.prop), std::optional<std::string>(c.value));
  }
}

TEST_F(IngestServiceTest, WriteKeysFromTheHeaderOrTheBody) {
  settings_.write_keys = {"k1", "k2"};
  rebuild_service();
  struct Case {
    const char* name;
    std::string auth;
    std::string body;
    unsigned status;
  };
  const Case cases[] = {
      {"basic user name", basic("k1"), track("u1", "Cart Viewed"), 200},
      {"the other key", basic("k2"), track("u2", "Cart Viewed"), 200},
      {"writeKey in the body", "", track("u3", "Cart Viewed", R"("writeKey":"k1")"), 200},
      {"an unknown basic key", basic("nope"), track("x", "Cart Viewed"), 401},
      {"a bearer token is not a write key", "Bearer k1", track("x", "Cart Viewed"), 401},
      {"an unknown body key", "", track("x", "Cart Viewed", R"("writeKey":"nope")"), 401},
      {"no key at all", "", track("x", "Cart Viewed"), 401},
      {"a wrong header is not rescued by the body", basic("nope"),
       track("x", "Cart Viewed", R"("writeKey":"k1")"), 401},
      {"a non-string body key", "", track("x", "Cart Viewed", R"("writeKey":1)"), 401},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const IngestReply r = call(SegmentCall::kTrack, c.body, c.auth);
    EXPECT_EQ(r.status, c.status) << r.body;
    if (c.status == 401) {
      EXPECT_EQ(code_of(r), "unauthorized");
      EXPECT_TRUE(body_of(r).contains("message"));
    }
  }
  const auto events = engine_->events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].key, "u1");
  EXPECT_EQ(events[2].key, "u3");
  EXPECT_EQ(service_->counters().get(IngestEndpoint::kTrack, IngestOutcome::kRequestRefused,
                                     IngestErrc::kUnauthorized),
            6u);
}

TEST_F(IngestServiceTest, WriteKeysInBatchesAndBulkUploads) {
  settings_.write_keys = {"k1"};
  rebuild_service();
  const std::string items = R"([{"type":"track","userId":"a","event":"Cart Viewed"},
      {"type":"track","userId":"b","event":"Cart Viewed","writeKey":"k1"}])";
  // The batch's own writeKey covers every item.
  EXPECT_EQ(batch(R"({"writeKey":"k1","batch":)" + items + "}").status, 200u);
  // Without one, only the item that carries a key is taken.
  const IngestReply partial = batch(R"({"batch":)" + items + "}");
  EXPECT_EQ(partial.status, 200u) << partial.body;
  EXPECT_EQ(rejected_of(partial),
            (std::vector<std::tuple<size_t, size_t, std::string>>{{0, 0, "unauthorized"}}));
  EXPECT_EQ(batch(R"({"batch":[{"type":"track","userId":"c","event":"Cart Viewed"}]})").status,
            401u);
  EXPECT_EQ(batch(R"({"batch":[]})").status, 401u);
  EXPECT_EQ(batch(R"({"batch":[]})", basic("k1")).status, 200u);
  // Bulk: the header, or each line's own key.
  EXPECT_EQ(bulk(track("d", "Cart Viewed"), basic("k1")).status, 200u);
  EXPECT_EQ(bulk(track("e", "Cart Viewed")).status, 401u);
  const IngestReply lines =
      bulk(track("f", "Cart Viewed", R"("writeKey":"k1")") + "\n" + track("g", "Cart Viewed"));
  EXPECT_EQ(lines.status, 200u) << lines.body;
  EXPECT_EQ(rejected_of(lines),
            (std::vector<std::tuple<size_t, size_t, std::string>>{{1, 2, "unauthorized"}}));
  std::vector<std::string> keys;
  for (const Record& r : engine_->events())
    keys.push_back(r.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "b", "b", "d", "f"}));
}

TEST_F(IngestServiceTest, WithoutWriteKeysAnythingIsTaken) {
  EXPECT_EQ(call(SegmentCall::kTrack, track("u", "Cart Viewed"), "Basic garbage!").status, 200u);
  EXPECT_EQ(call(SegmentCall::kTrack, track("v", "Cart Viewed", R"("writeKey":"any")")).status,
            200u);
  EXPECT_EQ(engine_->events().size(), 2u);
}

TEST_F(IngestServiceTest, EveryLimitIsEnforced) {
  settings_.max_event_bytes = 300;
  settings_.max_batch_bytes = 2000;
  settings_.max_batch_events = 3;
  rebuild_service();
  const std::string padding(400, 'x');
  const std::string big =
      track("big", "Cart Viewed", R"("properties":{"note":")" + padding + "\"}");
  const std::string small = track("s", "Cart Viewed");

  IngestReply r = call(SegmentCall::kTrack, big);
  EXPECT_EQ(r.status, 413u);
  EXPECT_EQ(code_of(r), "event_too_large");

  std::string huge_batch = R"({"batch":[)";
  for (int i = 0; i < 3; ++i)
    huge_batch += std::string(i ? "," : "") +
                  R"({"type":"track","userId":"h","event":"Cart Viewed","p":")" +
                  std::string(700, 'y') + "\"}";
  huge_batch += "]}";
  r = batch(huge_batch);
  EXPECT_EQ(r.status, 413u);
  EXPECT_EQ(code_of(r), "batch_too_large");

  const std::string item = R"({"type":"track","userId":"n","event":"Cart Viewed"})";
  r = batch(R"({"batch":[)" + item + "," + item + "," + item + "," + item + "]}");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(code_of(r), "too_many_events");

  const std::string big_item =
      R"({"type":"track","userId":"b","event":"Cart Viewed","p":")" + padding + "\"}";
  r = batch(R"({"batch":[)" + item + "," + big_item + "]}");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(rejected_of(r),
            (std::vector<std::tuple<size_t, size_t, std::string>>{{1, 0, "event_too_large"}}));

  // Bulk: no cap on the number of events, but each line keeps the event size limit.
  std::string lines;
  for (int i = 0; i < 50; ++i)
    lines += track("l" + std::to_string(i), "Cart Viewed") + "\n";
  lines += big + "\n";
  r = bulk(lines);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.accepted, 50u);
  EXPECT_EQ(rejected_of(r),
            (std::vector<std::tuple<size_t, size_t, std::string>>{{50, 51, "event_too_large"}}));
  r = bulk("[" + small + "," + big + "]");
  EXPECT_EQ(rejected_of(r),
            (std::vector<std::tuple<size_t, size_t, std::string>>{{1, 0, "event_too_large"}}));

  std::string traits = R"({"userId":"t","traits":{)";
  for (size_t i = 0; i <= kMaxEventProperties; ++i)
    traits += (i ? "," : "") + std::string("\"a") + std::to_string(i) + "\":1";
  traits += "}}";
  settings_.max_event_bytes = 32 * 1024;
  r = call(SegmentCall::kIdentify, traits);
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(rejected_of(r),
            (std::vector<std::tuple<size_t, size_t, std::string>>{{0, 0, "too_many_properties"}}));

  const auto events = engine_->events();
  EXPECT_EQ(events.size(), 1u + 50u + 1u);
  for (const Record& e : events)
    EXPECT_NE(e.key, "big");
}

TEST_F(IngestServiceTest, MalformedAndTooDeepJson) {
  settings_.max_json_depth = 4;
  rebuild_service();
  struct Case {
    const char* name;
    std::function<IngestReply()> send;
    unsigned status;
    const char* code;
  };
  const std::string deep_props = track("d", "Cart Viewed", R"("properties":{"a":{"b":{"c":{}}}})");
  const Case cases[] = {
      {"a single call that is not JSON", [&] { return call(SegmentCall::kTrack, "{\"userId\":"); },
       400, "malformed_json"},
      {"a single call nested too deep", [&] { return call(SegmentCall::kTrack, deep_props); }, 400,
       "json_too_deep"},
      {"a batch that is not JSON", [&] { return batch("{\"batch\":[}"); }, 400, "malformed_json"},
      {"a batch nested too deep (the batch adds two levels)",
       [&] {
         return batch(R"({"batch":[{"type":"track","userId":"u","event":"E","p":{"q":{}}}]})");
       },
       400, "json_too_deep"},
      {"a bulk array that is not JSON", [&] { return bulk("[{\"userId\":1},"); }, 400,
       "malformed_json"},
      {"a batch that is not an object", [&] { return batch("[1]"); }, 400, "invalid_request"},
      {"a batch without its array", [&] { return batch(R"({"batch":{}})"); }, 400,
       "invalid_request"},
      {"a batch context that is not an object",
       [&] { return batch(R"({"batch":[],"context":1})"); }, 400, "invalid_request"},
      {"a batch sentAt that is not a time", [&] { return batch(R"({"batch":[],"sentAt":"now"})"); },
       400, "bad_timestamp"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const IngestReply r = c.send();
    EXPECT_EQ(r.status, c.status) << r.body;
    EXPECT_EQ(code_of(r), c.code) << r.body;
    EXPECT_TRUE(body_of(r).contains("message"));
  }
  const IngestReply r = call(SegmentCall::kTrack, R"({"userId":"u","event":tru})");
  EXPECT_EQ(body_of(r).at("position").to_number<size_t>(), 22u);  // where "tru" begins
  EXPECT_NE(std::string(body_of(r).at("message").as_string()).find("byte 22"), std::string::npos);

  // In NDJSON each line stands alone: a bad one is reported with its line and the rest is taken.
  const IngestReply lines =
      bulk(track("ok", "Cart Viewed") + "\n{\"userId\":\n" + deep_props + "\n");
  EXPECT_EQ(lines.status, 200u) << lines.body;
  EXPECT_EQ(rejected_of(lines), (std::vector<std::tuple<size_t, size_t, std::string>>{
                                    {1, 2, "malformed_json"}, {2, 3, "json_too_deep"}}));
  EXPECT_EQ(engine_->events().size(), 1u);
}

TEST_F(IngestServiceTest, APartialBatchReportsEachRefusedIndex) {
  const IngestReply r = batch(R"({"batch":[
      {"type":"track","userId":"u1","event":"Cart Viewed"},
      {"type":"track","event":"Cart Viewed"},
      {"type":"identify","userId":"u2","traits":{"plan":"pro"}},
      {"type":"track","userId":"u3","event":"Cart Viewed","timestamp":"last tuesday"},
      {"type":"purchase","userId":"u4"},
      "not an object",
      {"type":"track","userId":"u5","event":"Product Added","properties":{"price":"free"}}]})");
  EXPECT_EQ(r.status, 200u);
  const boost::json::object body = body_of(r);
  EXPECT_EQ(body.at("success"), true);
  EXPECT_EQ(body.at("accepted"), 2);
  EXPECT_EQ(body.at("duplicates"), 0);
  EXPECT_EQ(rejected_of(r),
            (std::vector<std::tuple<size_t, size_t, std::string>>{{1, 0, "missing_user_id"},
                                                                  {3, 0, "bad_timestamp"},
                                                                  {4, 0, "invalid_type"},
                                                                  {5, 0, "invalid_message"},
                                                                  {6, 0, "invalid_message"}}));
  for (const auto& item : body.at("rejected").as_array())
    EXPECT_FALSE(item.at("message").as_string().empty());
  EXPECT_EQ(r.accepted, 2u);
  EXPECT_EQ(r.rejected, 5u);
  const auto events = engine_->events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].key, "u1");
  EXPECT_EQ(events[1].key, "u2");
  EXPECT_EQ(prop(events[1], "traits.plan"), "pro");
}

TEST_F(IngestServiceTest, WhenEveryEventIsRefusedTheAnswerIs400) {
  IngestReply r = batch(R"({"batch":[{"type":"track","event":"E"},{"type":"nope","userId":"u"}]})");
  EXPECT_EQ(r.status, 400u);
  boost::json::object body = body_of(r);
  EXPECT_EQ(body.at("success"), false);
  EXPECT_EQ(body.at("code"), "invalid_events");
  EXPECT_EQ(rejected_of(r), (std::vector<std::tuple<size_t, size_t, std::string>>{
                                {0, 0, "missing_user_id"}, {1, 0, "invalid_type"}}));
  // A single call explains itself with its own reason.
  r = call(SegmentCall::kTrack, R"({"event":"Cart Viewed"})");
  EXPECT_EQ(r.status, 400u);
  body = body_of(r);
  EXPECT_EQ(body.at("code"), "invalid_events");
  EXPECT_NE(std::string(body.at("message").as_string()).find("userId"), std::string::npos);
  EXPECT_TRUE(engine_->events().empty());
}

TEST_F(IngestServiceTest, NdjsonReportsLinesAndIndices) {
  const std::string body =
      track("u1", "Cart Viewed") + "\r\n" +  // line 1, index 0
      "\n" +                                 // line 2, blank
      "   \r\n" +                            // line 3, blank
      "{\"userId\":\"u9\",\"event\":\n" +    // line 4, index 1: malformed
      R"({"userId":"u2","event":"Order Completed","properties":{"revenue":9}})" +
      "\n" +  // line 5, index 2
      R"({"type":"identify","userId":"u3","traits":{"a":1}})"
      "\n"  // 6, 3
      R"({"event":"Cart Viewed"})"
      "\n"                   // line 7, index 4
      R"({"userId":"u4"})";  // line 8, index 5: no type, no event
  const IngestReply r = bulk(body);
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(rejected_of(r),
            (std::vector<std::tuple<size_t, size_t, std::string>>{
                {1, 4, "malformed_json"}, {4, 7, "missing_user_id"}, {5, 8, "invalid_type"}}));
  const auto rejected = body_of(r).at("rejected").as_array();
  EXPECT_EQ(rejected[0].at("position"), 23);  // the end of the line, where it stops short
  const auto events = engine_->events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(type_name(events[1]), "Order Completed");
  EXPECT_DOUBLE_EQ(events[1].amount, 9);
  EXPECT_EQ(type_name(events[2]), "identify");
}

TEST_F(IngestServiceTest, BulkTakesAJsonArrayToo) {
  const IngestReply r =
      bulk("  \n[" + track("u1", "Cart Viewed") + "," + R"({"type":"page","anonymousId":"a1"})" +
           ",17," + track("u2", "Email Opened", R"("properties":{"campaign_id":"c9"})") + "]");
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(rejected_of(r),
            (std::vector<std::tuple<size_t, size_t, std::string>>{{2, 0, "invalid_message"}}));
  const auto events = engine_->events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].key, "a1");
  EXPECT_EQ(type_name(events[0]), "page");
  EXPECT_EQ(events[2].item, "c9");
  EXPECT_EQ(bulk("[]").status, 200u);
  EXPECT_EQ(bulk("").status, 200u);
}

TEST_F(IngestServiceTest, ABadElementOfABulkArrayIsRefusedAloneABrokenArrayWhole) {
  settings_.max_json_depth = 4;
  rebuild_service();
  // Depth 4 for the body leaves 3 for an element: the array is one level.
  const std::string deep = track("d", "Cart Viewed", R"("properties":{"a":{"b":{}}})");
  const std::string ok = track("u1", "Cart Viewed", R"("properties":{"a":1})");
  IngestReply r = bulk("[" + ok + R"(,{"userId":tru},)" + deep + "]");
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(rejected_of(r), (std::vector<std::tuple<size_t, size_t, std::string>>{
                                {1, 0, "malformed_json"}, {2, 0, "json_too_deep"}}));
  r = bulk("[" + ok + "," + ok);
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(code_of(r), "malformed_json");
  EXPECT_EQ(engine_->events().size(), 1u);
}

TEST_F(IngestServiceTest, TheBatchContextAndSentAtReachEachEvent) {
  // The client's clock is two minutes slow; the event happened 10 s before it sent the batch.
  const IngestReply r = batch(R"({"batch":[
      {"type":"track","userId":"u1","event":"Cart Viewed","timestamp":"2023-11-14T22:11:10Z",
       "context":{"page":{"url":"https://own/"}}},
      {"type":"page","userId":"u2","timestamp":"2023-11-14T22:11:15Z",
       "context":{"campaign":{"medium":"cpc"}}}],
      "sentAt":"2023-11-14T22:11:20Z",
      "context":{"campaign":{"medium":"email","source":"news"},
                 "page":{"url":"https://batch/","referrer":"https://ref/"}}})");
  ASSERT_EQ(r.status, 200u) << r.body;
  const auto events = engine_->events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].time.value(), kNow - 10'000);
  EXPECT_EQ(prop(events[0], "channel"), "email");
  EXPECT_EQ(prop(events[0], "url"), "https://own/");
  EXPECT_EQ(prop(events[0], "referrer"), "https://ref/");
  EXPECT_EQ(events[1].time.value(), kNow - 5'000);
  EXPECT_EQ(prop(events[1], "channel"), "cpc");
  EXPECT_EQ(prop(events[1], "url"), "https://batch/");
}

TEST_F(IngestServiceTest, ADuplicateMessageIdIsAcknowledgedButNotSubmittedAgain) {
  const std::string m1 = track("u1", "Cart Viewed", R"("messageId":"m-1")");
  EXPECT_EQ(call(SegmentCall::kTrack, m1).status, 200u);
  const IngestReply again = call(SegmentCall::kTrack, m1);
  EXPECT_EQ(again.status, 200u);
  EXPECT_EQ(again.body, R"({"success":true})");
  EXPECT_EQ(again.duplicates, 1u);
  EXPECT_EQ(again.accepted, 0u);

  // Across routes, and within one batch.
  const IngestReply b = batch(R"({"batch":[
      {"type":"track","userId":"u1","event":"Cart Viewed","messageId":"m-1"},
      {"type":"track","userId":"u2","event":"Cart Viewed","messageId":"m-2"},
      {"type":"track","userId":"u2","event":"Cart Viewed","messageId":"m-2"},
      {"type":"track","userId":"u3","event":"Cart Viewed"},
      {"type":"track","userId":"u3","event":"Cart Viewed"}]})");
  EXPECT_EQ(b.status, 200u);
  EXPECT_EQ(b.accepted, 3u);
  EXPECT_EQ(b.duplicates, 2u);
  const IngestReply lines = bulk(track("u4", "Cart Viewed", R"("messageId":"m-2")") + "\n" +
                                 track("u4", "Cart Viewed", R"("messageId":"m-4")") + "\n");
  EXPECT_EQ(lines.accepted, 1u);
  EXPECT_EQ(lines.duplicates, 1u);

  std::vector<std::string> keys;
  for (const Record& r : engine_->events())
    keys.push_back(r.key);
  // u3's two events have no messageId: both are taken.
  EXPECT_EQ(keys, (std::vector<std::string>{"u1", "u2", "u3", "u3", "u4"}));
  EXPECT_EQ(service_->counters().get(IngestEndpoint::kBatch, IngestOutcome::kDuplicate), 2u);
  EXPECT_EQ(service_->counters().get(IngestEndpoint::kTrack, IngestOutcome::kDuplicate), 1u);
  EXPECT_EQ(service_->counters().get(IngestEndpoint::kEvents, IngestOutcome::kDuplicate), 1u);
}

TEST_F(IngestServiceTest, AMessageIdIsForgottenAfterTheWindow) {
  const std::string m = track("u1", "Cart Viewed", R"("messageId":"m-old")");
  EXPECT_EQ(call(SegmentCall::kTrack, m).accepted, 1u);
  engine_->clock.advance(kMillisPerDay - 1);
  EXPECT_EQ(call(SegmentCall::kTrack, m).duplicates, 1u);
  engine_->clock.advance(1);
  EXPECT_EQ(call(SegmentCall::kTrack, m).accepted, 1u);
  EXPECT_EQ(engine_->events().size(), 2u);
}

TEST_F(IngestServiceTest, ARefusedEventDoesNotUseUpItsMessageId) {
  // The first attempt is refused (no user); the corrected retry with the same id is taken.
  EXPECT_EQ(call(SegmentCall::kTrack, R"({"event":"Cart Viewed","messageId":"m-fix"})").status,
            400u);
  EXPECT_EQ(
      call(SegmentCall::kTrack, track("u1", "Cart Viewed", R"("messageId":"m-fix")")).accepted, 1u);
  EXPECT_EQ(engine_->events().size(), 1u);
}

TEST_F(IngestServiceTest, ConcurrentRequestsWithTheSameIdsTakeEachOnce) {
  constexpr int kThreads = 4;
  constexpr int kIds = 300;
  std::string body = R"({"batch":[)";
  for (int i = 0; i < kIds; ++i) {
    body += (i ? "," : "") + std::string(R"({"type":"track","userId":"u)") +
            std::to_string(i % 17) + R"(","event":"Cart Viewed","messageId":"id-)" +
            std::to_string(i) + "\"}";
  }
  body += "]}";
  std::atomic<size_t> accepted{0}, duplicates{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int round = 0; round < 5; ++round) {
        const IngestReply r = batch(body);
        ASSERT_EQ(r.status, 200u) << r.body;
        accepted += r.accepted;
        duplicates += r.duplicates;
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(accepted.load(), static_cast<size_t>(kIds));
  EXPECT_EQ(duplicates.load(), static_cast<size_t>(kThreads * 5 * kIds - kIds));
  EXPECT_EQ(engine_->events().size(), static_cast<size_t>(kIds));
}

TEST_F(IngestServiceTest, ABusyEngineAnswers503AndRemembersNothing) {
  EngineConfig config;
  config.workers = 1;
  config.inbox_capacity_events = 4;
  config.start = false;  // nothing drains the inbox
  build(config);
  std::string fill = R"({"batch":[)";
  for (int i = 0; i < 4; ++i)
    fill += (i ? "," : "") + std::string(R"({"type":"track","userId":"f","event":"Cart Viewed"})");
  fill += "]}";
  ASSERT_EQ(batch(fill).status, 200u);

  const std::string m = track("u1", "Cart Viewed", R"("messageId":"m-busy")");
  const IngestReply r = call(SegmentCall::kTrack, m);
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(code_of(r), "busy");
  EXPECT_EQ(r.retry_after_seconds, std::optional<uint32_t>(1));
  EXPECT_TRUE(body_of(r).contains("message"));
  EXPECT_FALSE(dedup_->contains(hash_message_id("m-busy"), engine_->clock.now()));
  const IngestReply b = batch(R"({"batch":[{"type":"track","userId":"u2","event":"Cart Viewed",
                                 "messageId":"m-busy-2"}]})");
  EXPECT_EQ(b.status, 503u);
  EXPECT_FALSE(dedup_->contains(hash_message_id("m-busy-2"), engine_->clock.now()));
  EXPECT_EQ(service_->counters().get(IngestEndpoint::kTrack, IngestOutcome::kRequestRefused,
                                     IngestErrc::kBusy),
            1u);

  ASSERT_TRUE(engine_->engine->start().is_ok());
  ASSERT_TRUE(engine_->engine->sync().is_ok());
  // The retry is new, not a duplicate.
  const IngestReply retry = call(SegmentCall::kTrack, m);
  EXPECT_EQ(retry.status, 200u);
  EXPECT_EQ(retry.accepted, 1u);
  const auto events = engine_->events();
  EXPECT_EQ(events.size(), 5u);
  EXPECT_EQ(
      std::count_if(events.begin(), events.end(), [](const Record& e) { return e.key == "u1"; }),
      1);
}

TEST_F(IngestServiceTest, ABulkUploadTakenInPartSaysWhereToResume) {
  EngineConfig config;
  config.workers = 1;
  config.inbox_capacity_events = 4;
  config.start = false;
  IngestOptions options;
  options.bulk.max_batch_events = 2;
  options.bulk.busy_wait = std::chrono::milliseconds(20);
  build(config, options);
  std::string body;
  for (int i = 0; i < 8; ++i) {
    body += track("u" + std::to_string(i), "Cart Viewed",
                  R"("messageId":"bulk-)" + std::to_string(i) + "\"") +
            "\n";
    if (i == 1) body += "not json\n";  // line 3, index 2
  }
  const IngestReply r = bulk(body);
  EXPECT_EQ(r.status, 503u) << r.body;
  EXPECT_EQ(r.retry_after_seconds, std::optional<uint32_t>(1));
  const boost::json::object reply = body_of(r);
  EXPECT_EQ(reply.at("code"), "busy");
  EXPECT_EQ(reply.at("accepted"), 4);
  // Lines 1-2 and 4-5 were taken (line 3 refused); the batch that begins at line 6 was not.
  EXPECT_EQ(reply.at("resume_index"), 5);
  EXPECT_EQ(reply.at("resume_line"), 6);
  EXPECT_EQ(rejected_of(r),
            (std::vector<std::tuple<size_t, size_t, std::string>>{{2, 3, "malformed_json"}}));
  EXPECT_TRUE(dedup_->contains(hash_message_id("bulk-3"), engine_->clock.now()));
  EXPECT_FALSE(dedup_->contains(hash_message_id("bulk-4"), engine_->clock.now()));

  ASSERT_TRUE(engine_->engine->start().is_ok());
  ASSERT_TRUE(engine_->engine->sync().is_ok());
  // Retrying the whole upload is safe: what was taken is recognised by its messageId.
  const IngestReply retry = bulk(body);
  EXPECT_EQ(retry.status, 200u) << retry.body;
  EXPECT_EQ(retry.accepted, 4u);
  EXPECT_EQ(retry.duplicates, 4u);
  EXPECT_EQ(engine_->events().size(), 8u);
}

TEST_F(IngestServiceTest, AStoppedEngineAnswersShuttingDown) {
  ASSERT_TRUE(engine_->engine->stop().is_ok());
  const IngestReply r = call(SegmentCall::kTrack, track("u1", "Cart Viewed", R"("messageId":"s")"));
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(code_of(r), "shutting_down");
  EXPECT_FALSE(r.retry_after_seconds.has_value());
  EXPECT_FALSE(dedup_->contains(hash_message_id("s"), engine_->clock.now()));
}

TEST_F(IngestServiceTest, ALongListOfRejectionsIsCutShortButCounted) {
  std::string body;
  for (int i = 0; i < 1500; ++i)
    body += "{}\n";
  const IngestReply r = bulk(body);
  EXPECT_EQ(r.status, 400u);
  const boost::json::object reply = body_of(r);
  EXPECT_EQ(reply.at("rejected").as_array().size(), 1000u);
  EXPECT_EQ(reply.at("rejected_count"), 1500);
  EXPECT_EQ(r.rejected, 1500u);
  EXPECT_EQ(service_->counters().get(IngestEndpoint::kEvents, IngestOutcome::kRejected,
                                     IngestErrc::kInvalidType),
            1500u);
}

TEST_F(IngestServiceTest, CountersVisitEndpointOutcomeAndReason) {
  (void)call(SegmentCall::kTrack, track("u1", "Cart Viewed"));
  (void)call(SegmentCall::kPage, R"({"anonymousId":"a"})");
  (void)call(SegmentCall::kPage, R"({"name":"no user"})");
  (void)batch(R"({"batch":[{"type":"track","userId":"u","event":"E","timestamp":"x"}]})");
  (void)bulk("{");
  std::map<std::string, uint64_t> seen;
  service_->visit_counters([&](const IngestCounterSample& s) {
    if (s.value == 0) return;
    seen[std::string(s.endpoint) + "/" + std::string(s.outcome) + "/" + std::string(s.reason)] =
        s.value;
  });
  EXPECT_EQ(seen, (std::map<std::string, uint64_t>{
                      {"track/accepted/", 1},
                      {"page/accepted/", 1},
                      {"page/rejected/missing_user_id", 1},
                      {"batch/rejected/bad_timestamp", 1},
                      {"events/rejected/malformed_json", 1},
                  }));
  size_t samples = 0;
  service_->visit_counters([&](const IngestCounterSample&) { ++samples; });
  EXPECT_EQ(samples, 2 * kIngestEndpointCount + 3);  // accepted and duplicate always, + 3 reasons
}

// Takes every batch, then reports it lost the way a write-ahead log on a full disk does.
class LosingIntake final : public Intake {
 public:
  SubmitResult submit(const EventBatch& batch, std::span<const uint64_t> keys, WallTime received,
                      const std::shared_ptr<AckLatch>& ack) override {
    ack->expect();
    ack->lost(keys, received);
    ack->settle(Status(Errc::kIo, "write: No space left on device"));
    SubmitResult r;
    r.accepted = batch.size();
    return r;
  }
};

TEST_F(IngestServiceTest, EventsTheLogLosesAreNotAcknowledgedAndTheirIdsAreFreed) {
  LosingIntake losing;
  IngestService service(losing, engine_->types(), settings_, engine_->clock, *dedup_);
  const std::string m = track("u1", "Cart Viewed", R"("messageId":"m-lost")");
  IngestReply reply = service.segment_call(SegmentCall::kTrack, {m, "", "application/json"});
  ASSERT_NE(reply.durable, nullptr);
  Status settled;
  reply.durable->arm([&settled](const Status& s) { settled = s; });
  EXPECT_EQ(settled.code(), Errc::kIo);
  const IngestReply failure = storage_failure_reply(settled);
  EXPECT_EQ(failure.status, 503u);
  EXPECT_EQ(failure.retry_after_seconds, 1u);
  EXPECT_EQ(body_of(failure).at("code"), "storage_unavailable");
  // The retry, once the disk has room again, is taken rather than called a duplicate.
  EXPECT_EQ(call(SegmentCall::kTrack, m).accepted, 1u);
  EXPECT_EQ(engine_->events().size(), 1u);
}

constexpr std::string_view kOrderPlan = R"({
  "events": {"Order Completed": {"properties": {
    "order_id": {"type": "string", "required": true},
    "revenue": {"type": "number", "required": true}}}},
  "traits": {"age": {"type": "integer"}}
})";

IngestOptions plan_options(TrackingPlanMode mode) {
  IngestOptions options;
  auto plan = TrackingPlan::parse(kOrderPlan);
  EXPECT_TRUE(plan.is_ok()) << plan.status().to_string();
  options.tracking_plan = std::make_shared<const TrackingPlan>(std::move(plan).value());
  options.tracking_plan_mode = mode;
  return options;
}

TEST_F(IngestServiceTest, ARejectingPlanRefusesTheEventWithItsIndexFieldAndReason) {
  build({}, plan_options(TrackingPlanMode::kReject));
  const IngestReply r = batch(R"({"batch":[
      {"type":"track","userId":"u1","event":"Order Completed",
       "properties":{"order_id":"o1","revenue":10}},
      {"type":"track","userId":"u2","event":"Order Completed","properties":{"order_id":"o2"}}]})");
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.accepted, 1u);
  EXPECT_EQ(
      rejected_of(r),
      (std::vector<std::tuple<size_t, size_t, std::string>>{{1, 0, "tracking_plan_violation"}}));
  const std::string message(body_of(r).at("rejected").as_array()[0].at("message").as_string());
  EXPECT_NE(message.find("properties.revenue: required"), std::string::npos) << message;
  const auto events = engine_->events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].key, "u1");
  EXPECT_EQ(service_->counters().get(IngestEndpoint::kBatch, IngestOutcome::kRejected,
                                     IngestErrc::kTrackingPlanViolation),
            1u);
  EXPECT_EQ(service_->tracking_plan_counters().get("Order Completed", "properties.revenue"), 1u);

  const IngestReply single =
      call(SegmentCall::kIdentify, R"({"userId":"u3","traits":{"age":"old"}})");
  EXPECT_EQ(single.status, 400u);
  EXPECT_EQ(
      rejected_of(single),
      (std::vector<std::tuple<size_t, size_t, std::string>>{{0, 0, "tracking_plan_violation"}}));
  EXPECT_NE(
      body_of(single).at("message").as_string().find("traits.age: expected integer, got string"),
      std::string::npos)
      << single.body;
  EXPECT_EQ(service_->tracking_plan_counters().get("identify", "traits.age"), 1u);
}

TEST_F(IngestServiceTest, ATaggingPlanTakesTheEventTaggedAndCounts) {
  build({}, plan_options(TrackingPlanMode::kTag));
  const IngestReply r =
      bulk(track("u1", "Order Completed", R"("properties":{"order_id":7})") + "\n" +
           track("u2", "Order Completed", R"("properties":{"order_id":"o2","revenue":1})"));
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.body, R"({"success":true})");
  const auto events = engine_->events();
  ASSERT_EQ(events.size(), 2u);
  for (const Record& e : events) {
    SCOPED_TRACE(e.key);
    EXPECT_EQ(prop(e, "order_id").has_value(), true);
    EXPECT_EQ(prop(e, kTrackingPlanViolationsProperty),
              e.key == "u1"
                  ? std::optional<std::string>("properties.order_id: expected string, got integer; "
                                               "properties.revenue: required")
                  : std::nullopt);
  }
  const TrackingPlanCounters& counters = service_->tracking_plan_counters();
  EXPECT_EQ(counters.get("Order Completed", "properties.order_id"), 1u);
  EXPECT_EQ(counters.get("Order Completed", "properties.revenue"), 1u);
  std::vector<std::tuple<std::string, std::string, uint64_t>> seen;
  counters.visit([&](std::string_view event, std::string_view field, uint64_t n) {
    seen.emplace_back(std::string(event), std::string(field), n);
  });
  EXPECT_EQ(seen.size(), 2u);
}

}  // namespace
}  // namespace eddy
