#include "connectors/ingest/segment_mapper.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <map>

#include "runtime/sink.h"

namespace eddy {
namespace {

constexpr int64_t kReceived = 1'700'000'000'000;  // 2023-11-14T22:13:20Z

EventTypeRegistry shop_types(bool with_track = true) {
  EventTypeRegistry t;
  t.add_all({"identify", "page", "screen", "alias", "group", "Product Viewed", "Product Added",
             "Product Removed", "Product List Viewed", "Order Completed", "Order Refunded",
             "Order Cancelled", "Checkout Started", "Cart Viewed", "Email Opened",
             "Email Link Clicked", "Unsubscribed", "Identity Linked", "Customer Erased"});
  if (with_track) (void)t.add("track");
  return t;
}

struct Expected {
  std::string key;
  std::string type;
  int64_t time = kReceived;
  double amount = 0;
  int64_t quantity = 0;
  std::string item;
  std::map<std::string, std::string> props;
  std::string message_id;
};

struct Case {
  const char* name;
  std::optional<SegmentCall> route;
  const char* message;
  Expected expected;
};

// The message's userId, which ingest keeps in the property "user_id" for identity resolution.
std::string user_id_of(const boost::json::value& message) {
  const auto* id = message.as_object().if_contains("userId");
  if (id == nullptr || id->is_null()) return {};
  if (id->is_string()) return std::string(id->as_string());
  return boost::json::serialize(*id);
}

void expect_mapped(const EventTypeRegistry& types, const MappedEvent& got, const Expected& want,
                   const std::string& user_id = "u1") {
  EXPECT_EQ(got.draft.key, want.key);
  EXPECT_EQ(types.name(got.draft.type), want.type);
  EXPECT_EQ(got.draft.time.value(), want.time);
  EXPECT_DOUBLE_EQ(got.draft.amount, want.amount);
  EXPECT_EQ(got.draft.quantity, want.quantity);
  EXPECT_EQ(got.draft.item, want.item);
  std::map<std::string, std::string> props;
  for (const PropDraft& p : got.draft.props)
    props[std::string(p.name)] = render_prop_value(p.value);
  if (user_id.empty()) {
    EXPECT_FALSE(props.contains("user_id"));
  } else {
    EXPECT_EQ(props["user_id"], user_id);
  }
  props.erase("user_id");
  EXPECT_EQ(props, want.props);
  EXPECT_EQ(got.message_id, want.message_id);
}

TEST(SegmentMapper, MapsEachCallAsTheEventModelSays) {
  const EventTypeRegistry types = shop_types();
  const Case cases[] = {
      {"track of a product event: price, quantity, product_id",
       SegmentCall::kTrack,
       R"({"userId":"u1","event":"Product Added","messageId":"m-1",
           "properties":{"price":19.5,"quantity":2,"product_id":"p-9","sku":"s-9","color":"red"}})",
       {"u1", "Product Added", kReceived, 19.5, 2, "p-9", {}, "m-1"}},
      {"product event: quantity defaults to 1, sku when no product_id, numbers as text",
       SegmentCall::kTrack,
       R"({"anonymousId":"a1","event":"Product Viewed","properties":{"price":"7.25","sku":123}})",
       {"a1", "Product Viewed", kReceived, 7.25, 1, "123", {}, ""}},
      {"the anonymousId is the key and the userId rides along, for identity resolution",
       SegmentCall::kTrack,
       R"({"userId":"u1","anonymousId":"a1","event":"Cart Viewed"})",
       {"a1", "Cart Viewed", kReceived, 0, 0, "", {}, ""}},
      {"Segment's consent object: each category's choice, as consent.<category>",
       SegmentCall::kTrack,
       R"({"userId":"u1","event":"Cart Viewed","context":{"consent":{"categoryPreferences":
           {"Marketing":true,"Analytics":false,"Odd":"yes"}}}})",
       {"u1",
        "Cart Viewed",
        kReceived,
        0,
        0,
        "",
        {{"consent.Analytics", "false"}, {"consent.Marketing", "true"}},
        ""}},
      {"an empty userId falls back to anonymousId",
       SegmentCall::kTrack,
       R"({"userId":"","anonymousId":"a1","event":"Cart Viewed"})",
       {"a1", "Cart Viewed", kReceived, 0, 0, "", {}, ""}},
      {"a numeric userId is written out",
       SegmentCall::kTrack,
       R"({"userId":42,"event":"Cart Viewed"})",
       {"42", "Cart Viewed", kReceived, 0, 0, "", {}, ""}},
      {"order: revenue, order_id, number of products",
       SegmentCall::kTrack,
       R"({"userId":"u1","event":"Order Completed","properties":{"revenue":99.9,"total":120,
           "order_id":"o-1","products":[{"product_id":"a"},{"product_id":"b"}]}})",
       {"u1",
        "Order Completed",
        kReceived,
        99.9,
        0,
        "",
        {{"order_id", "o-1"}, {"products", "2"}},
        ""}},
      {"order: total when there is no revenue; a numeric order_id stays a number",
       SegmentCall::kTrack,
       R"({"userId":"u1","event":"Order Refunded","properties":{"total":30,"order_id":17}})",
       {"u1", "Order Refunded", kReceived, 30, 0, "", {{"order_id", "17"}}, ""}},
      {"Order Cancelled is an order event without an amount",
       SegmentCall::kTrack,
       R"({"userId":"u1","event":"Order Cancelled","properties":{"revenue":30,"order_id":"o"}})",
       {"u1", "Order Cancelled", kReceived, 0, 0, "", {{"order_id", "o"}}, ""}},
      {"Checkout Started: revenue and cart_id",
       SegmentCall::kTrack,
       R"({"userId":"u1","event":"Checkout Started","properties":{"revenue":5,"cart_id":"c-1",
           "order_id":"o-2"}})",
       {"u1",
        "Checkout Started",
        kReceived,
        5,
        0,
        "",
        {{"order_id", "o-2"}, {"cart_id", "c-1"}},
        ""}},
      {"Product List Viewed is not a product event",
       SegmentCall::kTrack,
       R"({"userId":"u1","event":"Product List Viewed","properties":{"price":3,"product_id":"x"}})",
       {"u1", "Product List Viewed", kReceived, 0, 0, "", {}, ""}},
      {"email event: campaign_id as item and property",
       SegmentCall::kTrack,
       R"({"userId":"u1","event":"Email Opened","properties":{"campaign_id":"cmp-7"}})",
       {"u1", "Email Opened", kReceived, 0, 0, "cmp-7", {{"campaign_id", "cmp-7"}}, ""}},
      {"Unsubscribed is an email event",
       SegmentCall::kTrack,
       R"({"userId":"u1","event":"Unsubscribed","properties":{"campaign_id":5}})",
       {"u1", "Unsubscribed", kReceived, 0, 0, "5", {{"campaign_id", "5"}}, ""}},
      {"an unknown track name takes the catch-all and keeps its name",
       SegmentCall::kTrack,
       R"({"userId":"u1","event":"Video Played","properties":{"price":3}})",
       {"u1", "track", kReceived, 0, 0, "", {{"event", "Video Played"}}, ""}},
      {"a track named like another call is not that call",
       SegmentCall::kTrack,
       R"({"userId":"u1","event":"identify"})",
       {"u1", "track", kReceived, 0, 0, "", {{"event", "identify"}}, ""}},
      {"no write key can erase a customer: the control event's name is a custom event",
       SegmentCall::kTrack,
       R"({"userId":"u1","event":"Customer Erased"})",
       {"u1", "track", kReceived, 0, 0, "", {{"event", "Customer Erased"}}, ""}},
      {"nor link two: the marker's name is a custom event too",
       SegmentCall::kTrack,
       R"({"userId":"u1","event":"Identity Linked","properties":{"from":"u1","to":"u2"}})",
       {"u1", "track", kReceived, 0, 0, "", {{"event", "Identity Linked"}}, ""}},
      {"channel from campaign medium, referrer and url from the page context",
       SegmentCall::kTrack,
       R"({"userId":"u1","event":"Cart Viewed","context":{"campaign":{"medium":"email",
           "source":"newsletter"},"page":{"referrer":"https://r.example","url":"https://s/x"}}})",
       {"u1",
        "Cart Viewed",
        kReceived,
        0,
        0,
        "",
        {{"channel", "email"}, {"referrer", "https://r.example"}, {"url", "https://s/x"}},
        ""}},
      {"channel from campaign source when there is no medium; url from properties",
       SegmentCall::kTrack,
       R"({"userId":"u1","event":"Cart Viewed","context":{"campaign":{"source":"google"}},
           "properties":{"url":"https://p/y"}})",
       {"u1",
        "Cart Viewed",
        kReceived,
        0,
        0,
        "",
        {{"channel", "google"}, {"url", "https://p/y"}},
        ""}},
      {"identify: every trait as traits.<name>",
       SegmentCall::kIdentify,
       R"({"userId":"u1","traits":{"email":"a@b.c","age":41,"vip":true,"score":1.5,"nick":null,
           "address":{"city":"Oslo"},"tags":["a","b"]}})",
       {"u1",
        "identify",
        kReceived,
        0,
        0,
        "",
        {{"traits.email", "a@b.c"},
         {"traits.age", "41"},
         {"traits.vip", "true"},
         {"traits.score", "1.5"},
         {"traits.nick", "null"},
         {"traits.address", R"({"city":"Oslo"})"},
         {"traits.tags", R"(["a","b"])"}},
        ""}},
      {"page: direct channel by default, name, referrer from properties",
       SegmentCall::kPage,
       R"({"anonymousId":"a1","name":"Home","properties":{"referrer":"https://g.example",
           "url":"https://s/"}})",
       {"a1",
        "page",
        kReceived,
        0,
        0,
        "",
        {{"channel", "direct"},
         {"name", "Home"},
         {"referrer", "https://g.example"},
         {"url", "https://s/"}},
        ""}},
      {"page: a campaign wins over direct",
       SegmentCall::kPage,
       R"({"anonymousId":"a1","context":{"campaign":{"medium":"cpc"}}})",
       {"a1", "page", kReceived, 0, 0, "", {{"channel", "cpc"}}, ""}},
      {"screen: the name, no direct channel",
       SegmentCall::kScreen,
       R"({"userId":"u1","name":"Cart"})",
       {"u1", "screen", kReceived, 0, 0, "", {{"name", "Cart"}}, ""}},
      {"group: the group id",
       SegmentCall::kGroup,
       R"({"userId":"u1","groupId":"g-1","traits":{"plan":"pro"}})",
       {"u1", "group", kReceived, 0, 0, "", {{"group_id", "g-1"}}, ""}},
      {"alias: the previous id",
       SegmentCall::kAlias,
       R"({"userId":"u1","previousId":"a-77"})",
       {"a-77", "alias", kReceived, 0, 0, "", {{"previous_id", "a-77"}}, ""}},
      {"the type field names the call when the route does not",
       std::nullopt,
       R"({"type":"identify","userId":"u1"})",
       {"u1", "identify", kReceived, 0, 0, "", {}, ""}},
      {"timestamp as stated without sentAt",
       SegmentCall::kTrack,
       R"({"userId":"u1","event":"Cart Viewed","timestamp":"2023-11-14T22:00:00Z"})",
       {"u1", "Cart Viewed", kReceived - 800'000, 0, 0, "", {}, ""}},
      {"skew corrected with sentAt",
       SegmentCall::kTrack,
       R"({"userId":"u1","event":"Cart Viewed","timestamp":"2023-11-15T00:00:00Z",
           "sentAt":"2023-11-15T00:00:05Z"})",
       {"u1", "Cart Viewed", kReceived - 5000, 0, 0, "", {}, ""}},
      {"originalTimestamp is what sentAt is measured against",
       SegmentCall::kTrack,
       R"({"userId":"u1","event":"Cart Viewed","timestamp":"2000-01-01T00:00:00Z",
           "originalTimestamp":"2023-11-15T00:00:00+01:00","sentAt":"2023-11-15T00:00:02+01:00"})",
       {"u1", "Cart Viewed", kReceived - 2000, 0, 0, "", {}, ""}},
  };
  SegmentMapper mapper(types);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const boost::json::value message = boost::json::parse(c.message);
    MessageEnvelope env;
    env.received_at = WallTime(kReceived);
    env.route_call = c.route;
    MappedEvent out;
    auto error = mapper.map(message, env, out);
    ASSERT_FALSE(error.has_value()) << error->message;
    expect_mapped(types, out, c.expected, user_id_of(message));
  }
}

