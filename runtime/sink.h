#pragma once

#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "runtime/batch_builder.h"
#include "runtime/event.h"
#include "runtime/status.h"

namespace eddy {

// Where events leave the dataflow: outbound webhooks, files, a test's collector.
//
// Threading contract: write() is called from worker threads, concurrently, each call with a whole
// batch; implementations must be thread-safe. A sink must not call back into the engine.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual void write(const EventBatch& batch) = 0;
  // Customer erasure: removes what the sink keeps of the customers these ids name (lines of files
  // it wrote, events it still holds) and says how many events went. Called from the
  // checkpointer's thread while writes go on. The default keeps nothing.
  virtual Result<uint64_t> erase_customers(const std::unordered_set<std::string>& /*ids*/) {
    return uint64_t{0};
  }
};

// Keeps copies of everything written to it; for tests and small tools.
class CollectingSink final : public Sink {
 public:
  struct Record {
    std::string key;
    EventType type;
    EventTime time;
    double amount = 0;
    int64_t quantity = 0;
    std::string item;
    std::vector<std::pair<std::string, std::string>> props;  // values rendered as text

    static Record of(const EventRef& event);

    auto tie() const { return std::tie(key, type, time, amount, quantity, item, props); }
    bool operator==(const Record& o) const { return tie() == o.tie(); }
    bool operator<(const Record& o) const { return tie() < o.tie(); }
  };

  void write(const EventBatch& batch) override;
  std::vector<Record> records() const;
  size_t size() const;

 private:
  mutable std::mutex mu_;
  std::vector<Record> records_;
};

std::string render_prop_value(const PropValue& v);

}  // namespace eddy
