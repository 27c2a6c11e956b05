#include <gtest/gtest.h>

#include <cstdint>
#include <iomanip>
#include <iostream>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "connectors/match/blocking_keys.h"
#include "connectors/match/customer_record.h"
#include "connectors/match/record_match.h"
#include "tests/connectors/match/customer_dataset.h"

namespace eddy {
namespace {

// Union-find over record indexes that knows the members of each cluster, so that it can refuse
// to join two clusters whose records conflict (given_names_conflict in record_match.h).
class Clusters {
 public:
  explicit Clusters(size_t size) : parent_(size), members_(size) {
    std::iota(parent_.begin(), parent_.end(), 0);
    for (size_t i = 0; i < size; ++i)
      members_[i] = {i};
  }

  size_t find(size_t i) {
    while (parent_[i] != i) {
      parent_[i] = parent_[parent_[i]];
      i = parent_[i];
    }
    return i;
  }

  void join(size_t a, size_t b, const std::vector<CustomerRecord>& records,
            const MatchSettings& settings) {
    size_t root_a = find(a);
    size_t root_b = find(b);
    if (root_a == root_b) return;
    for (size_t x : members_[root_a]) {
      for (size_t y : members_[root_b]) {
        if (given_names_conflict(records[x], records[y], settings)) return;
      }
    }
    if (members_[root_a].size() < members_[root_b].size()) std::swap(root_a, root_b);
    parent_[root_b] = root_a;
    members_[root_a].insert(members_[root_a].end(), members_[root_b].begin(),
                            members_[root_b].end());
    members_[root_b].clear();
  }

 private:
  std::vector<size_t> parent_;
  std::vector<std::vector<size_t>> members_;
};

struct Resolution {
  std::vector<size_t> cluster;  // for each record, a representative of its cluster
  size_t comparisons = 0;
};

// The simplest resolver that uses the library as record_match.h describes: a first pass counts
// the records behind every blocking key, and a key shared by more than max_candidates_per_key of
// them is uninformative. The second pass compares each record with the earlier ones that share an
// informative key, with an email or phone behind an uninformative key left out, and joins the
// clusters of every pair that matches unless records of the two conflict (Clusters::join).
Resolution resolve(const std::vector<CustomerRecord>& records, const MatchSettings& settings) {
  std::vector<std::vector<std::string>> keys(records.size());
  std::unordered_map<std::string, size_t> records_per_key;
  for (size_t i = 0; i < records.size(); ++i) {
    keys[i] = blocking_keys(records[i]);
    for (const std::string& key : keys[i])
      ++records_per_key[key];
  }
  const auto informative = [&](const std::string& key) {
    return records_per_key[key] <= settings.max_candidates_per_key;
  };
  std::vector<CustomerRecord> compared = records;
  for (CustomerRecord& r : compared) {
    if (!r.email.empty() && !informative("e:" + r.email)) r.email.clear();
    if (!r.phone.empty() && !informative("p:" + r.phone)) r.phone.clear();
  }

  Resolution out;
  Clusters clusters(records.size());
  std::unordered_map<std::string, std::vector<size_t>> earlier;
  std::vector<size_t> compared_with(records.size(), SIZE_MAX);  // the record last compared to
  for (size_t i = 0; i < records.size(); ++i) {
    for (const std::string& key : keys[i]) {
      if (!informative(key)) continue;
      std::vector<size_t>& list = earlier[key];
      for (size_t j : list) {
        if (compared_with[j] == i) continue;
        compared_with[j] = i;
        ++out.comparisons;
        if (match_records(compared[i], compared[j], settings).same) {
          clusters.join(i, j, compared, settings);
        }
      }
      list.push_back(i);
    }
  }
  out.cluster.resize(records.size());
  for (size_t i = 0; i < records.size(); ++i)
    out.cluster[i] = clusters.find(i);
  return out;
}

struct Quality {
  double precision = 0;
  double recall = 0;
};

// Pairwise precision and recall: of the record pairs put into one cluster, how many are one
// person; of the record pairs that are one person, how many were put into one cluster.
Quality measure(const std::vector<size_t>& person, const std::vector<size_t>& cluster) {
  const auto pairs = [](const auto& sizes) {
    uint64_t total = 0;
    for (const auto& [group, size] : sizes)
      total += static_cast<uint64_t>(size) * (size - 1) / 2;
    return total;
  };
  std::map<size_t, size_t> per_person;
  std::map<size_t, size_t> per_cluster;
  std::map<std::pair<size_t, size_t>, size_t> per_both;
  for (size_t i = 0; i < person.size(); ++i) {
    ++per_person[person[i]];
    ++per_cluster[cluster[i]];
    ++per_both[{person[i], cluster[i]}];
  }
  const double right = static_cast<double>(pairs(per_both));
  const double found = static_cast<double>(pairs(per_cluster));
  const double known = static_cast<double>(pairs(per_person));
  return {found == 0 ? 1.0 : right / found, known == 0 ? 1.0 : right / known};
}

struct Normalized {
  std::vector<CustomerRecord> records;
  std::vector<size_t> person;
};

Normalized normalize(const std::vector<LabeledCustomer>& dataset) {
  Normalized out;
  for (const LabeledCustomer& c : dataset) {
    Result<CustomerRecord> record = normalize_customer_record(c.raw, kDatasetDefaultRegion);
    if (!record) continue;  // the data set has none of these; customer_record_test covers them
    out.records.push_back(std::move(*record));
    out.person.push_back(c.person);
  }
  return out;
}

void print(std::string_view what, const Quality& q, size_t records) {
  std::cout << what << std::fixed << std::setprecision(3) << " precision=" << q.precision
            << " recall=" << q.recall << " records=" << records << std::endl;
}

TEST(DedupQuality, FindsDuplicatesAndKeepsLookAlikesApart) {
  const Normalized data = normalize(generate_customer_dataset({.persons = 5000, .seed = 1}));
  ASSERT_GT(data.records.size(), 11000u);
  const MatchSettings settings;
  const Resolution resolution = resolve(data.records, settings);
  const Quality q = measure(data.person, resolution.cluster);
  print("dedup", q, data.records.size());
  EXPECT_GE(q.precision, 0.95);
  EXPECT_GE(q.recall, 0.95);
  // Blocking keeps the work near linear: a few comparisons per record, not thousands.
  EXPECT_LT(resolution.comparisons, 5 * data.records.size());
}

TEST(DedupQuality, IgnoresAPlaceholderEmailThousandsOfRecordsShare) {
  const Normalized data = normalize(
      generate_customer_dataset({.persons = 5000, .seed = 2, .placeholder_email_share = 0.3}));
  size_t placeholders = 0;
  for (const CustomerRecord& r : data.records)
    placeholders += r.email == kPlaceholderEmail;
  ASSERT_GT(placeholders, 2000u);
  const MatchSettings settings;
  const Resolution resolution = resolve(data.records, settings);
  const Quality q = measure(data.person, resolution.cluster);
  print("dedup with placeholder emails", q, data.records.size());
  EXPECT_GE(q.precision, 0.95);
  EXPECT_GE(q.recall, 0.9);  // fewer emails to go by
  EXPECT_LT(resolution.comparisons, 5 * data.records.size());
}

TEST(DedupQuality, WithoutTheCapAPlaceholderEmailMergesStrangers) {
  // A smaller set, since every placeholder record is compared with every other.
  const Normalized data = normalize(
      generate_customer_dataset({.persons = 500, .seed = 3, .placeholder_email_share = 0.3}));
  MatchSettings uncapped;
  uncapped.max_candidates_per_key = SIZE_MAX;
  const Quality q = measure(data.person, resolve(data.records, uncapped).cluster);
  print("dedup with placeholder emails, uncapped", q, data.records.size());
  EXPECT_LT(q.precision, 0.9);
}

TEST(CustomerDataset, IsTheSameForTheSameSeed) {
  const std::vector<LabeledCustomer> a = generate_customer_dataset({.persons = 200, .seed = 9});
  const std::vector<LabeledCustomer> b = generate_customer_dataset({.persons = 200, .seed = 9});
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].raw, b[i].raw);
    EXPECT_EQ(a[i].person, b[i].person);
  }
  EXPECT_NE(generate_customer_dataset({.persons = 200, .seed = 10})[0].raw, a[0].raw);
}

