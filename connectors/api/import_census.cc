#include "connectors/api/import_census.h"

#include <algorithm>

#include "runtime/key_hash.h"

namespace eddy {
namespace {

uint64_t hash_of(std::string_view value) {
  return hash_key(value).value();
}

// The values that occur more than `limit` times in `hashes`, sorted; empties `hashes`.
std::vector<uint64_t> shared_by_more_than(std::vector<uint64_t>& hashes, size_t limit) {
  std::sort(hashes.begin(), hashes.end());
  std::vector<uint64_t> out;
  for (auto run = hashes.begin(); run != hashes.end();) {
    const auto end = std::upper_bound(run, hashes.end(), *run);
    if (static_cast<size_t>(end - run) > limit) out.push_back(*run);
    run = end;
  }
  hashes = {};
  return out;
}

bool holds(const std::vector<uint64_t>& sorted, std::string_view value) {
  return !value.empty() && std::binary_search(sorted.begin(), sorted.end(), hash_of(value));
}

}  // namespace

void ImportCensus::add(size_t line, const CustomerRecord& record) {
  if (!record.email.empty()) emails_.push_back(hash_of(record.email));
  if (!record.phone.empty()) phones_.push_back(hash_of(record.phone));
  ids_.emplace_back(hash_of(record.id), line);
}

void ImportCensus::seal(size_t max_records_per_key) {
  placeholder_emails_ = shared_by_more_than(emails_, max_records_per_key);
  placeholder_phones_ = shared_by_more_than(phones_, max_records_per_key);
  // By hash, then line: each run of one id starts with its first line.
  std::sort(ids_.begin(), ids_.end());
  for (size_t run = 0; run < ids_.size();) {
    size_t next = run + 1;
    for (; next < ids_.size() && ids_[next].first == ids_[run].first; ++next)
      duplicates_.emplace_back(ids_[next].second, ids_[run].second);
    run = next;
  }
  ids_ = {};
  std::sort(duplicates_.begin(), duplicates_.end());
}

bool ImportCensus::is_placeholder_email(std::string_view email) const {
  return holds(placeholder_emails_, email);
}

bool ImportCensus::is_placeholder_phone(std::string_view phone) const {
  return holds(placeholder_phones_, phone);
}

std::optional<size_t> ImportCensus::earlier_line_with_id(size_t line) const {
  const auto it =
      std::lower_bound(duplicates_.begin(), duplicates_.end(), std::pair<size_t, size_t>(line, 0));
  if (it == duplicates_.end() || it->first != line) return std::nullopt;
  return it->second;
}

}  // namespace eddy
