#include "runtime/topology_builder.h"

#include <gtest/gtest.h>

#include "tests/harness/test_operators.h"

namespace eddy {
namespace {

using testing::test_registry;

TopologyBuilder base() {
  TopologyBuilder b("t", test_registry());
  b.accept_types({"Product Viewed", "Order Completed", "Timer Fired"});
  return b;
}

TEST(TopologyBuilder, BuildsAChainOfStages) {
  auto spec = base()
                  .stage("profiles")
                  .op("count", "keyed_counter")
                  .key_by("products", "product", [](const EventRef& e) { return e.item(); })
                  .op("per_product", "keyed_counter")
                  .sink("out", {"Order Completed"})
                  .build();
  ASSERT_TRUE(spec.is_ok()) << spec.status().to_string();
  ASSERT_EQ(spec->stage_count(), 2u);
  EXPECT_EQ(spec->stages()[1].key_name, "product");
  EXPECT_EQ(spec->find_stage("products"), StageId(1));
  EXPECT_EQ(spec->to_json().at("stages").as_array().size(), 2u);
}

TEST(TopologyBuilder, ErrorsNameTheStageThatIsWrong) {
  struct Case {
    const char* what;
    std::function<void(TopologyBuilder&)> build;
    const char* expected;
  };
  const Case cases[] = {
      {"no stage", [](TopologyBuilder&) {}, "it has no stage"},
      {"unknown operator kind",
       [](TopologyBuilder& b) { b.stage("profiles").op("x", "no_such_operator"); },
       "stage 'profiles', operator 'x': kind 'no_such_operator' is not registered"},
      {"bad operator config",
       [](TopologyBuilder& b) {
         b.stage("profiles").op("t", "timer_echo", {{"delay_ms", -1}});
       },
       "stage 'profiles', operator 't': 'delay_ms' must be a non-negative whole number"},
      {"operator names clash",
       [](TopologyBuilder& b) {
         b.stage("a")
             .op("same", "keyed_counter")
             .key_by("b", "k", [](const EventRef& e) { return e.item(); })
             .op("same", "keyed_counter");
       },
       "stage 'b', operator 'same': the name is used twice"},
      {"empty stage",
       [](TopologyBuilder& b) {
         b.stage("a").op("c", "keyed_counter").key_by("empty", "k", [](const EventRef& e) {
           return e.item();
         });
       },
       "stage 'empty' has no operators and no sinks"},
      {"key_by without selector",
       [](TopologyBuilder& b) {
         b.stage("a").op("c", "keyed_counter").key_by("b", "k", nullptr).op("d", "keyed_counter");
       },
       "stage 'b': key_by has no selector"},
      {"sink of unknown type",
       [](TopologyBuilder& b) { b.stage("a").op("c", "keyed_counter").sink("out", {"Nope"}); },
       "stage 'a', sink 'out': event type 'Nope' is not accepted by the topology"},
      {"operator before stage", [](TopologyBuilder& b) { b.op("c", "keyed_counter"); },
       "operator 'c' is declared before any stage"},
      {"second stage()",
       [](TopologyBuilder& b) { b.stage("a").op("c", "keyed_counter").stage("b"); },
       "stage 'b': only the first stage is opened with stage()"},
      {"counter of unknown type",
       [](TopologyBuilder& b) {
         b.stage("a").op("c", "keyed_counter", {{"types", boost::json::array{"Nope"}}});
       },
       "stage 'a', operator 'c': event type 'Nope' is not accepted by the topology"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    TopologyBuilder b = base();
    c.build(b);
    auto spec = b.build();
    ASSERT_FALSE(spec.is_ok());
    EXPECT_EQ(spec.status().code(), Errc::kInvalidTopology);
    EXPECT_NE(spec.status().message().find(c.expected), std::string::npos)
        << spec.status().message();
  }
}

TEST(OperatorRegistry, RefusesDuplicatesAndEmptyNames) {
  OperatorRegistry r;
  auto factory = [](const OperatorArgs&) -> Result<std::unique_ptr<Operator>> {
    return {Errc::kInternal, "unused"};
  };
  EXPECT_TRUE(r.add("mine", factory).is_ok());
  EXPECT_EQ(r.add("mine", factory).code(), Errc::kAlreadyExists);
  EXPECT_EQ(r.add("", factory).code(), Errc::kInvalidArgument);
  EXPECT_EQ(r.add("nothing", nullptr).code(), Errc::kInvalidArgument);
  EXPECT_TRUE(r.contains("mine"));
  EXPECT_FALSE(r.contains("yours"));
}

}  // namespace
}  // namespace eddy
