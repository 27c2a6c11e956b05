#pragma once

#include <memory>
#include <string>
#include <vector>

#include "operators/customer_index.h"
#include "runtime/operator.h"
#include "runtime/operator_registry.h"

namespace eddy {

// Fuzzy de-duplication of customer records into a master customer index (CustomerIndex), carried
// out through identity resolution's machinery. The first operator of the identity stage, before
// IdentityResolver; only the key kCustomerIndexKey is its own, every other event passes untouched.
//
// A "Customer Record" (connectors/match/customer_record_event.h: POST /v1/import, or the traits
// of an identify) is matched and answered with a "Customer Matched" event to the profile of the
// customer it joined (prop "customer"): "record_id", "outcome" (created, merged, updated, linked,
// conflict), when it matched "reason" (email, phone, name_and_address), "score" and "matched" (the
// record it matched), "absorbed" (how many customers became part of this one), "import" when it
// came with one, and the record's "traits.*". A merged record also sends an "Identity Linked"
// marker that does not move anything, so that the profile lists the record id among its
// identifiers. Each customer that became part of another (CustomerIndex::Decision::absorbed: a
// user's record matching a customer of imports, a record bridging two customers) sends the two
// markers of IdentityResolver::link, and the profile stage moves that customer's profile into the
// other's, as it does an anonymous visitor's.
//
// A "Customer Erased" event on the index key with a prop "customer" (DELETE /v1/customers/{id})
// forgets every record of that customer: the index is the one other place their data lives.
//
// The index is one key's state, on one worker: every record meets every earlier one there. That
// makes its decisions the same in every run of the same input whatever the worker count, and
// costs one core's speed for the matching (bench/RESULTS.md: import).
//
// Config (every key optional): "threshold" (0.5..1, MatchSettings::threshold),
// "max_candidates_per_key" (1..10000, MatchSettings::max_candidates_per_key).
//
// Profile of the index key: "customer_index": {"records", "customers", "placeholder_keys",
// "comparisons", and per outcome its count}.
class CustomerMatcher final : public Operator {
 public:
  static Result<std::unique_ptr<Operator>> create(const OperatorArgs& args);

  void on_new_slot(uint32_t /*slot*/) override {}
  Flow on_event(const EventRef& event, Context& ctx) override;
  void snapshot(StateWriter& out) const override;
  Status restore(StateReader& in, uint32_t slot_count) override;
  void on_query(uint32_t slot, EventTime now, boost::json::object& out) const override;
  // "customer": the customer holding record id `arg`, when the index has it.
  void on_lookup(uint32_t slot, std::string_view arg, boost::json::object& out) const override;
  // A record is a fact whenever it arrives.
  LatenessPolicy lateness_policy() const override { return LatenessPolicy::kDeliver; }

 private:
  static constexpr uint32_t kNoSlot = UINT32_MAX;
  static constexpr size_t kOutcomes = 5;

  void match(const EventRef& event, Context& ctx);
  void emit_matched(const EventRef& record, const CustomerIndex::Decision& d, Context& ctx);

  MatchSettings settings_;
  EventType record_type_;
  EventType matched_type_;
  EventType linked_type_;
  EventType erased_type_;
  uint32_t index_slot_ = kNoSlot;
  std::unique_ptr<CustomerIndex> index_;
  uint64_t outcomes_[kOutcomes] = {};
  uint64_t records_erased_ = 0;
  std::vector<PropDraft> props_;  // scratch for emitted events
};

}  // namespace eddy