TEST(SegmentMapper, TheBatchContextAndSentAtApplyUnlessTheMessageSaysOtherwise) {
  const EventTypeRegistry types = shop_types();
  SegmentMapper mapper(types);
  const boost::json::value batch_context =
      boost::json::parse(R"({"campaign":{"medium":"email"},"page":{"url":"https://batch/"}})");
  MessageEnvelope env;
  env.received_at = WallTime(kReceived);
  env.batch_context = &batch_context.get_object();
  env.batch_sent_at = EventTime(kReceived + 60'000);  // the client's clock is a minute fast

  const boost::json::value own = boost::json::parse(
      R"({"type":"track","userId":"u1","event":"Cart Viewed","timestamp":"2023-11-14T22:14:10Z",
          "context":{"page":{"url":"https://own/"}}})");
  MappedEvent out;
  ASSERT_FALSE(mapper.map(own, env, out).has_value());
  expect_mapped(types, out,
                {"u1",
                 "Cart Viewed",
                 kReceived - 10'000,
                 0,
                 0,
                 "",
                 {{"channel", "email"}, {"url", "https://own/"}},
                 ""});

  const boost::json::value own_sent = boost::json::parse(
      R"({"type":"track","userId":"u1","event":"Cart Viewed","timestamp":"2023-11-14T22:13:10Z",
          "sentAt":"2023-11-14T22:13:20Z"})");
  ASSERT_FALSE(mapper.map(own_sent, env, out).has_value());
  EXPECT_EQ(out.draft.time.value(), kReceived - 10'000);
}

TEST(SegmentMapper, BulkLinesWithoutTypeAreTrackCallsWhenTheyNameAnEvent) {
  const EventTypeRegistry types = shop_types();
  SegmentMapper mapper(types);
  MessageEnvelope env;
  env.received_at = WallTime(kReceived);
  env.track_when_untyped = true;
  MappedEvent out;
  ASSERT_FALSE(mapper.map(boost::json::parse(R"({"userId":"u","event":"Cart Viewed"})"), env, out)
                   .has_value());
  EXPECT_EQ(types.name(out.draft.type), "Cart Viewed");
  auto e = mapper.map(boost::json::parse(R"({"userId":"u"})"), env, out);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, IngestErrc::kInvalidType);
}

