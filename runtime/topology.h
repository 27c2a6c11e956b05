#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/event.h"
#include "runtime/event_types.h"
#include "runtime/operator.h"
#include "runtime/operator_registry.h"
#include "runtime/status.h"

namespace eddy {

// Picks the key of a stage from an event. Returning an empty key sends the event to the
// "unroutable" side output.
using KeySelector = std::function<std::string_view(const EventRef&)>;

struct OperatorSpec {
  std::string name;  // unique in the topology: "sessions"
  std::string kind;  // the registry name: "sessionizer"
  boost::json::object config;
};

struct SinkSpec {
  std::string name;
  std::vector<EventType> types;  // empty: every event the stage outputs
};

struct StageSpec {
  std::string name;
  std::string key_name;  // what the stage is keyed by, for humans: "customer", "product"
  KeySelector key_by;    // null for the first stage, which is keyed by the source's key
  std::vector<OperatorSpec> operators;
  std::vector<SinkSpec> sinks;
};

// A checked, immutable description of a dataflow: names, options and edges. The runtime makes one
// instance of every stage per key group from it.
class TopologySpec {
 public:
  const std::string& name() const { return name_; }
  uint32_t version() const { return version_; }
  const EventTypeRegistry& types() const { return *types_; }
  const std::vector<StageSpec>& stages() const { return stages_; }
  size_t stage_count() const { return stages_.size(); }
  std::optional<StageId> find_stage(std::string_view name) const;

  // The operator instances of one stage for one key group.
  Result<std::vector<std::unique_ptr<Operator>>> instantiate(StageId stage,
                                                             KeyGroup group = KeyGroup(0)) const;

  // Names, kinds, configs and edges, for manifests and for humans.
  boost::json::object to_json() const;

 private:
  friend class TopologyBuilder;
  std::string name_;
  uint32_t version_ = 1;
  std::shared_ptr<const EventTypeRegistry> types_;
  std::shared_ptr<const OperatorRegistry> registry_;
  std::vector<StageSpec> stages_;
};

}  // namespace eddy
