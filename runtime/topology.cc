#include "runtime/topology.h"

#include <boost/json/array.hpp>

namespace eddy {

std::optional<StageId> TopologySpec::find_stage(std::string_view name) const {
  for (size_t i = 0; i < stages_.size(); ++i) {
    if (stages_[i].name == name) return StageId(static_cast<uint32_t>(i));
  }
  return std::nullopt;
}

Result<std::vector<std::unique_ptr<Operator>>> TopologySpec::instantiate(StageId stage,
                                                                         KeyGroup group) const {
  const StageSpec& spec = stages_.at(stage.value());
  std::vector<std::unique_ptr<Operator>> ops;
  ops.reserve(spec.operators.size());
  for (const OperatorSpec& op : spec.operators) {
    const OperatorFactory* factory = registry_->find(op.kind);
    if (factory == nullptr) {
      return {Errc::kInvalidTopology,
              "stage '" + spec.name + "': operator kind '" + op.kind + "' is not registered"};
    }
    auto made = (*factory)(OperatorArgs{op.config, *types_, group});
    if (!made) {
      return {Errc::kInvalidTopology,
              "stage '" + spec.name + "', operator '" + op.name + "': " + made.status().message()};
    }
    ops.push_back(std::move(made).value());
  }
  return ops;
}

boost::json::object TopologySpec::to_json() const {
  boost::json::object out;
  out["name"] = name_;
  out["version"] = version_;
  boost::json::array stages;
  for (const StageSpec& s : stages_) {
    boost::json::object stage;
    stage["name"] = s.name;
    stage["key"] = s.key_name;
    boost::json::array ops;
    for (const OperatorSpec& op : s.operators) {
      ops.push_back(
          boost::json::object{{"name", op.name}, {"kind", op.kind}, {"config", op.config}});
    }
    stage["operators"] = std::move(ops);
    boost::json::array sinks;
    for (const SinkSpec& sink : s.sinks) {
      boost::json::array types;
      for (EventType t : sink.types)
        types.emplace_back(types_->name(t));
      sinks.push_back(boost::json::object{{"name", sink.name}, {"types", std::move(types)}});
    }
    stage["sinks"] = std::move(sinks);
    stages.push_back(std::move(stage));
  }
  out["stages"] = std::move(stages);
  return out;
}

}  // namespace eddy
