#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

namespace eddy {

// A value every instance of an operator contributes to and every instance reads back merged over
// all key groups: the population histograms behind RFM quintile scores. Merging must be
// commutative and associative, so that the merged value does not depend on who arrived first.
class GlobalAggregate {
 public:
  virtual ~GlobalAggregate() = default;
  virtual void merge(const GlobalAggregate& other) = 0;
  virtual std::unique_ptr<GlobalAggregate> clone() const = 0;
};

using AggregateParts = std::vector<std::shared_ptr<const GlobalAggregate>>;

// Where workers meet once per epoch of event time (settings.global_aggregate_interval_ms).
//
// When a worker's watermark enters a new epoch it publishes its contributions (one part per
// aggregating operator, merged over its key groups) and waits until every worker has published for
// that epoch, then reads the merge. Every worker sees the same watermark sequence, so every one
// publishes the same epochs and the merged value for an epoch reflects the same input everywhere:
// results do not depend on the worker count. A worker that jumps several epochs at once publishes
// one contribution for the whole range, so nobody waits for an epoch a peer skipped.
class AggregateBoard {
 public:
  explicit AggregateBoard(uint32_t workers);

  // Publishes worker `w`'s parts for the epochs (its previous epoch, `epoch`].
  void publish(uint32_t worker, int64_t epoch, AggregateParts parts);
  // True once every worker has published for `epoch`.
  bool ready(int64_t epoch) const;
  // Waits up to `micros` for ready(epoch).
  void wait(int64_t epoch, int64_t micros);
  // The parts merged over all workers for `epoch` (which must be ready), in worker order.
  AggregateParts merged(int64_t epoch) const;

 private:
  struct Entry {
    int64_t from_exclusive;
    int64_t to;
    AggregateParts parts;
  };
  bool ready_locked(int64_t epoch) const;
  void forget_before_locked(int64_t epoch);

  mutable std::mutex mu_;
  std::condition_variable published_;
  std::vector<std::deque<Entry>> by_worker_;
  std::vector<int64_t> last_epoch_;
};

}  // namespace eddy
