#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/match/customer_record.h"

namespace eddy {

// What an import's first pass learns about the import as a whole, for its second pass to act on:
//
//   placeholders  an email or phone number that more than `max_records_per_key` records of the
//                 import share is a placeholder ("noemail@example.com", the shop's own number
//                 typed in for walk-in customers), not evidence that they are one person; the
//                 records keep it as a trait but are not matched on it (MatchSettings explains
//                 the limit, and CustomerRecordOrigin how a record leaves it out).
//   duplicates    a record whose id an earlier line has; the earlier one is imported, so that
//                 one export's two versions of a customer do not silently overwrite each other.
//
// Values are kept as 64-bit hashes (xxHash3), sorted rather than in hash maps: a few bytes per
// record, so that a census of millions of records costs less than the body it counts, and no copy
// of anyone's email lingers in it. Two different values with one hash would make one record look
// like a duplicate or a placeholder; at 2^-64 per pair that is never seen in practice.
//
// Not thread-safe: one per import, on its job's thread.
class ImportCensus {
 public:
  // Counts a record that the second pass will submit, found at `line`. Lines must increase.
  void add(size_t line, const CustomerRecord& record);
  // Decides the placeholders and duplicates; call once, after the last add().
  void seal(size_t max_records_per_key);

  bool is_placeholder_email(std::string_view email) const;
  bool is_placeholder_phone(std::string_view phone) const;
  // The line of the first record with the id of the record at `line`, when that is another line.
  std::optional<size_t> earlier_line_with_id(size_t line) const;
  // How many distinct emails and phone numbers are placeholders.
  uint64_t placeholders() const { return placeholder_emails_.size() + placeholder_phones_.size(); }

 private:
  std::vector<uint64_t> emails_;
  std::vector<uint64_t> phones_;
  std::vector<std::pair<uint64_t, size_t>> ids_;  // (hash, line)
  // After seal():
  std::vector<uint64_t> placeholder_emails_;
  std::vector<uint64_t> placeholder_phones_;
  std::vector<std::pair<size_t, size_t>> duplicates_;  // (line, first line), by line
};

}  // namespace eddy