// What the data set claims, checked: its records normalise, its phone numbers are valid where
// the country that reads them is known, and its look-alikes are there to be told apart, sharing
// keys with records of other persons.
TEST(CustomerDataset, HoldsValidRecordsAndLookAlikesThatShareKeys) {
  const std::vector<LabeledCustomer> dataset =
      generate_customer_dataset({.persons = 5000, .seed = 1});
  std::vector<CustomerRecord> records;
  std::vector<size_t> person;
  size_t email_warnings = 0;
  for (const LabeledCustomer& c : dataset) {
    Result<CustomerRecord> r = normalize_customer_record(c.raw, kDatasetDefaultRegion);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    for (const std::string& w : r->warnings) {
      if (w.starts_with("email dropped")) {
        ++email_warnings;
      } else {
        // A British or American number written nationally, in a record without its country.
        EXPECT_TRUE(w.starts_with("phone dropped") && c.raw.country.empty()) << w;
      }
    }
    records.push_back(std::move(*r));
    person.push_back(c.person);
  }
  EXPECT_GT(email_warnings, 100u);  // the emails mistyped beyond repair

  std::unordered_map<std::string, std::vector<size_t>> by_key;
  for (size_t i = 0; i < records.size(); ++i) {
    for (const std::string& key : blocking_keys(records[i]))
      by_key[key].push_back(i);
  }
  std::set<std::pair<size_t, size_t>> look_alikes;  // records of two persons sharing a key
  for (const auto& [key, members] : by_key) {
    for (size_t x = 0; x < members.size(); ++x) {
      for (size_t y = x + 1; y < members.size(); ++y) {
        if (person[members[x]] != person[members[y]]) look_alikes.insert({members[x], members[y]});
      }
    }
  }
  std::cout << "look-alike record pairs sharing a blocking key=" << look_alikes.size() << std::endl;
  EXPECT_GT(look_alikes.size(), 1000u);
}

}  // namespace
}  // namespace eddy
