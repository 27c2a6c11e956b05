#pragma once

#include <gtest/gtest.h>

#include <string>

#include "runtime/engine.h"
#include "runtime/topology_builder.h"
#include "tests/harness/test_operators.h"

namespace eddy::testing {

// A stage that counts "Product Viewed" events per key: state whose every value a test can
// predict, for checking that a log or a checkpoint brings it back exactly. With two stages, a
// second one counts them per item too, behind an exchange.
inline TopologySpec counting_topology(uint32_t version = 1, uint32_t stages = 1) {
  TopologyBuilder b("counting", test_registry());
  b.version(version)
      .accept_types({"Product Viewed"})
      .stage("profiles")
      .op("count", "keyed_counter", {{"label", "events"}});
  if (stages == 2) {
    b.key_by("items", "item", [](const EventRef& e) {
       return e.item();
     }).op("count_per_item", "keyed_counter", {{"label", "events"}});
  }
  auto spec = b.sink("all").build();
  EXPECT_TRUE(spec.is_ok()) << spec.status().to_string();
  return std::move(spec).value();
}

// The count of `key`'s events; -1 when the engine does not answer.
inline int64_t count_of(Engine& engine, const std::string& key, StageId stage = StageId(0)) {
  auto answer = engine.query_key_sync(stage, key);
  if (!answer) return -1;
  return answer->at("events").as_object().at("count").to_number<int64_t>();
}

}  // namespace eddy::testing
