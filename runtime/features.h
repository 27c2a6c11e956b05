#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/ids.h"
#include "runtime/status.h"

namespace eddy {

// A value of a profile feature ("rfm.m", "lifecycle", "counters.product_views_7d") as one key
// has it now. A string view is valid until the operator that owns it next runs.
struct FeatureValue {
  enum class Kind : uint8_t { kMissing, kNumber, kString, kBool };
  Kind kind = Kind::kMissing;
  double number = 0;
  std::string_view text;
  bool flag = false;

  static FeatureValue missing() { return {}; }
  static FeatureValue of_number(double v) { return {Kind::kNumber, v, {}, false}; }
  static FeatureValue of_string(std::string_view v) { return {Kind::kString, 0, v, false}; }
  static FeatureValue of_bool(bool v) { return {Kind::kBool, 0, {}, v}; }
};

// The features the operators of one stage instance expose, by path. Operators declare theirs once,
// right after the instance is made (declare_features); operators that read features (segments)
// look them up once afterwards (bind_features) and keep the getters, so nothing is looked up by
// name per event. Getters are called on the owning worker only.
class FeatureCatalog {
 public:
  // `now` is the stage's watermark, for features that age ("rfm.recency_days").
  using Getter = std::function<FeatureValue(uint32_t slot, EventTime now)>;
  // Whether a key's value can change without an event of that key reaching the stage: with time
  // (a sliding window, days since an order) or with everyone else (a score among all customers).
  // Segments re-check the rules that read such a feature on every key as time passes.
  enum class Changes : uint8_t { kWithItsEvents, kAlsoWithTime };
  struct Feature {
    std::string path;
    FeatureValue::Kind kind;
    Getter get;
    Changes changes = Changes::kWithItsEvents;
    // The event types whose arrival at the stage can change a key's value (an event the operator
    // emits included); empty: any event. Segments re-check a rule after an event only when the
    // event can change what the rule reads; what changes with time, the sweep re-checks.
    std::vector<EventType> changed_by;
  };

  // A feature whose kind each key's value says for itself (a trait: a string for one customer,
  // a number for another); readers compare it as the other side of a comparison wants and treat a
  // value of another kind as missing.
  static constexpr FeatureValue::Kind kAnyKind = FeatureValue::Kind::kMissing;
  // The getter of the family member "<prefix><name>" (the trait "plan" of "traits.plan").
  using Family = std::function<Getter(std::string_view name)>;

  Status add(std::string path, FeatureValue::Kind kind, Getter get,
             Changes changes = Changes::kWithItsEvents, std::vector<EventType> changed_by = {});
  // Every path "<prefix><name>" with a non-empty name is a feature of the family, of kind `kind`
  // (kAnyKind when values say their own): for features named by the data, such as traits.
  Status add_family(std::string prefix, FeatureValue::Kind kind, Family family,
                    Changes changes = Changes::kWithItsEvents,
                    std::vector<EventType> changed_by = {});
  // A declared feature, or a family member made on first use; the same pointer every time.
  const Feature* find(std::string_view path) const;
  // The declared features (family members are not listed).
  std::vector<std::string> paths() const;

 private:
  struct FamilyEntry {
    std::string prefix;
    Feature like;  // kind, changes and changed_by of every member
    Family family;
  };

  std::map<std::string, Feature, std::less<>> features_;
  std::vector<FamilyEntry> families_;
  // Members made by find(), kept so that their address is stable. Mutable: finding one is not a
  // change of the catalog. A catalog belongs to one stage instance, which alone uses it.
  mutable std::map<std::string, Feature, std::less<>> members_;
};

}  // namespace eddy
