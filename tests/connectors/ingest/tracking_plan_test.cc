#include "connectors/ingest/tracking_plan.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <boost/json/parse.hpp>
#include <cstdio>
#include <fstream>

namespace eddy {
namespace {

using V = TrackingPlanViolation;

constexpr std::string_view kPlan = R"({
  "events": {
    "Order Completed": {
      "properties": {
        "order_id": {"type": "string", "required": true},
        "revenue": {"type": "number", "required": true},
        "products": {"type": "array"},
        "coupon": {"type": ["string", "null"]},
        "items": {"type": "integer"},
        "note": {"description": "any type"}
      },
      "allow_other_properties": true
    },
    "Product Viewed": {
      "properties": {"product_id": {"type": "string", "required": true}},
      "allow_other_properties": false
    }
  },
  "traits": {"email": {"type": "string", "required": true}, "age": {"type": "integer"}}
})";

TrackingPlan plan_of(std::string_view json) {
  auto plan = TrackingPlan::parse(json);
  EXPECT_TRUE(plan.is_ok()) << plan.status().to_string();
  return plan ? std::move(plan).value() : TrackingPlan();
}

std::vector<V> check(const TrackingPlan& plan, std::string_view message,
                     SegmentCall call = SegmentCall::kTrack) {
  return plan.validate(boost::json::parse(message).as_object(), call);
}

TEST(TrackingPlan, AnEventThatKeepsToThePlanPasses) {
  const TrackingPlan plan = plan_of(kPlan);
  EXPECT_EQ(check(plan, R"({"event":"Order Completed","properties":{"order_id":"o1",
      "revenue":12.5,"products":[],"coupon":null,"items":3,"note":{},"extra":true}})"),
            std::vector<V>{});
}

TEST(TrackingPlan, ARequiredPropertyMustBeSent) {
  const TrackingPlan plan = plan_of(kPlan);
  EXPECT_EQ(check(plan, R"({"event":"Order Completed","properties":{"order_id":"o1"}})"),
            (std::vector<V>{{"properties.revenue", "required"}}));
  EXPECT_EQ(
      check(plan, R"({"event":"Order Completed"})"),
      (std::vector<V>{{"properties.order_id", "required"}, {"properties.revenue", "required"}}))
      << "no properties at all misses every required one";
}

TEST(TrackingPlan, AWrongTypeIsNamedWithWhatWasSent) {
  const TrackingPlan plan = plan_of(kPlan);
  const std::pair<std::string, V> cases[] = {
      {R"("revenue":"12.5")", {"properties.revenue", "expected number, got string"}},
      {R"("revenue":null)", {"properties.revenue", "expected number, got null"}},
      {R"("products":{"a":1})", {"properties.products", "expected array, got object"}},
      {R"("items":1.5)", {"properties.items", "expected integer, got number"}},
      {R"("coupon":3)", {"properties.coupon", "expected string or null, got integer"}},
      {R"("coupon":false)", {"properties.coupon", "expected string or null, got boolean"}},
  };
  for (const auto& [property, expected] : cases) {
    SCOPED_TRACE(property);
    const std::string message = R"({"event":"Order Completed","properties":{"order_id":"o1",
        "revenue":1,)" + property +
                                "}}";
    const auto got = check(plan, message);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0], expected);
  }
}

TEST(TrackingPlan, IntegersAreNumbersAndWholeNumbersAreIntegers) {
  const TrackingPlan plan = plan_of(kPlan);
  EXPECT_EQ(check(plan, R"({"event":"Order Completed","properties":{"order_id":"o1",
      "revenue":12,"items":2.0}})"),
            std::vector<V>{})
      << "12 is a number; 2.0 is an integer, as in JSON Schema";
  EXPECT_EQ(check(plan, R"({"event":"Order Completed","properties":{"order_id":"o1",
      "revenue":1,"items":18446744073709551615}})"),
            std::vector<V>{});
}

TEST(TrackingPlan, PropertiesOutsideThePlanBreakItOnlyWhereItSaysSo) {
  const TrackingPlan plan = plan_of(kPlan);
  EXPECT_EQ(check(plan, R"({"event":"Product Viewed","properties":{"product_id":"p",
      "colour":"red"}})"),
            (std::vector<V>{{"properties.colour", "not in the plan"}}));
}

TEST(TrackingPlan, UnplannedEventsPassUnlessThePlanSaysOtherwise) {
  EXPECT_EQ(check(plan_of(kPlan), R"({"event":"Cart Viewed","properties":{"x":1}})"),
            std::vector<V>{});
  const TrackingPlan strict =
      plan_of(R"({"events":{"Order Completed":{}},"allow_unplanned_events":false})");
  EXPECT_EQ(check(strict, R"({"event":"Cart Viewed"})"),
            (std::vector<V>{{"event", "not in the plan"}}));
  EXPECT_EQ(check(strict, R"({"event":"Order Completed","properties":{"any":1}})"),
            std::vector<V>{});
  EXPECT_EQ(check(strict, R"({"userId":"u"})", SegmentCall::kPage), std::vector<V>{})
      << "only track calls name events";
}

