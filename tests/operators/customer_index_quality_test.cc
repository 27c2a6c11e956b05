// How well the master customer index de-duplicates, record by record as records arrive, on the
// generated data set with known answers (tests/connectors/match/customer_dataset.h). The batch
// resolver of dedup_quality_test sees every record before it decides; the index decides each
// record when it comes, without taking anything back, which is what a live system can do.
#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <utility>

#include "operators/customer_index.h"
#include "tests/connectors/match/customer_dataset.h"

namespace eddy {
namespace {

struct Quality {
  double precision = 0;
  double recall = 0;
  size_t records = 0;
};

uint64_t pairs(uint64_t n) {
  return n * (n - 1) / 2;
}

// Pairwise precision and recall: of the pairs of records the index put into one customer, how
// many are one person, and of the pairs that are one person, how many it put together.
Quality measure(const CustomerDatasetOptions& options) {
  CustomerIndex index;
  std::vector<std::pair<std::string, size_t>> person_of;  // record id, person
  for (const LabeledCustomer& c : generate_customer_dataset(options)) {
    auto record = normalize_customer_record(c.raw, kDatasetDefaultRegion);
    if (!record) continue;
    person_of.emplace_back(record->id, c.person);
    index.add(std::move(record).value(), false);
  }
  std::map<std::string, uint64_t> per_customer;
  std::map<size_t, uint64_t> per_person;
  std::map<std::pair<std::string, size_t>, uint64_t> per_both;
  for (const auto& [id, person] : person_of) {
    const std::string customer(index.customer_of(id));
    ++per_customer[customer];
    ++per_person[person];
    ++per_both[{customer, person}];
  }
  uint64_t predicted = 0, actual = 0, both = 0;
  for (const auto& [k, n] : per_customer)
    predicted += pairs(n);
  for (const auto& [k, n] : per_person)
    actual += pairs(n);
  for (const auto& [k, n] : per_both)
    both += pairs(n);
  return {static_cast<double>(both) / static_cast<double>(predicted),
          static_cast<double>(both) / static_cast<double>(actual), person_of.size()};
}

TEST(CustomerIndexQuality, FindsTheDuplicatesAndKeepsLookAlikesApartAsRecordsArrive) {
  const Quality q = measure({.persons = 5000, .seed = 1});
  std::cout << "customer index, " << q.records << " records: precision " << q.precision
            << ", recall " << q.recall << "\n";
  EXPECT_GE(q.precision, 0.95);
  EXPECT_GE(q.recall, 0.95);
}

TEST(CustomerIndexQuality, PlaceholderEmailsDoNotMergeStrangers) {
  const Quality q = measure({.persons = 5000, .seed = 2, .placeholder_email_share = 0.02});
  std::cout << "customer index with placeholder emails, " << q.records << " records: precision "
            << q.precision << ", recall " << q.recall << "\n";
  EXPECT_GE(q.precision, 0.95);
  EXPECT_GE(q.recall, 0.95);
}

}  // namespace
}  // namespace eddy
