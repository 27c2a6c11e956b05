#include "runtime/batch_builder.h"

#include <gtest/gtest.h>

#include "runtime/key_hash.h"

namespace eddy {
namespace {

TEST(BatchBuilder, KeepsEveryFieldAndProperty) {
  BatchBuilder b;
  PropDraft props[] = {{"campaign", PropValue::of_string("spring")},
                       {"price", PropValue::of_double(9.5)},
                       {"count", PropValue::of_int(-3)},
                       {"gift", PropValue::of_bool(true)},
                       {"none", PropValue()}};
  EventDraft d;
  d.key = "u1";
  d.type = EventType(7);
  d.time = EventTime(1234);
  d.amount = 19.99;
  d.quantity = 2;
  d.item = "sku-9";
  d.props = props;
  d.offset = LogOffset(77);
  b.add(d);
  EventBatch batch = b.finish();
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_TRUE(b.empty());

  EventRef e(batch.events[0], *batch.payload);
  EXPECT_EQ(e.key(), "u1");
  EXPECT_EQ(e.key_hash(), hash_key("u1"));
  EXPECT_EQ(e.type(), EventType(7));
  EXPECT_EQ(e.time(), EventTime(1234));
  EXPECT_EQ(e.amount(), 19.99);
  EXPECT_EQ(e.quantity(), 2);
  EXPECT_EQ(e.item(), "sku-9");
  EXPECT_EQ(e.offset(), LogOffset(77));
  ASSERT_EQ(e.prop_count(), 5u);
  EXPECT_EQ(e.prop("campaign").as_string(), "spring");
  EXPECT_EQ(e.prop("price").as_number(), 9.5);
  EXPECT_EQ(e.prop("count").as_int(), -3);
  EXPECT_TRUE(e.prop("gift").as_bool());
  EXPECT_TRUE(e.prop("none").is_null());
  EXPECT_TRUE(e.prop("absent").is_null());
}

TEST(BatchBuilder, CopiesAndRekeysEventsFromAnotherBatch) {
  BatchBuilder first;
  PropDraft props[] = {{"p", PropValue::of_string("v")}};
  EventDraft d;
  d.key = "customer";
  d.item = "product";
  d.props = props;
  first.add(d);
  EventBatch a = first.finish();

  BatchBuilder second;
  EventRef src(a.events[0], *a.payload);
  second.add_rekeyed(src, "product", hash_key("product"));
  second.add(src);
  EventBatch b = second.finish();
  a = EventBatch();  // the copy must not depend on the source batch any more

  EventRef rekeyed(b.events[0], *b.payload);
  EXPECT_EQ(rekeyed.key(), "product");
  EXPECT_EQ(rekeyed.key_hash(), hash_key("product"));
  EXPECT_EQ(rekeyed.prop("p").as_string(), "v");
  EventRef copied(b.events[1], *b.payload);
  EXPECT_EQ(copied.key(), "customer");
  EXPECT_EQ(copied.item(), "product");
}

TEST(BatchBuilder, ReferencesStayValidWhileTheBatchGrows) {
  BatchBuilder b;
  EventDraft d;
  d.key = "first";
  EventRef first = b.add(d);
  for (int i = 0; i < 1000; ++i) {
    std::string key = "k" + std::to_string(i);
    d.key = key;
    b.add(d);
  }
  EXPECT_EQ(first.key(), "first");
}

}  // namespace
}  // namespace eddy