struct Refused {
  const char* name;
  std::optional<SegmentCall> route;
  const char* message;
  IngestErrc code;
  const char* says;
};

TEST(SegmentMapper, RefusesWhatOperatorsCouldNotUse) {
  const EventTypeRegistry types = shop_types();
  std::string many_traits = R"({"userId":"u","traits":{)";
  for (size_t i = 0; i <= kMaxEventProperties; ++i)
    many_traits += (i ? "," : "") + std::string("\"t") + std::to_string(i) + "\":1";
  many_traits += "}}";
  std::string exactly_max = R"({"userId":"u","traits":{)";
  for (size_t i = 0; i < kMaxEventProperties; ++i)
    exactly_max += (i ? "," : "") + std::string("\"t") + std::to_string(i) + "\":1";
  exactly_max += R"(},"context":{"page":{"url":"x"}}})";
  const std::string long_id = R"({"anonymousId":")" + std::string(kMaxIdentifierBytes + 1, 'x') +
                              R"(","event":"Cart Viewed"})";
  const Refused cases[] = {
      {"not an object", SegmentCall::kTrack, "[1,2]", IngestErrc::kInvalidMessage, "object"},
      {"an identifier over the limit", SegmentCall::kTrack, long_id.c_str(),
       IngestErrc::kInvalidIdentifier, "anonymousId' is longer than 256 bytes"},
      {"a control character in a user id", SegmentCall::kTrack,
       R"({"userId":"u\u0007","event":"Cart Viewed"})", IngestErrc::kInvalidIdentifier,
       "userId' holds a control character"},
      {"a control character in an alias's previous id", SegmentCall::kAlias,
       R"({"userId":"u","previousId":"a\nb"})", IngestErrc::kInvalidIdentifier,
       "previousId' holds a control character"},
      {"no user", SegmentCall::kTrack, R"({"event":"Cart Viewed"})", IngestErrc::kMissingUserId,
       "userId"},
      {"empty user and anonymous ids", SegmentCall::kTrack,
       R"({"userId":"","anonymousId":"","event":"Cart Viewed"})", IngestErrc::kMissingUserId,
       "userId"},
      {"a userId that is an object", SegmentCall::kTrack,
       R"({"userId":{"a":1},"event":"Cart Viewed"})", IngestErrc::kInvalidMessage, "userId"},
      {"track without event", SegmentCall::kTrack, R"({"userId":"u"})", IngestErrc::kMissingEvent,
       "event"},
      {"track with an empty event", SegmentCall::kTrack, R"({"userId":"u","event":""})",
       IngestErrc::kMissingEvent, "event"},
      {"an event name that is a number", SegmentCall::kTrack, R"({"userId":"u","event":5})",
       IngestErrc::kInvalidMessage, "event"},
      {"no type in a batch item", std::nullopt, R"({"userId":"u","event":"Cart Viewed"})",
       IngestErrc::kInvalidType, "type"},
      {"an unknown type", std::nullopt, R"({"type":"purchase","userId":"u"})",
       IngestErrc::kInvalidType, "purchase"},
      {"a bad timestamp", SegmentCall::kTrack,
       R"({"userId":"u","event":"Cart Viewed","timestamp":"yesterday"})", IngestErrc::kBadTimestamp,
       "timestamp"},
      {"a numeric timestamp", SegmentCall::kTrack,
       R"({"userId":"u","event":"Cart Viewed","timestamp":1700000000})", IngestErrc::kBadTimestamp,
       "ISO 8601"},
      {"a bad sentAt", SegmentCall::kTrack,
       R"({"userId":"u","event":"Cart Viewed","sentAt":"2023-02-30T00:00:00Z"})",
       IngestErrc::kBadTimestamp, "sentAt"},
      {"a bad originalTimestamp", SegmentCall::kTrack,
       R"({"userId":"u","event":"Cart Viewed","originalTimestamp":"2023-01-01T00:00:00"})",
       IngestErrc::kBadTimestamp, "offset"},
      {"a price that is not a number", SegmentCall::kTrack,
       R"({"userId":"u","event":"Product Added","properties":{"price":"cheap"}})",
       IngestErrc::kInvalidMessage, "price"},
      {"a fractional quantity", SegmentCall::kTrack,
       R"({"userId":"u","event":"Product Added","properties":{"quantity":1.5}})",
       IngestErrc::kInvalidMessage, "quantity"},
      {"a revenue that is an object", SegmentCall::kTrack,
       R"({"userId":"u","event":"Order Completed","properties":{"revenue":{}}})",
       IngestErrc::kInvalidMessage, "revenue"},
      {"properties that are not an object", SegmentCall::kTrack,
       R"({"userId":"u","event":"Cart Viewed","properties":[1]})", IngestErrc::kInvalidMessage,
       "properties"},
      {"context that is not an object", SegmentCall::kTrack,
       R"({"userId":"u","event":"Cart Viewed","context":"web"})", IngestErrc::kInvalidMessage,
       "context"},
      {"a messageId that is not a string", SegmentCall::kTrack,
       R"({"userId":"u","event":"Cart Viewed","messageId":7})", IngestErrc::kInvalidMessage,
       "messageId"},
      {"more traits than an event keeps", SegmentCall::kIdentify, many_traits.c_str(),
       IngestErrc::kTooManyProperties, "65 traits"},
      {"traits plus context properties over the limit", SegmentCall::kIdentify, exactly_max.c_str(),
       IngestErrc::kTooManyProperties, "65 properties"},
  };
  SegmentMapper mapper(types);
  for (const Refused& c : cases) {
    SCOPED_TRACE(c.name);
    MessageEnvelope env;
    env.received_at = WallTime(kReceived);
    env.route_call = c.route;
    MappedEvent out;
    auto e = mapper.map(boost::json::parse(c.message), env, out);
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->code, c.code) << e->message;
    EXPECT_NE(e->message.find(c.says), std::string::npos) << e->message;
  }
}

