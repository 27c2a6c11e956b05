#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "connectors/http/event_stream.h"
#include "runtime/clock.h"
#include "runtime/event_types.h"
#include "runtime/sink.h"

namespace eddy {

// Fans "Segment Entered" / "Segment Exited" events out to live subscribers (Server-Sent Events
// clients of GET /v1/segments/{id}/changes). A sink: write() runs on worker threads.
//
// Subscribers are few and change rarely, so one mutex guards them; a worker holds it for one
// batch. A stream that refuses an event (its client left or fell too far behind) is dropped.
class SegmentChangeHub final : public Sink {
 public:
  // `observe_delay` (optional) receives, for every change, the seconds from the event time of the
  // change (the time of the event that caused it, or of the watermark that did) to its reaching
  // this sink: how far behind the stream live membership runs.
  explicit SegmentChangeHub(std::shared_ptr<const EventTypeRegistry> types,
                            std::function<void(double)> observe_delay = {},
                            const Clock* clock = nullptr);

  // `segment` "*" receives the changes of every segment.
  void subscribe(const std::string& segment, std::shared_ptr<EventStream> stream);
  size_t subscribers() const;

  void write(const EventBatch& batch) override;

 private:
  std::shared_ptr<const EventTypeRegistry> types_;
  std::function<void(double)> observe_delay_;
  const Clock* clock_;
  EventType entered_;
  EventType exited_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::vector<std::shared_ptr<EventStream>>> streams_;
};

// Writes every batch to each of several sinks: one topology output feeding both a file and the
// live subscribers.
class FanoutSink final : public Sink {
 public:
  explicit FanoutSink(std::vector<std::shared_ptr<Sink>> sinks) : sinks_(std::move(sinks)) {}
  void write(const EventBatch& batch) override {
    for (const auto& s : sinks_)
      s->write(batch);
  }

 private:
  std::vector<std::shared_ptr<Sink>> sinks_;
};

}  // namespace eddy
