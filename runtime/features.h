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

  Status add(std::string path, FeatureValue::Kind kind, Getter get,
             Changes changes = Changes::kWithItsEvents, std::vector<EventType> changed_by = {});
  const Feature* find(std::string_view path) const;
  std::vector<std::string> paths() const;

 private:
  std::map<std::string, Feature, std::less<>> features_;
};

}  // namespace eddy
