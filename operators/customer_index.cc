#include "operators/customer_index.h"

#include <algorithm>
#include <array>
#include <optional>
#include <utility>

#include "connectors/match/blocking_keys.h"
#include "runtime/key_hash.h"

namespace eddy {
namespace {

constexpr uint32_t kFormatVersion = 1;
// A customer's records checked for a conflicting given name before a record joins it: a household
// shows within a few records, and a customer of thousands of records must not make a join cost
// thousands of comparisons.
constexpr size_t kConflictChecks = 32;

constexpr std::array<std::string CustomerRecord::*, 9> kFields{
    &CustomerRecord::id,         &CustomerRecord::email,     &CustomerRecord::phone,
    &CustomerRecord::first_name, &CustomerRecord::last_name, &CustomerRecord::street,
    &CustomerRecord::postcode,   &CustomerRecord::city,      &CustomerRecord::country};

}  // namespace

CustomerIndex::KeyHashes CustomerIndex::key_hashes(const CustomerRecord& record) {
  KeyHashes out;
  for (const std::string& key : blocking_keys(record)) {
    const uint64_t h = hash_key(key).value();
    if (std::find(out.hashes.begin(), out.hashes.end(), h) != out.hashes.end()) continue;
    out.hashes.push_back(h);
    out.kinds.push_back(key.empty() ? 'n' : key[0]);
  }
  return out;
}

namespace {

void write_list(StateWriter& out, const std::vector<uint32_t>& list) {
  out.put<uint64_t>(list.size());
  for (const uint32_t v : list)
    out.put<uint32_t>(v);
}

void read_list(StateReader& in, std::vector<uint32_t>& list) {
  const auto n = in.get<uint64_t>();
  for (uint64_t i = 0; i < n && in.ok(); ++i)
    list.push_back(in.get<uint32_t>());
}

}  // namespace

std::string_view to_string(CustomerIndex::Outcome outcome) {
  switch (outcome) {
    case CustomerIndex::Outcome::kCreated:
      return "created";
    case CustomerIndex::Outcome::kMerged:
      return "merged";
    case CustomerIndex::Outcome::kUpdated:
      return "updated";
    case CustomerIndex::Outcome::kLinked:
      return "linked";
    case CustomerIndex::Outcome::kConflict:
      return "conflict";
  }
  return "unknown";
}

CustomerIndex::Decision CustomerIndex::add(CustomerRecord record, bool known_user) {
  record.warnings.clear();
  if (auto it = by_record_id_.find(record.id); it != by_record_id_.end())
    return update(it->second, std::move(record));
  const KeyHashes keys = key_hashes(record);
  const std::vector<Match> matches = matches_of(record, keys);
  if (matches.empty()) {
    Decision d;
    d.customer = record.id;
    new_entry(std::move(record), new_customer(d.customer, known_user), keys);
    return d;
  }
  if (known_user) {
    for (const Match& m : matches) {
      if (!customers_[entries_[m.entry].customer].known) continue;
      Decision d;
      d.outcome = Outcome::kConflict;
      d.matched = entries_[m.entry].record.id;
      d.reason = m.decision.reason;
      d.score = m.decision.score;
      d.customer = record.id;
      new_entry(std::move(record), new_customer(d.customer, true), keys);
      return d;
    }
  }
  return join(std::move(record), known_user, matches, keys);
}

CustomerIndex::Decision CustomerIndex::join(CustomerRecord record, bool known_user,
                                            const std::vector<Match>& matches,
                                            const KeyHashes& keys) {
  Decision d;
  d.outcome = known_user ? Outcome::kLinked : Outcome::kMerged;
  d.matched = entries_[matches[0].entry].record.id;
  d.reason = matches[0].decision.reason;
  d.score = matches[0].decision.score;

  // The customers to become one: the best match's, and each other one unless that would put two
  // users, or two conflicting given names, into one customer.
  std::vector<uint32_t> joined{entries_[matches[0].entry].customer};
  bool has_user = customers_[joined[0]].known;
  for (size_t i = 1; i < matches.size(); ++i) {
    const uint32_t c = entries_[matches[i].entry].customer;
    if (customers_[c].known && has_user) continue;
    if (groups_conflict(joined, customers_[c])) continue;
    joined.push_back(c);
    has_user = has_user || customers_[c].known;
  }
  std::string id = known_user ? record.id : customers_[joined[0]].id;
  for (const uint32_t c : joined) {
    if (customers_[c].known) id = customers_[c].id;
  }

  const uint32_t into = joined[0];
  for (const uint32_t c : joined) {
    Customer& from = customers_[c];
    if (from.id != id) d.absorbed.push_back(from.id);
    by_customer_id_.erase(from.id);
    if (c == into) continue;
    for (const uint32_t e : from.entries) {
      entries_[e].customer = into;
      customers_[into].entries.push_back(e);
    }
    from = Customer{};
    free_customers_.push_back(c);
  }
  customers_[into].id = id;
  customers_[into].known = known_user || has_user;
  by_customer_id_[id] = into;
  d.customer = std::move(id);
  new_entry(std::move(record), into, keys);
  return d;
}

std::vector<CustomerIndex::Match> CustomerIndex::matches_of(const CustomerRecord& record,
                                                            const KeyHashes& keys) const {
  // A copy only when a placeholder must be left out of the comparison.
  std::optional<CustomerRecord> without_placeholders;
  std::vector<uint32_t> candidates;
  for (size_t i = 0; i < keys.hashes.size(); ++i) {
    auto it = blocks_.find(keys.hashes[i]);
    if (it == blocks_.end()) continue;
    if (it->second.placeholder) {
      // A placeholder decides nothing: compare as if the record lacked it.
      if (keys.kinds[i] != 'e' && keys.kinds[i] != 'p') continue;
      if (!without_placeholders) without_placeholders = record;
      (keys.kinds[i] == 'e' ? without_placeholders->email : without_placeholders->phone).clear();
      continue;
    }
    candidates.insert(candidates.end(), it->second.entries.begin(), it->second.entries.end());
  }
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());

