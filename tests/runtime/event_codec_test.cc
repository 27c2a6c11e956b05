#include "runtime/event_codec.h"

#include <gtest/gtest.h>

#include "runtime/sink.h"

namespace eddy {
namespace {

EventBatch sample(const EventTypeRegistry& types) {
  BatchBuilder b;
  PropDraft props[] = {{"campaign", PropValue::of_string("c1")},
                       {"n", PropValue::of_int(4)},
                       {"x", PropValue::of_double(0.25)},
                       {"ok", PropValue::of_bool(false)},
                       {"nothing", PropValue()}};
  EventDraft d;
  d.key = "u1";
  d.type = types.find("Order Completed");
  d.time = EventTime(1700000000000);
  d.amount = 42.5;
  d.quantity = 3;
  d.item = "sku";
  d.props = props;
  d.offset = LogOffset(9);
  b.add(d);
  d.key = "u2";
  d.props = {};
  b.add(d);
  return b.finish();
}

TEST(EventCodec, RoundTripsEveryField) {
  EventTypeRegistry types;
  types.add_all({"Product Viewed", "Order Completed"});
  EventBatch in = sample(types);
  std::string bytes = encode_events(in, types);

  BatchBuilder out;
  ASSERT_TRUE(
      decode_events({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, types, out)
          .is_ok());
  EventBatch decoded = out.finish();
  CollectingSink a, b;
  a.write(in);
  b.write(decoded);
  EXPECT_EQ(a.records(), b.records());
  EXPECT_EQ(decoded.events[0].offset, LogOffset(9));
}

TEST(EventCodec, UnknownTypeNameDecodesAsUnknown) {
  EventTypeRegistry writer;
  writer.add_all({"Order Completed"});
  std::string bytes = encode_events(sample(writer), writer);
  EventTypeRegistry reader;
  reader.add_all({"Product Viewed"});
  BatchBuilder out;
  ASSERT_TRUE(
      decode_events({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, reader, out)
          .is_ok());
  EXPECT_EQ(out.at(0).type(), EventTypeRegistry::kUnknown);
}

TEST(EventCodec, RejectsCorruptAndTruncatedBuffers) {
  EventTypeRegistry types;
  types.add_all({"Order Completed"});
  std::string bytes = encode_events(sample(types), types);
  // The verifier checks structure; bytes flipped inside a string are the log's CRC's job.
  for (size_t cut : {size_t{0}, size_t{3}, bytes.size() / 2}) {
    BatchBuilder out;
    Status s = decode_events({reinterpret_cast<const uint8_t*>(bytes.data()), cut}, types, out);
    EXPECT_EQ(s.code(), Errc::kCorrupt) << "cut at " << cut;
  }
  std::string garbage(bytes.size(), '\xff');
  BatchBuilder out;
  EXPECT_EQ(
      decode_events({reinterpret_cast<const uint8_t*>(garbage.data()), garbage.size()}, types, out)
          .code(),
      Errc::kCorrupt);
}

}  // namespace
}  // namespace eddy
