#pragma once

#include <string>
#include <vector>

#include "runtime/operator.h"
#include "runtime/operator_registry.h"

namespace eddy {

// The first operator of a profile stage behind an identity stage (IdentityResolver): carries out
// its links. On an "Identity Linked" marker for the identifier's own profile it moves that whole
// profile, every operator's state, into the user's (Context::move_key_to); on the marker for the
// user's profile it records the identifier and, when a move comes, holds the user's later events
// until it has merged (Context::expect_key_from). On a "Customer Erased" event it erases the whole
// profile (Context::erase_key): every operator drops the key's state, its timers and memberships,
// and the stage forgets it. Markers and erasures stop here: the profile's other operators never
// see them.
//
// Config: "max_listed" (default 100, 1..10000): identifiers listed per customer; links beyond it
// still route and merge, and are counted as "unlisted".
//
// Profile: "identities": {"linked": [identifiers, in the order they were linked], "unlisted"}.
class IdentityMerge final : public Operator {
 public:
  static constexpr uint32_t kDefaultMaxListed = 100;

  static Result<std::unique_ptr<Operator>> create(const OperatorArgs& args);

  void on_new_slot(uint32_t slot) override;
  Flow on_event(const EventRef& event, Context& ctx) override;
  void snapshot(StateWriter& out) const override;
  Status restore(StateReader& in, uint32_t slot_count) override;
  void on_query(uint32_t slot, EventTime now, boost::json::object& out) const override;
  LatenessPolicy lateness_policy() const override { return LatenessPolicy::kDeliver; }
  void move_key_out(StateWriter& out, Context& ctx) override;
  Status merge_key_in(StateReader& in, Context& ctx) override;

 private:
  struct Linked {
    std::vector<std::string> ids;
    uint32_t unlisted = 0;
  };
  void add(Linked& linked, std::string_view id) const;

  EventType linked_type_;
  EventType erased_type_;
  uint32_t max_listed_ = kDefaultMaxListed;
  std::vector<Linked> linked_;
};

}  // namespace eddy