  const CustomerRecord& compared = without_placeholders ? *without_placeholders : record;
  std::vector<Match> matches;
  for (const uint32_t c : candidates) {
    ++comparisons_;
    MatchDecision m = match_records(compared, entries_[c].record, settings_);
    if (m.same) matches.push_back({c, m});
  }
  // The best score first, and among equals the lowest entry: the same history, the same choice.
  std::stable_sort(matches.begin(), matches.end(), [](const Match& a, const Match& b) {
    return a.decision.score > b.decision.score;
  });
  std::vector<Match> best_per_customer;
  for (const Match& m : matches) {
    const uint32_t c = entries_[m.entry].customer;
    const bool seen = std::any_of(best_per_customer.begin(), best_per_customer.end(),
                                  [&](const Match& b) { return entries_[b.entry].customer == c; });
    if (!seen && !conflicts_with(customers_[c], record)) best_per_customer.push_back(m);
  }
  return best_per_customer;
}

bool CustomerIndex::groups_conflict(const std::vector<uint32_t>& joined,
                                    const Customer& customer) const {
  const size_t n = std::min(customer.entries.size(), kConflictChecks);
  for (const uint32_t c : joined) {
    for (size_t i = 0; i < n; ++i) {
      if (conflicts_with(customers_[c], entries_[customer.entries[i]].record)) return true;
    }
  }
  return false;
}

bool CustomerIndex::conflicts_with(const Customer& customer, const CustomerRecord& record) const {
  const size_t n = std::min(customer.entries.size(), kConflictChecks);
  for (size_t i = 0; i < n; ++i) {
    if (given_names_conflict(entries_[customer.entries[i]].record, record, settings_)) return true;
  }
  return false;
}

CustomerIndex::Decision CustomerIndex::update(uint32_t entry, CustomerRecord record) {
  unindex_keys(entry);
  const KeyHashes keys = key_hashes(record);
  entries_[entry].record = std::move(record);
  index_keys(entry, keys);
  Decision d;
  d.outcome = Outcome::kUpdated;
  d.customer = customers_[entries_[entry].customer].id;
  return d;
}

uint32_t CustomerIndex::new_customer(std::string id, bool known) {
  uint32_t c = 0;
  if (!free_customers_.empty()) {
    c = free_customers_.back();
    free_customers_.pop_back();
  } else {
    c = static_cast<uint32_t>(customers_.size());
    customers_.emplace_back();
  }
  by_customer_id_[id] = c;
  customers_[c].id = std::move(id);
  customers_[c].known = known;
  return c;
}

uint32_t CustomerIndex::new_entry(CustomerRecord record, uint32_t customer, const KeyHashes& keys) {
  uint32_t e = 0;
  if (!free_entries_.empty()) {
    e = free_entries_.back();
    free_entries_.pop_back();
  } else {
    e = static_cast<uint32_t>(entries_.size());
    entries_.emplace_back();
  }
  by_record_id_[record.id] = e;
  entries_[e] = {std::move(record), customer};
  customers_[customer].entries.push_back(e);
  index_keys(e, keys);
  return e;
}

void CustomerIndex::index_keys(uint32_t entry, const KeyHashes& keys) {
  for (const uint64_t h : keys.hashes) {
    Block& b = blocks_[h];
    if (b.placeholder) continue;
    if (b.entries.size() >= settings_.max_candidates_per_key) {
      b.placeholder = true;
      std::vector<uint32_t>().swap(b.entries);
      placeholders_.push_back(h);
      continue;
    }
    b.entries.push_back(entry);
  }
}

