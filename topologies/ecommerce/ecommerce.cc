#include "topologies/ecommerce/ecommerce.h"

#include <boost/json/array.hpp>

#include "operators/identity_resolver.h"
#include "runtime/topology_builder.h"

namespace eddy {

std::span<const std::string_view> ecommerce_event_types() {
  static constexpr std::string_view kTypes[] = {
      // Segment calls other than track carry their call type as the event type.
      "identify", "page", "screen", "alias", "group",
      // Segment e-commerce spec.
      "Products Searched", "Product List Viewed", "Product List Filtered", "Promotion Viewed",
      "Promotion Clicked", "Product Clicked", "Product Viewed", "Product Added", "Product Removed",
      "Cart Viewed", "Checkout Started", "Checkout Step Viewed", "Checkout Step Completed",
      "Payment Info Entered", "Order Updated", "Order Completed", "Order Refunded",
      "Order Cancelled", "Coupon Entered", "Coupon Applied", "Coupon Denied", "Coupon Removed",
      "Product Added to Wishlist", "Product Removed from Wishlist", "Product Shared", "Cart Shared",
      "Product Reviewed",
      // Segment email spec.
      "Email Bounced", "Email Delivered", "Email Link Clicked", "Email Marked as Spam",
      "Email Opened", "Unsubscribed",
      // Derived by the operators (docs/event-model.md).
      "Session Ended", "Cart Abandoned", "Lifecycle Changed", "Trigger Fired", "Segment Entered",
      "Segment Exited", "Identity Linked", "Customer Erased", "Customer Record", "Customer Matched",
      "track" /* ingest's catch-all for unknown track names */};
  return kTypes;
}

namespace {

boost::json::object counter(const char* name, const char* type, int64_t window_ms,
                            const char* aggregate) {
  boost::json::object c{{"name", name}, {"window_ms", window_ms}, {"aggregate", aggregate}};
  if (type != nullptr) c["type"] = type;
  return c;
}

boost::json::object trigger(const char* name, const char* feature, const char* comparison,
                            double threshold, const char* unless) {
  boost::json::object t{
      {"name", name}, {"feature", feature}, {comparison, threshold}, {"marketing", true}};
  if (unless != nullptr) t["unless"] = unless;
  return t;
}

}  // namespace

Result<TopologySpec> make_ecommerce_topology(std::shared_ptr<const OperatorRegistry> registry,
                                             const EcommerceSettings& settings) {
  const int64_t week = 7 * kMillisPerDay;
  boost::json::array counters{
      counter("product_views_7d", "Product Viewed", week, "count"),
      counter("orders_30d", "Order Completed", 30 * kMillisPerDay, "count"),
      counter("revenue_90d", "Order Completed", 90 * kMillisPerDay, "sum"),
      counter("product_page_visits_7d", "Product Viewed", week, "max_per_item"),
  };
  boost::json::object opens{
      {"name", "email_opens_no_click_7d"}, {"kind", "opens_without_click"}, {"window_ms", week}};
  counters.push_back(std::move(opens));

  TopologyBuilder b(kEcommerceTopology, std::move(registry));
  // 3: the customer matcher joined the identity stage.
  b.version(3).accept_types(ecommerce_event_types());
  if (settings.identity_stage) {
    b.stage(kIdentityStage, "identifier")
        .op("matcher", "customer_matcher",
            {{"threshold", settings.match_threshold},
             {"max_candidates_per_key", settings.match_max_candidates}})
        .op("identity", "identity")
        // The import routes count these (connectors/api/import_tracker.h, kCustomerMatchesSink).
        .sink("customer_matches", {"Customer Matched"})
        .key_by(kProfilesStage, "customer", customer_key)
        .op("identities", "identity_merge");
  } else {
    b.stage(kProfilesStage, "customer");
  }
  b.op("traits", "traits")
      .op("rfm", "rfm", {{"lookback_ms", settings.rfm_lookback_ms}})
      .op("sessions", "sessionizer", {{"gap_ms", settings.session_gap_ms}})
      .op("counters", "windowed_counters", {{"counters", std::move(counters)}})
      .op("cart", "cart_abandonment", {{"timeout_ms", settings.cart_timeout_ms}})
      .op("lifecycle", "lifecycle", {{"dormant_after_ms", settings.dormant_after_ms}})
      .op("browse_abandon", "threshold_trigger",
          trigger("browse_abandon", "sessions.current.product_views", "above", 5,
                  "sessions.current.converted"))
      .op("product_revisit", "threshold_trigger",
          trigger("product_revisit", "counters.product_page_visits_7d", "above", 3, nullptr))
      .op("email_no_click", "threshold_trigger",
          trigger("email_no_click", "counters.email_opens_no_click_7d", "at_least", 1, nullptr))
      .op("consent", "consent", {{"default", settings.marketing_consent}})
      .op(kSegmentsOperator, "segments")
      .sink("triggers", {"Cart Abandoned", "Trigger Fired"})
      .sink("segment_changes", {"Segment Entered", "Segment Exited"})
      .sink("lifecycle_changes", {"Lifecycle Changed"})
      .sink("sessions", {"Session Ended"});
  return b.build();
}

Result<TopologySpec> make_noop_topology(std::shared_ptr<const OperatorRegistry> registry) {
  TopologyBuilder b("noop", std::move(registry));
  b.version(1).accept_types(ecommerce_event_types());
  // A stage needs an operator or a sink: a sink of an event type that ingest never produces.
  b.stage(kProfilesStage, "customer").sink("nothing", {"Segment Exited"});
  return b.build();
}

}  // namespace eddy
