#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "connectors/http/event_stream.h"
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
  explicit SegmentChangeHub(std::shared_ptr<const EventTypeRegistry> types);

  // `segment` "*" receives the changes of every segment.
  void subscribe(const std::string& segment, std::shared_ptr<EventStream> stream);
  size_t subscribers() const;

  void write(const EventBatch& batch) override;

 private:
  std::shared_ptr<const EventTypeRegistry> types_;
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
