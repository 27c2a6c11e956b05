#include "connectors/outbound/outbound_message.h"

#include <gtest/gtest.h>

#include <vector>

#include "runtime/batch_builder.h"
#include "runtime/event_types.h"

namespace eddy {
namespace {

EventBatch batch_with(const EventTypeRegistry& types, std::vector<PropDraft> props) {
  BatchBuilder b;
  EventDraft d;
  d.key = "u1";
  d.type = types.find("Cart Abandoned");
  d.time = EventTime(1000);
  d.props = props;
  b.add(d);
  return b.finish();
}

TEST(WebhookId, IsTheTriggerIdWhenItIsHeaderSafe) {
  EventTypeRegistry types;
  types.add_all({"Cart Abandoned"});
  const EventBatch b = batch_with(types, {{"trigger_id", PropValue::of_string("ca_u1_17")}});
  EXPECT_EQ(webhook_id_for(EventRef(b.events[0], *b.payload), "{}"), "ca_u1_17");
  const EventBatch n = batch_with(types, {{"trigger_id", PropValue::of_int(42)}});
  EXPECT_EQ(webhook_id_for(EventRef(n.events[0], *n.payload), "{}"), "42");
}

TEST(WebhookId, HashesTheBodyWithoutATriggerIdAndIsStable) {
  EventTypeRegistry types;
  types.add_all({"Cart Abandoned"});
  const EventBatch b = batch_with(types, {});
  const EventRef e(b.events[0], *b.payload);
  const std::string id = webhook_id_for(e, R"({"key":"u1"})");
  EXPECT_EQ(id.size(), 4u + 32u);
  EXPECT_TRUE(id.starts_with("evt_"));
  EXPECT_EQ(id, webhook_id_for(e, R"({"key":"u1"})"));
  EXPECT_NE(id, webhook_id_for(e, R"({"key":"u2"})"));
}

TEST(WebhookId, HashesATriggerIdThatIsNotHeaderSafe) {
  EventTypeRegistry types;
  types.add_all({"Cart Abandoned"});
  for (std::string_view bad : {"has space", "line\r\nbreak", "", "caf\xc3\xa9"}) {
    SCOPED_TRACE(std::string(bad));
    const EventBatch b = batch_with(types, {{"trigger_id", PropValue::of_string(bad)}});
    const EventRef e(b.events[0], *b.payload);
    const std::string id = webhook_id_for(e, "{}");
    EXPECT_TRUE(id.starts_with("evt_"));
    EXPECT_EQ(id, webhook_id_for(e, "{}"));
  }
}

}  // namespace
}  // namespace eddy
