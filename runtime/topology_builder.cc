#include "runtime/topology_builder.h"

#include <set>

#include "runtime/stage_instance.h"

namespace eddy {

TopologyBuilder::TopologyBuilder(std::string name, std::shared_ptr<const OperatorRegistry> registry)
    : name_(std::move(name)), registry_(std::move(registry)) {}

void TopologyBuilder::fail(std::string message) {
  if (first_error_.empty()) first_error_ = std::move(message);
}

TopologyBuilder& TopologyBuilder::version(uint32_t v) {
  version_ = v;
  return *this;
}

TopologyBuilder& TopologyBuilder::accept_types(std::initializer_list<std::string_view> names) {
  for (std::string_view n : names)
    accept_type(n);
  return *this;
}

TopologyBuilder& TopologyBuilder::accept_types(std::span<const std::string_view> names) {
  for (std::string_view n : names)
    accept_type(n);
  return *this;
}

TopologyBuilder& TopologyBuilder::accept_type(std::string_view name) {
  types_.emplace_back(name);
  return *this;
}

TopologyBuilder& TopologyBuilder::stage(std::string name, std::string key_name) {
  if (!stages_.empty()) {
    fail("stage '" + name +
         "': only the first stage is opened with stage(); later ones with "
         "key_by()");
  }
  PendingStage s;
  s.spec.name = std::move(name);
  s.spec.key_name = std::move(key_name);
  stages_.push_back(std::move(s));
  return *this;
}

TopologyBuilder& TopologyBuilder::key_by(std::string stage_name, std::string key_name,
                                         KeySelector selector) {
  if (stages_.empty()) fail("stage '" + stage_name + "': key_by() needs a stage before it");
  PendingStage s;
  s.spec.name = std::move(stage_name);
  s.spec.key_name = std::move(key_name);
  s.spec.key_by = std::move(selector);
  s.keyed_by_call = true;
  stages_.push_back(std::move(s));
  return *this;
}

TopologyBuilder& TopologyBuilder::op(std::string name, std::string kind,
                                     boost::json::object config) {
  if (stages_.empty()) {
    fail("operator '" + name + "' is declared before any stage");
    return *this;
  }
  stages_.back().spec.operators.push_back({std::move(name), std::move(kind), std::move(config)});
  return *this;
}

TopologyBuilder& TopologyBuilder::sink(std::string name,
                                       std::initializer_list<std::string_view> types) {
  if (stages_.empty()) {
    fail("sink '" + name + "' is declared before any stage");
    return *this;
  }
  PendingSink s{std::move(name), {}};
  for (std::string_view t : types)
    s.types.emplace_back(t);
  stages_.back().sinks.push_back(std::move(s));
  return *this;
}

Result<TopologySpec> TopologyBuilder::build() const {
  auto error = [this](std::string message) -> Status {
    return {Errc::kInvalidTopology, "topology '" + name_ + "': " + message};
  };
  if (!first_error_.empty()) return error(first_error_);
  if (name_.empty()) return Status(Errc::kInvalidTopology, "a topology needs a name");
  if (!registry_) return error("no operator registry given");
  if (stages_.empty()) return error("it has no stage");

  auto types = std::make_shared<EventTypeRegistry>();
  for (const std::string& t : types_) {
    if (auto added = types->add(t); !added) return error(added.status().message());
  }

  TopologySpec spec;
  spec.name_ = name_;
  spec.version_ = version_;
  spec.types_ = types;
  spec.registry_ = registry_;

  std::set<std::string, std::less<>> stage_names, op_names, sink_names;
  for (const PendingStage& pending : stages_) {
    const std::string& stage = pending.spec.name;
    const std::string where = "stage '" + stage + "'";
    if (stage.empty()) return error("a stage has no name");
    if (!stage_names.insert(stage).second) return error(where + " is declared twice");
    if (pending.keyed_by_call && !pending.spec.key_by)
      return error(where + ": key_by has no selector");
    if (pending.spec.operators.empty() && pending.sinks.empty()) {
      return error(where + " has no operators and no sinks");
    }
    StageSpec out = pending.spec;
    for (const OperatorSpec& op : out.operators) {
      const std::string op_where = where + ", operator '" + op.name + "'";
      if (op.name.empty()) return error(where + ": an operator has no name");
      if (!op_names.insert(op.name).second) return error(op_where + ": the name is used twice");
      if (!registry_->contains(op.kind)) {
        return error(op_where + ": kind '" + op.kind + "' is not registered");
      }
    }
    for (const PendingSink& sink : pending.sinks) {
      const std::string sink_where = where + ", sink '" + sink.name + "'";
      if (sink.name.empty()) return error(where + ": a sink has no name");
      if (!sink_names.insert(sink.name).second)
        return error(sink_where + ": the name is used twice");
      SinkSpec s{sink.name, {}};
      for (const std::string& t : sink.types) {
        EventType id = types->find(t);
        if (id == EventTypeRegistry::kUnknown) {
          return error(sink_where + ": event type '" + t + "' is not accepted by the topology");
        }
        s.types.push_back(id);
      }
      out.sinks.push_back(std::move(s));
    }
    spec.stages_.push_back(std::move(out));
  }
  // Making one instance of every stage now checks operator configurations and the features they
  // read, so a bad one fails here and not on a worker thread later.
  for (uint32_t s = 0; s < spec.stages_.size(); ++s) {
    auto probe = StageInstance::create(spec, StageId(s), KeyGroup(0), EventTime(0));
    if (!probe) return error(probe.status().message());
  }
  return spec;
}

}  // namespace eddy