TEST(SegmentMapper, WithoutTheCatchAllAnUnknownTrackNameIsRefused) {
  const EventTypeRegistry types = shop_types(/*with_track=*/false);
  SegmentMapper mapper(types);
  MessageEnvelope env;
  env.received_at = WallTime(kReceived);
  env.route_call = SegmentCall::kTrack;
  MappedEvent out;
  auto e = mapper.map(boost::json::parse(R"({"userId":"u","event":"Video Played"})"), env, out);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, IngestErrc::kUnknownEventType);
  EXPECT_NE(e->message.find("Video Played"), std::string::npos);
}

TEST(SegmentMapper, ExactlyTheMaximumOfTraitsIsKept) {
  const EventTypeRegistry types = shop_types();
  std::string text = R"({"userId":"u","traits":{)";
  for (size_t i = 0; i < kMaxEventProperties; ++i)
    text += (i ? "," : "") + std::string("\"t") + std::to_string(i) + "\":\"v" + std::to_string(i) +
            "\"";
  text += "}}";
  SegmentMapper mapper(types);
  MessageEnvelope env;
  env.received_at = WallTime(kReceived);
  env.route_call = SegmentCall::kIdentify;
  MappedEvent out;
  const boost::json::value message = boost::json::parse(text);
  ASSERT_FALSE(mapper.map(message, env, out).has_value());
  // And the user id on top, which is not the message's to count.
  ASSERT_EQ(out.draft.props.size(), kMaxEventProperties + 1);
  EXPECT_EQ(out.draft.props.back().name, "user_id");
  // The trait names live in the mapper: they stay intact while it grows its buffers.
  for (size_t i = 0; i < kMaxEventProperties; ++i) {
    EXPECT_EQ(out.draft.props[i].name, "traits.t" + std::to_string(i));
    EXPECT_EQ(out.draft.props[i].value.as_string(), "v" + std::to_string(i));
  }
}

}  // namespace
}  // namespace eddy

