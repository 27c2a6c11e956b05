#pragma once

#include <string>
#include <vector>

#include "runtime/operator.h"
#include "runtime/operator_registry.h"

namespace eddy {

// The customer's traits as identify calls last said them: every property "traits.<name>" of any
// event (ingest puts an identify's traits there, normalised email, phone and country with their
// "<name>_raw" copies), the newest by event time per trait, so that a late identify does not undo
// a newer one.
//
// Config (every key optional): "max_traits" (default 64, 1..1000) traits kept per customer; a new
// trait beyond it is counted as "dropped", not kept. "max_value_bytes" (default 1024, 1..65536):
// longer values are cut to it, counted as "cut".
//
// Merging (identity resolution): per trait the newer value wins; the counts add.
//
// Features: "traits.<name>" for any name, each customer's value of that trait as sent: a string,
// a number or a boolean (FeatureCatalog::kAnyKind), missing when the customer has no such trait or
// it was null. A segment rule compares it as its other side says ("traits.plan == \"pro\"",
// "traits.age >= 30", "traits.vip"), and a value of another kind counts as missing.
//
// Profile: "traits": {name: value (as sent: string, number or boolean)}, and when any,
// "traits_dropped" and "traits_cut".
class Traits final : public Operator {
 public:
  static Result<std::unique_ptr<Operator>> create(const OperatorArgs& args);

  void on_new_slot(uint32_t slot) override;
  Flow on_event(const EventRef& event, Context& ctx) override;
  void snapshot(StateWriter& out) const override;
  Status restore(StateReader& in, uint32_t slot_count) override;
  void on_query(uint32_t slot, EventTime now, boost::json::object& out) const override;
  Status declare_features(FeatureCatalog& catalog) override;
  // A late identify still says something; the per-trait time keeps it from undoing newer ones.
  LatenessPolicy lateness_policy() const override { return LatenessPolicy::kDeliver; }
  void move_key_out(StateWriter& out, Context& ctx) override;
  Status merge_key_in(StateReader& in, Context& ctx) override;

 private:
  struct Trait {
    std::string name;
    std::string value;  // text; a string's own text, a number or boolean written out
    PropKind kind = PropKind::kString;
    int64_t time_ms = 0;
  };
  struct PerKey {
    std::vector<Trait> traits;
    uint32_t dropped = 0;
    uint32_t cut = 0;
  };

  void set(PerKey& k, Trait t) const;
  FeatureValue value(uint32_t slot, std::string_view name) const;
  static void write_key(StateWriter& out, const PerKey& k);
  static Status read_key(StateReader& in, PerKey& k);

  uint32_t max_traits_ = 64;
  uint32_t max_value_bytes_ = 1024;
  std::vector<PerKey> state_;
};

}  // namespace eddy
