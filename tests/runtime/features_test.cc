#include "runtime/features.h"

#include <gtest/gtest.h>

#include "runtime/stage_instance.h"
#include "runtime/topology_builder.h"
#include "tests/harness/test_operators.h"

namespace eddy {
namespace {

TEST(FeatureCatalog, FindsWhatWasDeclaredAndRefusesDuplicates) {
  FeatureCatalog c;
  ASSERT_TRUE(c.add("rfm.m", FeatureValue::Kind::kNumber, [](uint32_t slot, EventTime) {
                 return FeatureValue::of_number(slot * 2.0);
               }).is_ok());
  EXPECT_EQ(c.add("rfm.m", FeatureValue::Kind::kNumber,
                  [](uint32_t, EventTime) { return FeatureValue(); })
                .code(),
            Errc::kAlreadyExists);
  EXPECT_EQ(c.add("x", FeatureValue::Kind::kNumber, nullptr).code(), Errc::kInvalidArgument);
  const auto* f = c.find("rfm.m");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->get(21, EventTime(0)).number, 42.0);
  EXPECT_EQ(c.find("rfm.r"), nullptr);
  EXPECT_EQ(c.paths(), std::vector<std::string>{"rfm.m"});
}

TEST(FeatureCatalog, AFamilyMakesAFeatureForEveryNameUnderItsPrefix) {
  FeatureCatalog c;
  std::vector<std::string> made;
  ASSERT_TRUE(c.add("traits.count", FeatureValue::Kind::kNumber, [](uint32_t, EventTime) {
                 return FeatureValue::of_number(1);
               }).is_ok());
  ASSERT_TRUE(c.add_family("traits.", FeatureCatalog::kAnyKind,
                           [&made](std::string_view name) -> FeatureCatalog::Getter {
                             made.emplace_back(name);
                             if (name == "forbidden") return nullptr;
                             return [n = std::string(name)](uint32_t slot, EventTime) {
                               return FeatureValue::of_number(static_cast<double>(n.size() + slot));
                             };
                           })
                  .is_ok());
  const auto* plan = c.find("traits.plan");
  ASSERT_NE(plan, nullptr);
  EXPECT_EQ(plan->path, "traits.plan");
  EXPECT_EQ(plan->kind, FeatureCatalog::kAnyKind);
  EXPECT_EQ(plan->get(1, EventTime(0)).number, 5.0);
  EXPECT_EQ(c.find("traits.plan"), plan) << "made once, the same feature afterwards";
  EXPECT_EQ(c.find("traits.count")->get(0, EventTime(0)).number, 1.0) << "declared comes first";
  EXPECT_EQ(c.find("traits."), nullptr);
  EXPECT_EQ(c.find("traits.forbidden"), nullptr);
  EXPECT_EQ(made, (std::vector<std::string>{"plan", "forbidden"}));
  EXPECT_EQ(c.paths(), std::vector<std::string>{"traits.count"}) << "members are not listed";
  auto getter = [](std::string_view) -> FeatureCatalog::Getter { return nullptr; };
  EXPECT_EQ(c.add_family("traits.x", FeatureCatalog::kAnyKind, getter).code(),
            Errc::kAlreadyExists);
  EXPECT_EQ(c.add_family("", FeatureCatalog::kAnyKind, getter).code(), Errc::kInvalidArgument);
  EXPECT_EQ(c.add_family("other.", FeatureCatalog::kAnyKind, nullptr).code(),
            Errc::kInvalidArgument);
}

// Declares "<label>.count" and reads the feature named in "reads"; a missing one fails the build.
class FeatureUser final : public Operator {
 public:
  explicit FeatureUser(std::string reads) : reads_(std::move(reads)) {}
  void on_new_slot(uint32_t) override {}
  Flow on_event(const EventRef&, Context&) override { return Flow::kPass; }
  void snapshot(StateWriter&) const override {}
  Status restore(StateReader&, uint32_t) override { return {}; }
  Status declare_features(FeatureCatalog& c) override {
    return c.add("user.constant", FeatureValue::Kind::kNumber,
                 [](uint32_t, EventTime) { return FeatureValue::of_number(7); });
  }
  Status bind_features(const FeatureCatalog& c) override {
    if (c.find(reads_) == nullptr) return {Errc::kNotFound, "unknown feature '" + reads_ + "'"};
    return {};
  }

 private:
  std::string reads_;
};

TEST(FeatureCatalog, AnUnknownFeatureFailsTheTopologyBuildNamingTheOperator) {
  auto registry = testing::test_registry();
  ASSERT_TRUE(registry
                  ->add("feature_user",
                        [](const OperatorArgs& a) -> Result<std::unique_ptr<Operator>> {
                          return std::unique_ptr<Operator>(std::make_unique<FeatureUser>(
                              std::string(a.config.at("reads").as_string())));
                        })
                  .is_ok());
  auto good = TopologyBuilder("t", registry)
                  .accept_types({"Product Viewed"})
                  .stage("s")
                  .op("u", "feature_user", {{"reads", "user.constant"}})
                  .build();
  EXPECT_TRUE(good.is_ok()) << good.status().to_string();
  auto bad = TopologyBuilder("t", registry)
                 .accept_types({"Product Viewed"})
                 .stage("s")
                 .op("u", "feature_user", {{"reads", "rfm.nope"}})
                 .build();
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("stage 's', operator 'u': unknown feature 'rfm.nope'"),
            std::string::npos)
      << bad.status().message();
}

}  // namespace
}  // namespace eddy
