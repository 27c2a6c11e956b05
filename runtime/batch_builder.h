#pragma once

#include <memory>
#include <span>
#include <string_view>

#include "runtime/event.h"

namespace eddy {

struct PropDraft {
  std::string_view name;
  PropValue value;
};

// What an event is made of before it is stored in a batch. Views only: the builder copies them.
struct EventDraft {
  std::string_view key;
  EventType type;
  EventTime time;
  double amount = 0;
  int64_t quantity = 0;
  std::string_view item;
  std::span<const PropDraft> props;
  LogOffset offset;
};

// Builds one batch. Not thread-safe; a builder belongs to the thread that fills it.
class BatchBuilder {
 public:
  BatchBuilder();

  // Adds an event and returns a reference to it, valid until the next call to finish().
  EventRef add(const EventDraft& draft);
  EventRef add(const EventDraft& draft, KeyHash precomputed);
  // Copies an event from another batch, strings and properties included.
  EventRef add(const EventRef& source);
  // The same under a new key: how an exchange re-keys an event for the next stage.
  EventRef add_rekeyed(const EventRef& source, std::string_view key, KeyHash hash);

  size_t size() const { return events_.size(); }
  bool empty() const { return events_.empty(); }
  size_t payload_bytes() const { return payload_->strings.size(); }
  EventRef at(size_t i) const { return EventRef(events_[i], *payload_); }

  // Hands the batch over and leaves the builder empty, ready for the next one.
  EventBatch finish();
  void clear();

 private:
  StrRef intern(std::string_view s);

  std::vector<Event> events_;
  std::unique_ptr<Payload> payload_;
};

}  // namespace eddy
