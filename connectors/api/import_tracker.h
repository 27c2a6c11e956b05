#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "connectors/api/import_progress.h"
#include "runtime/sink.h"

namespace eddy {

// The output the topology binds its "Customer Matched" events to (kCustomerMatchedType): the
// master customer index's answer to every customer record, which carries the import the record
// came with (prop "import") and its "outcome".
inline constexpr std::string_view kCustomerMatchesSink = "customer_matches";

// Counts the outcomes of the imports it tracks (POST /v1/import) from the "Customer Matched"
// events bound to kCustomerMatchesSink, so that an import's status can say how many records
// created a customer, joined one or updated one, and when every record has been matched.
//
// Everything else is ignored: events of other types, records that came with no import (an
// identify's traits), and imports it does not track, such as those a replay after a restart
// matches again: their jobs, and so their statuses, did not survive the restart.
//
// Threading contract: write() from worker threads, concurrently; track() and forget() from any
// thread. One mutex, held for a map lookup per event; never calls into the engine. It keeps no
// personal data, so an erasure has nothing to remove from it.
class ImportTracker final : public Sink {
 public:
  // `matched_type` is the topology's id of kCustomerMatchedType.
  explicit ImportTracker(EventType matched_type) : matched_type_(matched_type) {}

  // Counts the outcomes of `progress->id()` from now on.
  void track(std::shared_ptr<ImportProgress> progress);
  void forget(std::string_view import_id);

  void write(const EventBatch& batch) override;
  Result<uint64_t> erase_customers(const std::unordered_set<std::string>& ids) override;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  const EventType matched_type_;
  std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<ImportProgress>, Hash, std::equal_to<>> imports_;
};

}  // namespace eddy
