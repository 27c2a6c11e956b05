#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/identity_fields.h"
#include "runtime/operator.h"
#include "runtime/operator_registry.h"

namespace eddy {

inline constexpr std::string_view kIdentityConflictsOutput = "identity_conflicts";

// Emits an "Identity Linked" marker (`type`) for `customer`'s profile, saying that `from` is now
// part of `to` and whether its profile moves there (see IdentityResolver), with `extra`
// properties (a customer match's reason, CustomerMatcher).
void emit_link_marker(Context& ctx, EventType type, std::string_view customer,
                      std::string_view from, std::string_view to, bool moves, EventTime time,
                      std::span<const PropDraft> extra = {});

// The key of the profile stage behind an identity stage: the customer an identity resolver
// routed the event to, else its user id, else its own key.
std::string_view customer_key(const EventRef& event);

// The identity stage of a customer topology, keyed by identifier: ingest keys an event by its
// anonymousId when it has one (by previousId for alias calls), else by its userId, and puts the
// userId, when there is one, in the property "user_id". Each identifier maps to at most one
// customer, a user id:
//  - an event whose user id is its own key is a known user's: it goes to that user's profile;
//  - an event with an identifier and another user id links the identifier to that user the first
//    time; from then on the identifier's events without a user id go to the user's profile too;
//  - the first link wins. A later event pairing the identifier with another user, or pairing an
//    identifier that came as a user id itself with another user (eddy never merges two known
//    users), is a conflict: counted in the side output "identity_conflicts" and sent to the
//    profile of its own user id, linking nothing.
// When the identifier had a profile of its own (anonymous events before the link), the link moves
// that profile into the user's, in the profile stage (IdentityMerge), before any later event of
// either reaches it: two "Identity Linked" markers (props "from", "to", "moves", and "customer",
// the profile each is for), one to each profile, sent together.
//
// A "Customer Erased" event forgets the identifier (Context::erase_key) and goes on to the profile
// of the identifier itself and, when it is linked, to its customer's, whose stage erases them in
// turn (IdentityMerge). The second copy follows the identifier's link markers from the same
// instance, so it reaches the customer's profile after them, and a merge still on its way is held
// for and erased with the rest.
//
// Profile (query on this stage): "identity": {"customer" (the user it is linked to, or itself),
// "linked_ms" (when), "known" (came as a user id), "conflicts"}.
class IdentityResolver final : public Operator {
 public:
  static Result<std::unique_ptr<Operator>> create(const OperatorArgs& args);

  void on_new_slot(uint32_t slot) override;
  Flow on_event(const EventRef& event, Context& ctx) override;
  void snapshot(StateWriter& out) const override;
  Status restore(StateReader& in, uint32_t slot_count) override;
  void on_query(uint32_t slot, EventTime now, boost::json::object& out) const override;
  // The identifiers linked to customer `arg`: an erasure finds with it the links a profile could
  // not list (IdentityMerge's max_listed).
  bool key_matches(uint32_t slot, std::string_view arg) const override {
    return slot < ids_.size() && !arg.empty() && ids_[slot].customer == arg;
  }
  // Links are facts whenever they arrive: a late identify links as well as a timely one.
  LatenessPolicy lateness_policy() const override { return LatenessPolicy::kDeliver; }

 private:
  struct Identity {
    std::string customer;  // the user this identifier is linked to; empty before any link
    int64_t linked_ms = 0;
    uint32_t conflicts = 0;
    bool routed_self = false;  // sent events to a profile of its own, which a link moves
    bool known = false;        // came as a user id
  };

  void link(Identity& id, std::string_view user, const EventRef& event, Context& ctx);
  // The event again, addressed to `customer`'s profile.
  void reroute(const EventRef& event, std::string_view customer, Context& ctx);

  EventType linked_type_;
  EventType erased_type_;
  std::vector<Identity> ids_;
  std::vector<PropDraft> props_;  // scratch for emitted events
};

}  // namespace eddy
