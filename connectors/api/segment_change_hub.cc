#include "connectors/api/segment_change_hub.h"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace eddy {

SegmentChangeHub::SegmentChangeHub(std::shared_ptr<const EventTypeRegistry> types,
                                   std::function<void(double)> observe_delay, const Clock* clock)
    : types_(std::move(types)),
      observe_delay_(std::move(observe_delay)),
      clock_(clock),
      entered_(types_->find("Segment Entered")),
      exited_(types_->find("Segment Exited")) {}

void SegmentChangeHub::subscribe(const std::string& segment, std::shared_ptr<EventStream> stream) {
  std::lock_guard lock(mu_);
  streams_[segment].push_back(std::move(stream));
}

size_t SegmentChangeHub::subscribers() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& [id, list] : streams_)
    n += list.size();
  return n;
}

namespace {

std::string change_json(const EventRef& e, std::string_view segment, bool entered) {
  boost::json::object o{{"customer", e.key()},
                        {"segment", segment},
                        {"change", entered ? "enter" : "exit"},
                        {"time_ms", e.time().value()}};
  for (const char* name : {"reason", "trigger_id"}) {
    PropValue v = e.prop(name);
    if (v.kind() == PropKind::kString) o[name] = v.as_string();
  }
  return boost::json::serialize(o);
}

void push_all(std::vector<std::shared_ptr<EventStream>>& list, std::string_view type,
              const std::string& data) {
  std::erase_if(list, [&](const std::shared_ptr<EventStream>& s) { return !s->push(type, data); });
}

}  // namespace

void SegmentChangeHub::write(const EventBatch& batch) {
  if (observe_delay_ && clock_ != nullptr) {
    const int64_t now_ms = clock_->now().value();
    for (const Event& raw : batch.events) {
      if (raw.type == entered_ || raw.type == exited_)
        observe_delay_(static_cast<double>(std::max<int64_t>(0, now_ms - raw.time.value())) / 1000);
    }
  }
  std::lock_guard lock(mu_);
  if (streams_.empty()) return;
  for (const Event& raw : batch.events) {
    if (raw.type != entered_ && raw.type != exited_) continue;
    const EventRef e(raw, *batch.payload);
    const PropValue segment = e.prop("segment");
    if (segment.kind() != PropKind::kString) continue;
    const bool entered = raw.type == entered_;
    const std::string data = change_json(e, segment.as_string(), entered);
    const std::string_view type = entered ? "enter" : "exit";
    if (auto it = streams_.find(std::string(segment.as_string())); it != streams_.end())
      push_all(it->second, type, data);
    if (auto it = streams_.find("*"); it != streams_.end()) push_all(it->second, type, data);
  }
  std::erase_if(streams_, [](const auto& entry) { return entry.second.empty(); });
}

}  // namespace eddy