namespace eddy {
namespace {

std::map<std::string, std::string> identify_props(const std::string& traits,
                                                  const std::string& region = "") {
  const EventTypeRegistry types = shop_types();
  SegmentMapper mapper(types, region);
  MessageEnvelope env;
  env.received_at = WallTime(kReceived);
  env.route_call = SegmentCall::kIdentify;
  MappedEvent out;
  const boost::json::value message =
      boost::json::parse(R"({"userId":"u1","traits":)" + traits + "}");
  auto error = mapper.map(message, env, out);
  EXPECT_FALSE(error.has_value()) << error->message;
  std::map<std::string, std::string> props;
  for (const PropDraft& p : out.draft.props)
    props[std::string(p.name)] = render_prop_value(p.value);
  return props;
}

TEST(SegmentMapper, EmailPhoneAndCountryTraitsAreNormalisedAndTheRawKept) {
  const auto props = identify_props(
      R"({"email":" Ann@Example.COM ","phone":"044 668 18 00","country":"Deutschland",
          "name":"Ann"})",
      "CH");
  EXPECT_EQ(props.at("traits.email"), "ann@example.com");
  EXPECT_EQ(props.at("traits.email_raw"), " Ann@Example.COM ");
  EXPECT_EQ(props.at("traits.phone"), "+41446681800");
  EXPECT_EQ(props.at("traits.phone_raw"), "044 668 18 00");
  EXPECT_EQ(props.at("traits.country"), "DE");
  EXPECT_EQ(props.at("traits.country_raw"), "Deutschland");
  EXPECT_EQ(props.at("traits.name"), "Ann");
  EXPECT_FALSE(props.contains("traits.name_raw"));
}

TEST(SegmentMapper, TraitsAlreadyCanonicalOrUnreadableStayAsSentWithoutARawCopy) {
  const auto props =
      identify_props(R"({"email":"ann@example.com","phone":"044 668 18 00","country":"XX"})");
  EXPECT_EQ(props.at("traits.email"), "ann@example.com");
  EXPECT_EQ(props.at("traits.phone"), "044 668 18 00") << "no region to read it with";
  EXPECT_EQ(props.at("traits.country"), "XX");
  for (const char* raw : {"traits.email_raw", "traits.phone_raw", "traits.country_raw"})
    EXPECT_FALSE(props.contains(raw)) << raw;
}

}  // namespace
}  // namespace eddy
