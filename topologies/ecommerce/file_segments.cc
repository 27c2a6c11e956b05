#include "topologies/ecommerce/file_segments.h"

#include <algorithm>
#include <chrono>
#include <future>

#include "topologies/ecommerce/ecommerce.h"

namespace eddy {

namespace {

// A back-fill visits every profile once; this is far more than millions of them take.
constexpr auto kPutTimeout = std::chrono::minutes(5);

}  // namespace

std::vector<Segments::Definition> live_segment_definitions(Engine& engine) {
  const auto stage = engine.topology().find_stage(kProfilesStage);
  if (!stage) return {};
  auto promise = std::make_shared<std::promise<std::vector<Segments::Definition>>>();
  auto future = promise->get_future();
  Status s = engine.run_on_key(*stage, "", [promise](Worker&, StageInstance& inst, KeyHash) {
    std::vector<Segments::Definition> out;
    if (auto op = inst.find_operator(kSegmentsOperator)) {
      for (auto& [def, members] : static_cast<const Segments&>(inst.op(*op)).definitions())
        out.push_back(std::move(def));
    }
    promise->set_value(std::move(out));
  });
  if (!s || future.wait_for(std::chrono::seconds(10)) != std::future_status::ready) return {};
  return future.get();
}

Status put_file_segments(Engine& engine, Journal& journal, const std::string& path,
                         const std::vector<boost::json::object>& commands) {
  if (commands.empty()) return {};
  if (!engine.topology().find_stage(kProfilesStage)) {
    return {Errc::kInvalidArgument, "segments file " + path + ": the topology '" +
                                        engine.topology().name() + "' has no segments"};
  }
  const std::vector<Segments::Definition> live = live_segment_definitions(engine);
  for (const boost::json::object& cmd : commands) {
    auto def = Segments::parse_definition(cmd);
    if (!def)
      return {Errc::kInvalidArgument, "segments file " + path + ": " + def.status().message()};
    if (std::find(live.begin(), live.end(), *def) != live.end()) continue;
    auto applied = std::make_shared<std::promise<Status>>();
    auto answer = applied->get_future();
    Status s = journal.command(kSegmentsOperator, cmd,
                               [applied](Status result) { applied->set_value(std::move(result)); });
    if (s && answer.wait_for(kPutTimeout) != std::future_status::ready)
      s = {Errc::kBusy, "not applied after " + std::to_string(kPutTimeout.count()) + " minutes"};
    if (s) s = answer.get();
    if (!s) {
      return {s.code(), "segments file " + path + ", segment '" + def->id + "': " + s.message()};
    }
  }
  return {};
}

}  // namespace eddy
