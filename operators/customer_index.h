#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "connectors/match/customer_record.h"
#include "connectors/match/record_match.h"
#include "runtime/state_io.h"
#include "runtime/status.h"

namespace eddy {

// The master customer index: every customer record matched so far, grouped into customers. A new
// record is compared with the earlier records that share one of its blocking keys
// (connectors/match/blocking_keys.h) and joins the customer of the best match (record_match.h),
// or becomes a customer of its own. Records are never compared with the whole index, so a record
// costs the same whether the index holds a thousand records or ten million.
//
// A customer's id is a user id (a "known" customer, the records of identify calls) or else the id
// of the import record that started it. The rules follow identity resolution's
// (operators/identity_resolver.h), which carries the index's decisions out:
//   - an import record joins the customers it matches ("merged"): when it matches several, they
//     become one, the way a batch resolver joins every matching pair transitively; the customer
//     keeps the id of the one it matched best, or the user id when one of them is a user's;
//   - a user's record that matches customers of imports only turns them into the user's: the
//     customer takes the user id ("linked"), and identity resolution moves their profiles;
//   - a user's record that matches another user's customer joins nothing ("conflict"): eddy never
//     merges two known users; it becomes a customer of its own. Nor does a record join two users'
//     customers into one: it joins the best and leaves the other;
//   - a record id seen before replaces that record's fields and stays with its customer
//     ("updated"): importing a file again changes nothing but what changed in it.
// A record never joins a customer holding a record whose given name conflicts with its own, and
// two customers are never joined when records of the two conflict so (given_names_conflict): a
// record without a given name would otherwise bridge a household.
//
// A blocking key shared by more than MatchSettings::max_candidates_per_key records is a
// placeholder, not evidence: from then on it finds no candidates, and an email or phone behind it
// decides nothing. The records that shared it before it filled up were matched through it; an
// import counts its placeholders before it sends anything (docs/import.md) so that this is rare.
//
// Not thread-safe: the state of one operator key (operators/customer_matcher.h).
class CustomerIndex {
 public:
  enum class Outcome : uint8_t { kCreated, kMerged, kUpdated, kLinked, kConflict };

  struct Decision {
    Outcome outcome = Outcome::kCreated;
    std::string customer;  // the customer the record belongs to now
    // kMerged, kLinked: the customers that are now part of `customer`, each of whose profile moves
    // into the customer's.
    std::vector<std::string> absorbed;
    std::string matched;  // kMerged, kLinked, kConflict: the record it matched best
    MatchReason reason = MatchReason::kNone;
    double score = 0;
  };

  explicit CustomerIndex(MatchSettings settings = {}) : settings_(settings) {}

  // Adds or updates a record. `record.id` must not be empty; its warnings are not kept.
  Decision add(CustomerRecord record, bool known_user);

  // The id of the customer a record id belongs to; empty when the index has no such record.
  std::string_view customer_of(std::string_view record_id) const;
  // Forgets every record of a customer (erasure); returns how many there were.
  size_t erase_customer(std::string_view customer);

  size_t record_count() const { return by_record_id_.size(); }
  size_t customer_count() const { return by_customer_id_.size(); }
  size_t placeholder_keys() const { return placeholders_.size(); }
  uint64_t comparisons() const { return comparisons_; }

  void write(StateWriter& out) const;
  // Replaces the index with what write() wrote.
  Status read(StateReader& in);

 private:
  struct Entry {
    CustomerRecord record;  // an empty id marks a free entry
    uint32_t customer = 0;
  };
  struct Customer {
    std::string id;  // empty: free
    bool known = false;
    std::vector<uint32_t> entries;
  };
  // The records sharing one blocking key, by the key's hash: a collision only adds candidates,
  // which match_records then turns down.
  struct Block {
    std::vector<uint32_t> entries;
    bool placeholder = false;  // more records than max_candidates_per_key shared it
  };
  struct Match {
    uint32_t entry = 0;
    MatchDecision decision;
  };
  // The hashes of a record's blocking keys, each once, and whether each is an email or phone key.
  struct KeyHashes {
    std::vector<uint64_t> hashes;
    std::vector<char> kinds;  // 'e', 'p' or 'n'
  };
  static KeyHashes key_hashes(const CustomerRecord& record);

  // The best match in each customer the record may join, best first.
  std::vector<Match> matches_of(const CustomerRecord& record, const KeyHashes& keys) const;
  bool conflicts_with(const Customer& customer, const CustomerRecord& record) const;
  bool groups_conflict(const std::vector<uint32_t>& joined, const Customer& customer) const;
  Decision join(CustomerRecord record, bool known_user, const std::vector<Match>& matches,
                const KeyHashes& keys);
  uint32_t new_entry(CustomerRecord record, uint32_t customer, const KeyHashes& keys);
  uint32_t new_customer(std::string id, bool known);
  void index_keys(uint32_t entry, const KeyHashes& keys);
  void unindex_keys(uint32_t entry);
  Decision update(uint32_t entry, CustomerRecord record);

  MatchSettings settings_;
  std::vector<Entry> entries_;
  std::vector<uint32_t> free_entries_;
  std::vector<Customer> customers_;
  std::vector<uint32_t> free_customers_;
  std::unordered_map<std::string, uint32_t> by_record_id_;
  std::unordered_map<std::string, uint32_t> by_customer_id_;
  std::unordered_map<uint64_t, Block> blocks_;
  // The hashes of the placeholder blocks, so that a snapshot need not walk every block.
  std::vector<uint64_t> placeholders_;
  mutable uint64_t comparisons_ = 0;
};

std::string_view to_string(CustomerIndex::Outcome outcome);

}  // namespace eddy