TEST(TrackingPlan, IdentifyTraitsAreCheckedAtTheTopAndInTheContext) {
  const TrackingPlan plan = plan_of(kPlan);
  EXPECT_EQ(check(plan, R"({"traits":{"email":"a@b.c","age":40}})", SegmentCall::kIdentify),
            std::vector<V>{});
  EXPECT_EQ(check(plan, R"({"traits":{"age":"forty"}})", SegmentCall::kIdentify),
            (std::vector<V>{{"traits.age", "expected integer, got string"},
                            {"traits.email", "required"}}));
  EXPECT_EQ(
      check(plan, R"({"context":{"traits":{"email":"a@b.c","age":4.5}}})", SegmentCall::kIdentify),
      (std::vector<V>{{"context.traits.age", "expected integer, got number"}}))
      << "a required trait sent in context.traits is there";
  EXPECT_EQ(check(plan, R"({"traits":{"email":7}})", SegmentCall::kTrack), std::vector<V>{})
      << "traits of other calls are not checked";
}

TEST(TrackingPlan, CollectsAtMostTheCapOfViolations) {
  const TrackingPlan plan = plan_of(kPlan);
  std::string message = R"({"event":"Product Viewed","properties":{)";
  for (int i = 0; i < 50; ++i)
    message += "\"p" + std::to_string(i) + "\":1,";
  message += R"("product_id":"p"}})";
  EXPECT_EQ(check(plan, message).size(), kMaxTrackingPlanViolations);
}

TEST(TrackingPlan, AnEmptyPlanChecksNothing) {
  const TrackingPlan plan = plan_of("{}");
  EXPECT_EQ(check(plan, R"({"event":"Anything","properties":{"a":1}})"), std::vector<V>{});
  EXPECT_EQ(check(plan, R"({"traits":{"a":1}})", SegmentCall::kIdentify), std::vector<V>{});
}

TEST(TrackingPlan, ABadPlanSaysWhereAndWhat) {
  const std::pair<std::string, std::string> cases[] = {
      {"{", "not JSON"},
      {"[]", "the plan must be a JSON object"},
      {R"({"event":{}})", "the plan has an unknown key 'event'"},
      {R"({"events":[]})", "'events' must be an object"},
      {R"({"events":{"Order Completed":1}})", "event 'Order Completed' must be an object"},
      {R"({"events":{"Order Completed":{"props":{}}}})",
       "event 'Order Completed' has an unknown key 'props'"},
      {R"({"events":{"Order Completed":{"properties":[]}}})",
       "event 'Order Completed': must be an object of field names"},
      {R"({"events":{"Order Completed":{"properties":{"revenue":"number"}}}})",
       "event 'Order Completed': property 'revenue' must be an object"},
      {R"({"events":{"Order Completed":{"properties":{"revenue":{"type":"numbr"}}}}})",
       "event 'Order Completed': property 'revenue' has an unknown type 'numbr'"},
      {R"({"events":{"Order Completed":{"properties":{"revenue":{"type":[]}}}}})",
       "property 'revenue': 'type' must be a type name or a non-empty list"},
      {R"({"events":{"Order Completed":{"properties":{"revenue":{"type":["string",1]}}}}})",
       "property 'revenue': 'type' lists something that is not a name"},
      {R"({"events":{"Order Completed":{"properties":{"revenue":{"requried":true}}}}})",
       "property 'revenue' has an unknown key 'requried'"},
      {R"({"events":{"Order Completed":{"properties":{"revenue":{"required":"yes"}}}}})",
       "property 'revenue': 'required' must be true or false"},
      {R"({"events":{"Order Completed":{"allow_other_properties":1}}})",
       "event 'Order Completed': 'allow_other_properties' must be true or false"},
      {R"({"allow_unplanned_events":"no"})", "'allow_unplanned_events' must be true or false"},
      {R"({"traits":{"age":{"type":"int"}}})", "'traits' trait 'age' has an unknown type 'int'"},
  };
  for (const auto& [json, expected] : cases) {
    SCOPED_TRACE(json);
    auto plan = TrackingPlan::parse(json);
    ASSERT_FALSE(plan.is_ok());
    EXPECT_EQ(plan.status().code(), Errc::kInvalidArgument);
    EXPECT_NE(plan.status().message().find(expected), std::string::npos) << plan.status().message();
    EXPECT_TRUE(plan.status().message().starts_with("tracking plan: ")) << plan.status().message();
  }
}

TEST(TrackingPlan, LoadNamesTheFile) {
  const std::string path =
      ::testing::TempDir() + "eddy_tracking_plan_" + std::to_string(::getpid()) + ".json";
  std::ofstream(path) << R"({"events":{"Order Completed":{"properties":{"x":{"type":"nope"}}}}})";
  auto bad = TrackingPlan::load(path);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_TRUE(bad.status().message().starts_with(path + ": tracking plan: "))
      << bad.status().message();
  std::ofstream(path) << kPlan;
  EXPECT_TRUE(TrackingPlan::load(path).is_ok());
  auto missing = TrackingPlan::load(path + ".missing");
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().code(), Errc::kIo);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace eddy
