// Segments re-check a rule after an event only when the event can change a feature the rule reads
// (FeatureCatalog::Feature::changed_by), and leave changes with time to the sweep. That is only
// right if every declaration is: this drives random journeys through the default topology's
// profile stage and checks, around every event and every watermark step, that a feature changed
// only when an event of a type it names reached the stage (the event itself, or one an operator
// emitted meanwhile), and that what changes with time alone is declared so.

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "operators/builtin.h"
#include "runtime/key_hash.h"
#include "tests/harness/instance_driver.h"
#include "topologies/ecommerce/ecommerce.h"

namespace eddy {
namespace {

using testing::ev;
using testing::InstanceDriver;
using testing::Step;

constexpr int64_t kT0 = 1'700'000'000'000;
constexpr int kKeys = 30;

// A feature's value, with its text copied: views are valid only until the operator runs again.
struct Seen {
  FeatureValue::Kind kind;
  double number;
  std::string text;
  bool flag;
  bool operator==(const Seen&) const = default;
};

Seen seen(const FeatureValue& v) {
  return {v.kind, v.kind == FeatureValue::Kind::kNumber ? v.number : 0, std::string(v.text),
          v.flag};
}

std::string key_of(int i) {
  return "c" + std::to_string(i);
}

Step random_event(std::mt19937_64& random, int64_t t) {
  const std::string key = key_of(static_cast<int>(random() % kKeys));
  const std::string product = "p" + std::to_string(random() % 8);
  const std::string campaign = "m" + std::to_string(random() % 3);
  switch (random() % 12) {
    case 0:
    case 1:
    case 2:
    case 3:
      return ev(key, "Product Viewed", t).item(product).amount(10);
    case 4:
      return ev(key, "page", t);
    case 5:
    case 6:
      return ev(key, "Product Added", t).item(product).amount(25).quantity(1);
    case 7:
      return ev(key, "Product Removed", t).item(product).amount(25).quantity(1);
    case 8:
      return ev(key, "Order Completed", t).amount(static_cast<double>(5 + random() % 200));
    case 9:
      return ev(key, "Email Opened", t).item(campaign);
    case 10:
      return ev(key, "Email Link Clicked", t).item(campaign);
    default:
      return ev(key, "identify", t).prop("traits.plan", random() % 2 ? "pro" : "free");
  }
}

class FeatureChanges {
 public:
  explicit FeatureChanges(InstanceDriver& d) : d_(d) {}

  // Every declared feature of `key` (of every key that has a slot, when empty), at `now`.
  std::map<std::pair<std::string, std::string>, Seen> values(int64_t now,
                                                             const std::string& key = {}) {
    std::map<std::pair<std::string, std::string>, Seen> out;
    StageInstance& inst = d_.instance();
    for (int i = 0; i < kKeys; ++i) {
      if (!key.empty() && key != key_of(i)) continue;
      const auto slot = inst.slots().find(hash_key(key_of(i)));
      if (!slot) continue;
      for (const std::string& path : inst.features().paths()) {
        const FeatureCatalog::Feature* f = inst.features().find(path);
        out[{key_of(i), path}] = seen(f->get(*slot, EventTime(now)));
      }
    }
    return out;
  }

  // The types of what reached the output for `key` since output `from`.
  std::set<EventType> types_since(size_t from, const std::string& key) const {
    std::set<EventType> out;
    for (size_t i = from; i < d_.outputs().size(); ++i) {
      if (d_.outputs()[i].key == key) out.insert(d_.outputs()[i].type);
    }
    return out;
  }

  // Fails for each feature of `key` that changed though no type it names reached the stage for the
  // key; `with_time` lets features declared to change with time change anyway.
  void expect_declared(const std::map<std::pair<std::string, std::string>, Seen>& before,
                       const std::map<std::pair<std::string, std::string>, Seen>& after,
                       size_t outputs_before, bool with_time, const std::string& what) {
    const FeatureCatalog& catalog = d_.instance().features();
    for (const auto& [id, value] : after) {
      auto was = before.find(id);
      if (was == before.end() || was->second == value) continue;
      const FeatureCatalog::Feature* f = catalog.find(id.second);
      if (f->changed_by.empty()) continue;  // any event: nothing to check
      if (with_time && f->changes == FeatureCatalog::Changes::kAlsoWithTime) continue;
      bool named = false;
      for (EventType t : types_since(outputs_before, id.first)) {
        named = named ||
                std::find(f->changed_by.begin(), f->changed_by.end(), t) != f->changed_by.end();
      }
      EXPECT_TRUE(named) << id.second << " of " << id.first << " changed on " << what
                         << " without an event of a type it names";
      ++checked_;
    }
  }

  size_t checked() const { return checked_; }

 private:
  InstanceDriver& d_;
  size_t checked_ = 0;
};

TEST(FeatureChanges, EveryFeatureChangesOnlyWithTheEventTypesItNamesOrWithTime) {
  EcommerceSettings settings;
  settings.identity_stage = false;
  auto registry = std::make_shared<OperatorRegistry>();
  ASSERT_TRUE(register_builtin_operators(*registry).is_ok());
  auto spec = make_ecommerce_topology(registry, settings);
  ASSERT_TRUE(spec.is_ok()) << spec.status().to_string();
  auto d = InstanceDriver::create(*spec);
  FeatureChanges check(*d);
  std::mt19937_64 random(17);
  int64_t t = kT0;
  int64_t watermark = kT0;
  for (int step = 0; step < 3000; ++step) {
    if (random() % 10 == 0) {
      // Quiet stretches from minutes to days: sessions close, carts are abandoned, customers go
      // dormant, windows slide.
      const int64_t quiet = random() % 4 == 0
                                ? static_cast<int64_t>(random() % (20 * kMillisPerDay))
                                : static_cast<int64_t>(random() % kMillisPerHour);
      t += quiet;
      const auto before = check.values(t);
      const size_t outputs = d->outputs().size();
      watermark = t;
      d->watermark(watermark);
      // Read at the same instant: what timers did differs. Features declared to change with time
      // may (orders leave RFM's window, a cart is abandoned); the others only by what was emitted.
      check.expect_declared(before, check.values(t), outputs, /*with_time=*/true,
                            "a watermark step to " + std::to_string(watermark - kT0));
      continue;
    }
    t += static_cast<int64_t>(random() % (10 * 60'000));
    const Step e = random_event(random, t);
    const int64_t now = std::max(t, watermark);
    // An event changes its own key's features only.
    const auto before = check.values(now, e.event.key);
    const size_t outputs = d->outputs().size();
    d->run({e});
    check.expect_declared(before, check.values(now, e.event.key), outputs, /*with_time=*/false,
                          e.event.type + " at " + std::to_string(t - kT0));
  }
  EXPECT_GT(check.checked(), 2000u) << "enough changes of declared features to mean something";
}

}  // namespace
}  // namespace eddy
