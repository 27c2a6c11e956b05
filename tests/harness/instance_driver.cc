#include "tests/harness/instance_driver.h"

#include <gtest/gtest.h>

#include "runtime/batch_builder.h"
#include "runtime/key_hash.h"

namespace eddy::testing {

std::unique_ptr<InstanceDriver> InstanceDriver::create(const TopologySpec& spec,
                                                       int64_t allowed_lateness_ms) {
  auto instance =
      StageInstance::create(spec, StageId(0), KeyGroup(0), EventTime(allowed_lateness_ms));
  EXPECT_TRUE(instance.is_ok()) << instance.status().to_string();
  if (!instance) return nullptr;
  std::unique_ptr<InstanceDriver> driver(new InstanceDriver());
  driver->spec_ = &spec;
  driver->instance_ = std::move(instance).value();
  return driver;
}

void InstanceDriver::run(const std::vector<Step>& steps) {
  for (const Step& step : steps) {
    if (step.kind == Step::Kind::kWatermark) {
      watermark(step.watermark_ms);
      continue;
    }
    ASSERT_EQ(step.kind, Step::Kind::kEvent) << "InstanceDriver takes events and watermarks";
    BatchBuilder builder;
    instance_->on_event(add_test_event(builder, step.event, spec_->types()), watermark_, *this);
  }
}

void InstanceDriver::watermark(int64_t t) {
  watermark_ = EventTime(t);
  instance_->on_watermark(watermark_, *this);
}

void InstanceDriver::move(const std::string& from, const std::string& into,
                          InstanceDriver* target) {
  InstanceDriver& to = target != nullptr ? *target : *this;
  const auto slot = instance_->slots().find(hash_key(from));
  auto bytes = instance_->move_key_out(hash_key(from), watermark_, *this);
  ASSERT_TRUE(bytes.has_value()) << "no key '" << from << "' to move";
  ASSERT_FALSE(instance_->slots().find(hash_key(from))) << "a moved key must be forgotten";
  moved_away_[from] = instance_->query_slot(*slot, watermark_);
  const Status merged = to.instance_->merge_key_in(hash_key(into), into, *bytes, to.watermark_, to);
  ASSERT_TRUE(merged.is_ok()) << merged.to_string();
}

std::optional<boost::json::object> InstanceDriver::query(const std::string& key) const {
  if (auto answer = instance_->query(hash_key(key), watermark_)) return answer;
  const auto moved = moved_away_.find(key);
  if (moved == moved_away_.end()) return std::nullopt;
  return moved->second;
}

std::vector<CollectingSink::Record> InstanceDriver::outputs(std::string_view type) const {
  const EventType wanted = spec_->types().find(type);
  std::vector<CollectingSink::Record> out;
  for (const auto& r : outputs_) {
    if (r.type == wanted) out.push_back(r);
  }
  return out;
}

void InstanceDriver::output(StageId, const EventRef& event) {
  outputs_.push_back(CollectingSink::Record::of(event));
}

void InstanceDriver::side_output(StageId, std::string_view, const EventRef&) {}

void InstanceDriver::rejected(StageId, std::string_view, const EventRef&) {}

SplitAndWhole split_and_whole(const TopologySpec& spec, const std::vector<Step>& history) {
  SplitAndWhole r{InstanceDriver::create(spec), InstanceDriver::create(spec)};
  r.split->run(history);
  r.split->move("anon", "user");
  r.whole->run(rekeyed(history, "user", "anon"));
  return r;
}

}  // namespace eddy::testing
