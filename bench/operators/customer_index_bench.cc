// The master customer index's matching rate: records of the generated customer data set
// (duplicates, look-alikes and a share of placeholder emails), normalised beforehand, added to a
// fresh index in order, as the customer_matcher operator adds an import's records.
#include <benchmark/benchmark.h>

#include <map>
#include <vector>

#include "operators/customer_index.h"
#include "tests/connectors/match/customer_dataset.h"

namespace eddy {
namespace {

const std::vector<CustomerRecord>& normalised_records(size_t count) {
  static std::map<size_t, std::vector<CustomerRecord>> cache;
  auto& records = cache[count];
  if (!records.empty()) return records;
  // About 2.2 records per person in the data set.
  CustomerDatasetOptions options{
      .persons = count * 10 / 22, .seed = 7, .placeholder_email_share = 0.01};
  for (const LabeledCustomer& c : generate_customer_dataset(options)) {
    auto r = normalize_customer_record(c.raw, kDatasetDefaultRegion);
    if (r) records.push_back(std::move(r).value());
  }
  return records;
}

void BM_CustomerIndexAdd(benchmark::State& state) {
  const auto& records = normalised_records(static_cast<size_t>(state.range(0)));
  uint64_t comparisons = 0;
  size_t customers = 0;
  for (auto _ : state) {
    CustomerIndex index;
    for (const CustomerRecord& r : records)
      benchmark::DoNotOptimize(index.add(r, false));
    comparisons = index.comparisons();
    customers = index.customer_count();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * records.size()));
  state.counters["records"] = static_cast<double>(records.size());
  state.counters["customers"] = static_cast<double>(customers);
  state.counters["comparisons_per_record"] =
      static_cast<double>(comparisons) / static_cast<double>(records.size());
}
BENCHMARK(BM_CustomerIndexAdd)
    ->ArgName("records")
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// Checkpointing and restoring the index of a million-record import: the pause the worker that
// owns the index takes at each checkpoint, and at start-up.
void BM_CustomerIndexSnapshot(benchmark::State& state) {
  const auto& records = normalised_records(static_cast<size_t>(state.range(0)));
  CustomerIndex index;
  for (const CustomerRecord& r : records)
    index.add(r, false);
  size_t bytes = 0;
  for (auto _ : state) {
    StateWriter out;
    index.write(out);
    bytes = out.size();
    benchmark::DoNotOptimize(out.bytes().data());
  }
  state.counters["bytes_per_record"] =
      static_cast<double>(bytes) / static_cast<double>(records.size());
}
BENCHMARK(BM_CustomerIndexSnapshot)
    ->ArgName("records")
    ->Arg(1'000'000)
    ->Unit(benchmark::kMillisecond);

void BM_CustomerIndexRestore(benchmark::State& state) {
  const auto& records = normalised_records(static_cast<size_t>(state.range(0)));
  CustomerIndex index;
  for (const CustomerRecord& r : records)
    index.add(r, false);
  StateWriter out;
  index.write(out);
  for (auto _ : state) {
    CustomerIndex restored;
    StateReader in(out.bytes());
    benchmark::DoNotOptimize(restored.read(in));
  }
}
BENCHMARK(BM_CustomerIndexRestore)
    ->ArgName("records")
    ->Arg(1'000'000)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace eddy
