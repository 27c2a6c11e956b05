#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "connectors/match/customer_record.h"

namespace eddy {

// A synthetic customer import with known answers, for measuring how well records are
// de-duplicated: every record carries the person it describes.
//
// Persons live in Germany, the UK or the US, with names from tables of common names (accents
// included), a street address, an email and a phone number that libphonenumber holds valid.
// Each has one to five records, as several shops, sign-ups and CRMs would have entered them. The
// first record is written cleanly; every further one varies the way real records of one person
// do, each change drawn at random:
//   - a typo in one name, away from its first letter: a letter substituted, dropped, or swapped
//     with its neighbour;
//   - first and last name swapped; the name in capitals or lower case; accents written out
//     ("Mueller") or left off ("Muller"); the first name left out;
//   - the email in other case or with spaces around, left out, or mistyped beyond repair;
//   - the phone number in another of its country's formats (national, international, "00",
//     spaces, dashes, dots, parentheses), or left out;
//   - the street abbreviated ("Hauptstr.", "Main St"), mistyped or left out; the postcode in
//     other case or spacing, as ZIP+4, or left out; the country as a code or a name, or left out;
//     the city left out.
// Among the persons are look-alikes of earlier ones, who must stay apart:
//   - relatives: the same surname and address with another first name, and now and then the
//     household's shared email or landline;
//   - namesakes: the same first and last name at another postcode;
//   - similar emails: another person whose address differs from an earlier one's by a digit
//     or a dot ("ann.smith@..." and "ann.smith7@...").
// Persons chosen with `placeholder_email_share` write "noemail@example.com" instead of their
// email, as shops' staff do for customers who will not give one.
//
// Deterministic: the same options give the same records on every platform (the generator draws
// raw 64-bit numbers from std::mt19937_64, whose sequence the standard fixes, and maps them
// itself rather than through the library's distributions, which differ between libraries).
struct CustomerDatasetOptions {
  size_t persons = 5000;
  uint64_t seed = 1;
  double placeholder_email_share = 0.0;
};

inline constexpr std::string_view kPlaceholderEmail = "noemail@example.com";

struct LabeledCustomer {
  RawCustomerRecord raw;
  size_t person = 0;  // the same for all records of one person, different for different persons
};

std::vector<LabeledCustomer> generate_customer_dataset(const CustomerDatasetOptions& options);

// The region the data set's national phone numbers are read in when a record has no country.
inline constexpr std::string_view kDatasetDefaultRegion = "DE";

}  // namespace eddy
