#pragma once

#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/topology.h"

namespace eddy {

// Writes a topology as the dataflow reads:
//
//   auto spec = TopologyBuilder("shop", registry)
//                   .accept_types({"Product Viewed", "Order Completed"})
//                   .stage("profiles", "customer")
//                   .op("views", "counter", {{"type", "Product Viewed"}})
//                   .key_by("products", "product", [](const EventRef& e) { return e.item(); })
//                   .op("trending", "counter", {})
//                   .sink("out", {"Trending Changed"})
//                   .build();
//
// Every call records what it was given; build() checks the whole and returns either the spec or an
// error naming the stage (and operator or sink) that is wrong. Nothing here exits or throws.
class TopologyBuilder {
 public:
  TopologyBuilder(std::string name, std::shared_ptr<const OperatorRegistry> registry);

  TopologyBuilder& version(uint32_t v);
  TopologyBuilder& accept_types(std::initializer_list<std::string_view> names);
  TopologyBuilder& accept_types(std::span<const std::string_view> names);
  TopologyBuilder& accept_type(std::string_view name);
  // Opens the first stage, keyed by the source's key.
  TopologyBuilder& stage(std::string name, std::string key_name = "customer");
  // Ends the current stage and opens one keyed by what `selector` returns; events are exchanged to
  // the worker owning the new key's group.
  TopologyBuilder& key_by(std::string stage_name, std::string key_name, KeySelector selector);
  // Adds an operator to the current stage; operators of a stage are fused, in this order.
  TopologyBuilder& op(std::string name, std::string kind, boost::json::object config = {});
  // Sends what the current stage outputs (all of it, or only the listed types) to a named sink.
  TopologyBuilder& sink(std::string name, std::initializer_list<std::string_view> types = {});

  Result<TopologySpec> build() const;

 private:
  struct PendingSink {
    std::string name;
    std::vector<std::string> types;
  };
  struct PendingStage {
    StageSpec spec;
    std::vector<PendingSink> sinks;
    bool keyed_by_call = false;
  };

  void fail(std::string message);

  std::string name_;
  uint32_t version_ = 1;
  std::shared_ptr<const OperatorRegistry> registry_;
  std::vector<std::string> types_;
  std::vector<PendingStage> stages_;
  std::string first_error_;
};

}  // namespace eddy
