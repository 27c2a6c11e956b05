#pragma once

#include <memory>
#include <span>
#include <string_view>

#include "runtime/ids.h"
#include "runtime/operator_registry.h"
#include "runtime/topology.h"

namespace eddy {

// The default topology that `eddy` serves: an identity stage keyed by identifier (anonymous id or
// user id) that maps every identifier to one customer (operators/identity_resolver.h), then one
// profile per customer in one fused stage, keyed by customer. The profile's operators share the
// key's slot, so each event costs one key lookup there:
//
//   identities     carries out the identity stage's links: moves an anonymous profile into the
//                  user's and lists the identifiers linked to a customer
//   traits         the customer's traits as identify calls last said them
//   rfm            recency, frequency, monetary; quintile scores; the named RFM segment
//   sessions       30-minute gap sessions and their summaries
//   counters       product_views_7d, orders_30d, revenue_90d, email_opens_no_click_7d,
//                  product_page_visits_7d
//   cart           cart abandonment after `cart_timeout_ms`
//   lifecycle      awareness -> consideration -> purchase -> retention, dormant
//   browse_abandon, product_revisit, email_no_click
//                  the seed use cases' behavioural triggers
//   consent        marketing consent per customer; stops marketing triggers without it
//   segments       live segment membership, defined at run time (last: it reads the others)
//
// Outputs (sinks): "triggers" (Cart Abandoned, Trigger Fired), "segment_changes" (Segment
// Entered, Segment Exited), "lifecycle_changes" (Lifecycle Changed), "sessions" (Session Ended),
// and with the identity stage "customer_matches" (Customer Matched: how each customer record was
// matched, which the import routes count).
inline constexpr const char* kEcommerceTopology = "ecommerce";
inline constexpr const char* kIdentityStage = "identity";
inline constexpr const char* kProfilesStage = "profiles";
inline constexpr const char* kSegmentsOperator = "segments";

struct EcommerceSettings {
  int64_t cart_timeout_ms = 24 * kMillisPerHour;
  int64_t session_gap_ms = 30 * kMillisPerMinute;
  int64_t rfm_lookback_ms = 365 * kMillisPerDay;
  int64_t dormant_after_ms = 90 * kMillisPerDay;
  // The customer index (operators/customer_matcher.h): MatchSettings::threshold and
  // max_candidates_per_key.
  double match_threshold = 0.9;
  int64_t match_max_candidates = 50;
  // For customers who never said: "denied" (marketing triggers wait for consent) or "granted".
  std::string marketing_consent = "denied";
  // Off: profiles keyed by the event's key alone, for measuring what identity resolution costs.
  bool identity_stage = true;
};

// The event names the ecommerce topology accepts: the Segment call types, the Segment e-commerce
// and email event names, and the events its operators derive.
std::span<const std::string_view> ecommerce_event_types();

// The same input and stage as the ecommerce topology with no operator in it: events are routed to
// the worker that owns their customer and go no further. For measuring the cost of the HTTP edge
// and the runtime apart from the operators'.
Result<TopologySpec> make_noop_topology(std::shared_ptr<const OperatorRegistry> registry);

// The registry must contain the built-in operators (register_builtin_operators).
Result<TopologySpec> make_ecommerce_topology(std::shared_ptr<const OperatorRegistry> registry,
                                             const EcommerceSettings& settings = {});

}  // namespace eddy
