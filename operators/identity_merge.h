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
// A marker that carries a customer match's "reason", "score" and "matched" (CustomerMatcher) keeps
// them beside the identifier: the record joined the customer because of them.
//
// Profile: "identities": {"linked": [identifiers, in the order they were linked], "unlisted",
// and when any were matched, "matched": [{"id", "reason", "score", "with" (the record it
// matched)}]}.
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
  // Why an identifier was linked, when a customer match linked it.
  struct Why {
    std::string reason;  // empty: an identity link
    std::string matched;
    double score = 0;
  };
  struct Linked {
    std::vector<std::string> ids;
    std::vector<Why> why;  // beside ids
    uint32_t unlisted = 0;
  };
  void add(Linked& linked, std::string_view id, Why why) const;
  static Why why_of(const EventRef& marker);
  static void write_linked(StateWriter& out, const Linked& linked);
  Status read_linked(StateReader& in, Linked& linked) const;

  EventType linked_type_;
  EventType erased_type_;
  uint32_t max_listed_ = kDefaultMaxListed;
  std::vector<Linked> linked_;
};

}  // namespace eddy
