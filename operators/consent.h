#pragma once

#include <string>
#include <vector>

#include "runtime/operator.h"
#include "runtime/operator_registry.h"

namespace eddy {

// Marketing consent per customer, and the gate that keeps marketing triggers from customers
// without it: such a trigger stops here, counted in the side output "consent_withheld"
// (eddy_worker_side_output_events_total{output="consent_withheld"}) instead of reaching the sinks
// that deliver it.
//
// Consent is what the customer last said, from any of:
//  - a trait of an identify call, "traits.<name>" for the names in "traits": true or false (or
//    the strings "true"/"false", "yes"/"no");
//  - Segment's consent object in the event's context, context.consent.categoryPreferences, whose
//    choice for "category" ingest keeps as the property "consent.<category>" (the category is
//    compared without regard to case);
//  - an event of the "unsubscribe_types": consent withdrawn.
// A customer who never said has the "default". A change takes effect from the next event on: a
// trigger emitted while the event that changes consent is handled was decided before it.
//
// Config (every key optional):
//   "traits"             trait names (default ["marketing_consent", "accepts_marketing",
//                        "email_opt_in"])
//   "category"           the consent category that means marketing (default "Marketing")
//   "unsubscribe_types"  events that withdraw consent (default ["Unsubscribed"] if accepted)
//   "marketing_types"    emitted events that are always marketing (default ["Cart Abandoned"] if
//                        accepted); any event whose property "marketing" is true is as well (the
//                        threshold triggers' "marketing": true)
//   "default"            "denied" (default: consent is asked for, not assumed) or "granted"
//
// Place it after every operator that emits triggers and before those that should not see the
// ones it stops. Merging (identity resolution): what was said later wins; withheld counts add.
//
// Feature: "consent.marketing" (bool: the customer's consent, the default when never said).
// Profile: "consent": {"marketing" (as the feature), "said" (true once the customer said, else
// the default applies), "changed_ms", "withheld" (triggers stopped)}.
class Consent final : public Operator {
 public:
  static Result<std::unique_ptr<Operator>> create(const OperatorArgs& args);

  void on_new_slot(uint32_t slot) override;
  Flow on_event(const EventRef& event, Context& ctx) override;
  void snapshot(StateWriter& out) const override;
  Status restore(StateReader& in, uint32_t slot_count) override;
  void on_query(uint32_t slot, EventTime now, boost::json::object& out) const override;
  // A consent said late is still said; a trigger is gated whenever it comes.
  LatenessPolicy lateness_policy() const override { return LatenessPolicy::kDeliver; }
  Status declare_features(FeatureCatalog& catalog) override;
  void move_key_out(StateWriter& out, Context& ctx) override;
  Status merge_key_in(StateReader& in, Context& ctx) override;

 private:
  enum class Said : uint8_t { kNothing, kDenied, kGranted };
  struct PerKey {
    Said said = Said::kNothing;
    int64_t changed_ms = INT64_MIN;
    uint64_t withheld = 0;
  };

  // What the event says of consent, if anything.
  Said said_by(const EventRef& event) const;
  bool is_marketing(const EventRef& event) const;
  bool granted(const PerKey& k) const;

  std::vector<std::string> traits_;  // as properties: "traits.<name>"
  std::string category_ = "consent.Marketing";
  std::vector<EventType> unsubscribe_types_;
  std::vector<EventType> marketing_types_;
  bool default_granted_ = false;
  std::vector<PerKey> state_;
};

}  // namespace eddy