void CustomerIndex::unindex_keys(uint32_t entry) {
  for (const uint64_t h : key_hashes(entries_[entry].record).hashes) {
    auto it = blocks_.find(h);
    if (it == blocks_.end() || it->second.placeholder) continue;
    auto& v = it->second.entries;
    v.erase(std::remove(v.begin(), v.end(), entry), v.end());
    if (v.empty()) blocks_.erase(it);
  }
}

std::string_view CustomerIndex::customer_of(std::string_view record_id) const {
  auto it = by_record_id_.find(std::string(record_id));
  if (it == by_record_id_.end()) return {};
  return customers_[entries_[it->second].customer].id;
}

size_t CustomerIndex::erase_customer(std::string_view customer) {
  auto it = by_customer_id_.find(std::string(customer));
  if (it == by_customer_id_.end()) return 0;
  Customer& c = customers_[it->second];
  for (const uint32_t e : c.entries) {
    unindex_keys(e);
    by_record_id_.erase(entries_[e].record.id);
    entries_[e] = Entry{};
    free_entries_.push_back(e);
  }
  const size_t erased = c.entries.size();
  free_customers_.push_back(it->second);
  c = Customer{};
  by_customer_id_.erase(it);
  return erased;
}

void CustomerIndex::write(StateWriter& out) const {
  // About what a record takes, so that a large index is not copied again as the output grows.
  out.reserve(out.size() + entries_.size() * 144);
  out.put<uint32_t>(kFormatVersion);
  out.put<uint64_t>(entries_.size());
  for (const Entry& e : entries_) {
    out.put_string(e.record.id);
    if (e.record.id.empty()) continue;
    for (size_t i = 1; i < kFields.size(); ++i)
      out.put_string(e.record.*kFields[i]);
    out.put<uint32_t>(e.customer);
  }
  // The free lists in their order, so that a restored index reuses the entries the running one
  // would have: which entry a record gets decides ties, and a replay must decide them alike.
  write_list(out, free_entries_);
  out.put<uint64_t>(customers_.size());
  for (const Customer& c : customers_) {
    out.put_string(c.id);
    out.put<uint8_t>(c.known ? 1 : 0);
    out.put<uint64_t>(c.entries.size());
    for (const uint32_t e : c.entries)
      out.put<uint32_t>(e);
  }
  write_list(out, free_customers_);
  out.put<uint64_t>(placeholders_.size());
  for (const uint64_t hash : placeholders_)
    out.put<uint64_t>(hash);
  out.put<uint64_t>(comparisons_);
}

Status CustomerIndex::read(StateReader& in) {
  *this = CustomerIndex(settings_);
  if (in.get<uint32_t>() != kFormatVersion)
    return {Errc::kCorrupt, "unknown customer index format"};
  const auto entry_count = in.get<uint64_t>();
  for (uint64_t i = 0; i < entry_count && in.ok(); ++i) {
    Entry& e = entries_.emplace_back();
    e.record.id = in.get_string();
    if (e.record.id.empty()) continue;
    for (size_t f = 1; f < kFields.size(); ++f)
      e.record.*kFields[f] = in.get_string();
    e.customer = in.get<uint32_t>();
  }
  read_list(in, free_entries_);
  const auto customer_count = in.get<uint64_t>();
  for (uint64_t i = 0; i < customer_count && in.ok(); ++i) {
    Customer& c = customers_.emplace_back();
    c.id = in.get_string();
    c.known = in.get<uint8_t>() != 0;
    const auto n = in.get<uint64_t>();
    for (uint64_t k = 0; k < n && in.ok(); ++k)
      c.entries.push_back(in.get<uint32_t>());
    if (!c.id.empty()) by_customer_id_[c.id] = static_cast<uint32_t>(i);
  }
  read_list(in, free_customers_);
  const auto placeholders = in.get<uint64_t>();
  for (uint64_t i = 0; i < placeholders && in.ok(); ++i) {
    placeholders_.push_back(in.get<uint64_t>());
    blocks_[placeholders_.back()].placeholder = true;
  }
  comparisons_ = in.get<uint64_t>();
  if (!in.ok()) return {Errc::kCorrupt, "customer index state is truncated"};
  by_record_id_.reserve(entries_.size());
  blocks_.reserve(entries_.size() * 3);
  for (uint32_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].record.id.empty()) continue;
    if (entries_[i].customer >= customers_.size() || customers_[entries_[i].customer].id.empty())
      return {Errc::kCorrupt, "customer index record names no customer"};
    by_record_id_[entries_[i].record.id] = i;
    index_keys(i, key_hashes(entries_[i].record));
  }
  return {};
}

}  // namespace eddy
