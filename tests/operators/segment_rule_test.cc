#include "operators/segment_rule.h"

#include <gtest/gtest.h>

#include <map>

namespace eddy {
namespace {

// A catalog whose features read from per-slot maps the test fills in.
struct Profiles {
  std::map<uint32_t, std::map<std::string, FeatureValue>> values;
  std::map<std::string, std::string> texts;  // owns string feature values
  FeatureCatalog catalog;

  Profiles() {
    add("rfm.m", FeatureValue::Kind::kNumber);
    add("rfm.segment", FeatureValue::Kind::kString);
    add("lifecycle", FeatureValue::Kind::kString);
    add("counters.product_views_7d", FeatureValue::Kind::kNumber);
    add("sessions.current.converted", FeatureValue::Kind::kBool);
    add("last_order_at", FeatureValue::Kind::kNumber);
  }
  void add(const std::string& path, FeatureValue::Kind kind) {
    (void)catalog.add(path, kind, [this, path](uint32_t slot, EventTime) {
      auto s = values.find(slot);
      if (s == values.end()) return FeatureValue::missing();
      auto v = s->second.find(path);
      return v == s->second.end() ? FeatureValue::missing() : v->second;
    });
  }
  void set(uint32_t slot, const std::string& path, double v) {
    values[slot][path] = FeatureValue::of_number(v);
  }
  void set(uint32_t slot, const std::string& path, const std::string& v) {
    texts[path + std::to_string(slot)] = v;
    values[slot][path] = FeatureValue::of_string(texts[path + std::to_string(slot)]);
  }
  void set(uint32_t slot, const std::string& path, bool v) {
    values[slot][path] = FeatureValue::of_bool(v);
  }
};

TEST(SegmentRule, EvaluatesComparisonsLogicAndLists) {
  Profiles p;
  p.set(0, "rfm.m", 4.0);
  p.set(0, "rfm.segment", std::string("Champions"));
  p.set(0, "lifecycle", std::string("retention"));
  p.set(0, "counters.product_views_7d", 7.0);
  p.set(0, "sessions.current.converted", false);
  const std::pair<const char*, bool> cases[] = {
      {"rfm.m >= 4", true},
      {"rfm.m > 4", false},
      {"rfm.m == 4 and lifecycle == \"retention\"", true},
      {"rfm.m < 2 or counters.product_views_7d > 5", true},
      {"not rfm.m < 2", true},
      {"rfm.segment in [\"Champions\", \"Loyal Customers\"]", true},
      {"rfm.segment in [\"At Risk\"]", false},
      {"lifecycle != \"dormant\"", true},
      {"not sessions.current.converted and counters.product_views_7d > 5", true},
      {"sessions.current.converted == false", true},
      {"(rfm.m >= 4 or rfm.m <= 1) and not (lifecycle == \"dormant\")", true},
      {"rfm.m >= 4.5", false},
      {"rfm.m > -1", true},
  };
  for (const auto& [text, expected] : cases) {
    SCOPED_TRACE(text);
    auto rule = SegmentRule::compile(text, p.catalog);
    ASSERT_TRUE(rule.is_ok()) << rule.status().to_string();
    EXPECT_EQ(rule->matches(0, EventTime(0)), expected);
  }
}

TEST(SegmentRule, AMissingFeatureNeverMakesARuleTrue) {
  Profiles p;  // slot 1 has nothing at all
  for (const char* text : {"rfm.m >= 4", "rfm.m < 4", "not rfm.m >= 4", "not (rfm.m < 4)",
                           "rfm.segment in [\"Champions\"]", "not rfm.segment in [\"Champions\"]",
                           "sessions.current.converted", "not sessions.current.converted",
                           "days_since(last_order_at) > 30"}) {
    SCOPED_TRACE(text);
    auto rule = SegmentRule::compile(text, p.catalog);
    ASSERT_TRUE(rule.is_ok()) << rule.status().to_string();
    EXPECT_FALSE(rule->matches(1, EventTime(0)));
  }
  // Unknown or true is true; unknown and false is false.
  auto either = SegmentRule::compile("rfm.m >= 4 or true == true", p.catalog);
  ASSERT_TRUE(either.is_ok());
  EXPECT_TRUE(either->matches(1, EventTime(0)));
}

TEST(SegmentRule, DaysSinceCountsWholeDaysToNow) {
  Profiles p;
  p.set(0, "last_order_at", 0.0);
  auto rule = SegmentRule::compile("days_since(last_order_at) >= 30", p.catalog);
  ASSERT_TRUE(rule.is_ok());
  EXPECT_TRUE(rule->depends_on_time());
  EXPECT_FALSE(rule->matches(0, EventTime(30 * kMillisPerDay - 1)));
  EXPECT_TRUE(rule->matches(0, EventTime(30 * kMillisPerDay)));
}

TEST(SegmentRule, ErrorsGiveThePositionAndTheReason) {
  Profiles p;
  const std::tuple<const char*, size_t, const char*> cases[] = {
      {"", 0, "the rule is empty"},
      {"rfm.x >= 4", 0, "unknown feature 'rfm.x'"},
      {"rfm.m >= \"high\"", 9, "cannot compare a number with a string"},
      {"rfm.m >= ", 9, "expected a number, a string, true or false, got 'end of rule'"},
      {"rfm.m = 4", 6, "expected '=='"},
      {"rfm.m >= 4 and", 14, "expected a number, a string, true or false"},
      {"(rfm.m >= 4", 11, "expected ')'"},
      {"rfm.m", 0, "a condition must be a boolean, this is a number"},
      {"rfm.segment in [\"A\", 3]", 21, "list item is a number, expected a string"},
      {"rfm.segment in \"A\"", 15, "expected '[' after 'in'"},
      {"rfm.m >= 4 rfm.m", 11, "unexpected 'rfm.m'"},
      {"rfm.m # 4", 6, "unexpected character '#'"},
      {"lifecycle == \"open", 13, "the string is not closed"},
      {"days_since(lifecycle) > 3", 11,
       "days_since needs a time (milliseconds), 'lifecycle' is a string"},
      {"sessions.current.converted > true", 27, "'>' does not apply to booleans"},
  };
  for (const auto& [text, pos, reason] : cases) {
    SCOPED_TRACE(text);
    SegmentRule::Error err;
    auto rule = SegmentRule::compile(text, p.catalog, &err);
    ASSERT_FALSE(rule.is_ok());
    EXPECT_EQ(err.position, pos) << err.reason;
    EXPECT_NE(err.reason.find(reason), std::string::npos) << err.reason;
    EXPECT_NE(rule.status().message().find("at " + std::to_string(pos) + ": "), std::string::npos);
  }
}

// A family of features whose values say their own kind, as traits do: the test's per-slot values
// under "traits.<name>".
void add_traits(Profiles& p) {
  ASSERT_TRUE(p.catalog
                  .add_family("traits.", FeatureCatalog::kAnyKind,
                              [&p](std::string_view name) -> FeatureCatalog::Getter {
                                const std::string path = "traits." + std::string(name);
                                return [&p, path](uint32_t slot, EventTime) {
                                  auto s = p.values.find(slot);
                                  if (s == p.values.end()) return FeatureValue::missing();
                                  auto v = s->second.find(path);
                                  return v == s->second.end() ? FeatureValue::missing() : v->second;
                                };
                              })
                  .is_ok());
}

TEST(SegmentRule, AFeatureOfAnyKindIsComparedAsTheOtherSideSays) {
  Profiles p;
  add_traits(p);
  p.set(0, "traits.plan", std::string("pro"));
  p.set(0, "traits.age", 41.0);
  p.set(0, "traits.vip", true);
  p.set(1, "traits.plan", 3.0);  // a customer whose plan came as a number
  p.set(1, "traits.age", std::string("forty"));
  p.set(1, "traits.vip", std::string("yes"));
  const std::tuple<const char*, bool, bool> cases[] = {
      {"traits.plan == \"pro\"", true, false},
      // Of another kind, the value is missing: neither equal nor unequal.
      {"traits.plan != \"pro\"", false, false},
      {"traits.age >= 30", true, false},
      {"not traits.age >= 30", false, false},
      {"traits.vip", true, false},
      {"traits.vip == true and traits.plan in [\"pro\", \"team\"]", true, false},
      {"traits.plan in [3, 4]", false, true},
      {"traits.missing == \"x\" or traits.age < 50", true, false},
      {"days_since(traits.age) > 0", true, false},
      // Each comparison takes its own kind.
      {"traits.age >= 30 or traits.age == \"forty\"", true, true},
  };
  for (const auto& [text, first, second] : cases) {
    SCOPED_TRACE(text);
    auto rule = SegmentRule::compile(text, p.catalog);
    ASSERT_TRUE(rule.is_ok()) << rule.status().to_string();
    EXPECT_EQ(rule->matches(0, EventTime(kMillisPerDay * 2)), first);
    EXPECT_EQ(rule->matches(1, EventTime(kMillisPerDay * 2)), second);
    EXPECT_FALSE(rule->depends_on_time() &&
                 std::string_view(text).find("days_since") == std::string_view::npos);
  }
  EXPECT_EQ(p.catalog.find("traits.plan"), p.catalog.find("traits.plan")) << "one feature per path";
  EXPECT_EQ(p.catalog.find("traits."), nullptr);

  const std::tuple<const char*, size_t, const char*> errors[] = {
      {"traits.vip > true", 11, "'>' does not apply to booleans"},
      {"traits.plan in [\"a\", 3]", 21, "list item is a number, expected a string"},
      {"traits.plan == 3 == 4", 17, "unexpected '=='"},
  };
  for (const auto& [text, pos, reason] : errors) {
    SCOPED_TRACE(text);
    SegmentRule::Error err;
    ASSERT_FALSE(SegmentRule::compile(text, p.catalog, &err).is_ok());
    EXPECT_EQ(err.position, pos) << err.reason;
    EXPECT_NE(err.reason.find(reason), std::string::npos) << err.reason;
  }
}

TEST(SegmentRule, RefusesOverlongRules) {
  Profiles p;
  std::string text = "rfm.m >= 1";
  while (text.size() <= 4096)
    text += " and rfm.m >= 1";
  EXPECT_FALSE(SegmentRule::compile(text, p.catalog).is_ok());
}

}  // namespace
}  // namespace eddy
