#include "operators/builtin.h"

#include "operators/cart_abandonment.h"
#include "operators/consent.h"
#include "operators/customer_matcher.h"
#include "operators/identity_merge.h"
#include "operators/identity_resolver.h"
#include "operators/keyed_counter.h"
#include "operators/lifecycle.h"
#include "operators/rfm.h"
#include "operators/segments.h"
#include "operators/sessionizer.h"
#include "operators/threshold_trigger.h"
#include "operators/traits.h"
#include "operators/windowed_counters.h"

namespace eddy {

Status register_builtin_operators(OperatorRegistry& registry) {
  const std::pair<const char*, OperatorFactory> kBuiltins[] = {
      {"keyed_counter", &KeyedCounter::create},
      {"rfm", &Rfm::create},
      {"sessionizer", &Sessionizer::create},
      {"windowed_counters", &WindowedCounters::create},
      {"cart_abandonment", &CartAbandonment::create},
      {"lifecycle", &Lifecycle::create},
      {"threshold_trigger", &ThresholdTrigger::create},
      {"segments", &Segments::create},
      {"customer_matcher", &CustomerMatcher::create},
      {"identity", &IdentityResolver::create},
      {"identity_merge", &IdentityMerge::create},
      {"consent", &Consent::create},
      {"traits", &Traits::create},
  };
  for (const auto& [name, factory] : kBuiltins) {
    if (Status s = registry.add(name, factory); !s) return s;
  }
  return {};
}

}  // namespace eddy
