#pragma once

#include <boost/json/object.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/sink.h"
#include "runtime/stage_instance.h"
#include "tests/harness/harness.h"

namespace eddy::testing {

// Drives one stage instance of one key group directly, without an engine: for operator tests that
// reach below what input can do, such as moving one key's state into another's the way identity
// resolution does (StageInstance::move_key_out / merge_key_in).
//
//   auto split = InstanceDriver::create(spec);    // history under "anon" and "user", then merged
//   split->run({ev("anon", "Product Viewed", t0), ev("user", "Order Completed", t1)});
//   split->move("anon", "user");
//   auto whole = InstanceDriver::create(spec);    // the same history under "user" from the start
//   whole->run({ev("user", "Product Viewed", t0), ev("user", "Order Completed", t1)});
//   EXPECT_EQ(split->query("user"), whole->query("user"));
class InstanceDriver final : private StageOutput {
 public:
  static std::unique_ptr<InstanceDriver> create(const TopologySpec& spec,
                                                int64_t allowed_lateness_ms = 0);

  // Events are handled in order; a watermark step fires the timers due.
  void run(const std::vector<Step>& steps);
  void watermark(int64_t t);
  // Moves every operator's state of `from` into `into`, on this instance or on `target` (another
  // key group's instance of the same stage). Fails the test on an error.
  void move(const std::string& from, const std::string& into, InstanceDriver* target = nullptr);

  // A key this driver moved away is forgotten by the instance, and its slot goes to the next new
  // key; its query answers what the slot held right after the move, which must be what a new key
  // starts from: how the merge tests check that move_key_out resets everything.
  std::optional<boost::json::object> query(const std::string& key) const;
  // What reached the stage's output (every event that passed every operator, emitted ones
  // included), in order.
  const std::vector<CollectingSink::Record>& outputs() const { return outputs_; }
  // Only the outputs of one event type.
  std::vector<CollectingSink::Record> outputs(std::string_view type) const;
  StageInstance& instance() { return *instance_; }

 private:
  InstanceDriver() = default;
  void output(StageId stage, const EventRef& event) override;
  void side_output(StageId stage, std::string_view name, const EventRef& event) override;
  void rejected(StageId stage, std::string_view reason, const EventRef& event) override;

  const TopologySpec* spec_ = nullptr;
  std::unique_ptr<StageInstance> instance_;
  EventTime watermark_ = kMinEventTime;
  std::map<std::string, boost::json::object> moved_away_;  // key -> its slot after the move
  std::vector<CollectingSink::Record> outputs_;
};

// One history twice, for the merge property every operator must have: as given, with "anon" then
// moved into "user" (split), and with anon's events under "user" from the start (whole).
struct SplitAndWhole {
  std::unique_ptr<InstanceDriver> split, whole;
};
SplitAndWhole split_and_whole(const TopologySpec& spec, const std::vector<Step>& history);

}  // namespace eddy::testing
