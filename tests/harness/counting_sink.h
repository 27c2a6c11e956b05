#pragma once

#include <atomic>
#include <cstdint>

#include "runtime/sink.h"

namespace eddy::testing {

// Counts the events a sink receives, from any worker thread.
class CountingSink final : public Sink {
 public:
  void write(const EventBatch& batch) override { events_.fetch_add(batch.size()); }
  uint64_t events() const { return events_.load(); }

 private:
  std::atomic<uint64_t> events_{0};
};

}  // namespace eddy::testing
