#include "topologies/ecommerce/ecommerce.h"

#include <boost/json/array.hpp>

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
      "Email Opened", "Unsubscribed"};
  return kTypes;
}

Result<TopologySpec> make_ecommerce_topology(std::shared_ptr<const OperatorRegistry> registry) {
  TopologyBuilder b(kEcommerceTopology, std::move(registry));
  b.version(1).accept_types(ecommerce_event_types());
  b.stage(kProfilesStage, "customer")
      .op("events", "keyed_counter", {{"label", "events"}})
      .op("orders", "keyed_counter",
          {{"label", "orders"}, {"types", boost::json::array{"Order Completed"}}});
  return b.build();
}

}  // namespace eddy
