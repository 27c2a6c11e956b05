#pragma once

#include <string>
#include <vector>

#include "connectors/match/customer_record.h"

namespace eddy {

// Blocking: comparing every record with every other is quadratic, so a resolver only compares
// records that share a blocking key. A duplicate that shares no key with its original is never
// found, however good match_records is; a key that thousands of records share makes the
// comparisons quadratic again (see MatchSettings::max_candidates_per_key). The keys below aim
// for both: each names at most a household, and every kind of variation a duplicate shows in the
// test data set (tests/connectors/match/customer_dataset.h) leaves at least one key intact.
//
// A record's keys, each prefixed with what it is made of, and only those whose parts are present:
//   "e:" + email                       an exact normalised email
//   "p:" + phone                       an exact E.164 phone number
//   "n:" + name key + "|" + postcode   two keys, see below
//
// The name keys are the whole of one name, spelled for keys (below), and the initial of the
// other: for Ann Smith, "n:smith+a|SW1A1AA" and "n:an+s|SW1A1AA". Why this shape:
//   - A typo in one name (a letter substituted, dropped or swapped) leaves the key built from the
//     whole of the other name intact, unless it hits that name's first letter, which people
//     rarely get wrong. Keys of both names at once, such as the sorted pair of their first three
//     letters or of their Soundex codes, break whenever the typo falls into the part they keep.
//     Measured on the test data set, over the duplicate pairs with one postcode whose names
//     differ (a typo, a respelling, a swap): these keys bring 95% of them together, sorted
//     three-letter prefixes 52%, sorted Soundex codes 50%, at twice their comparisons (19,000
//     pairs in blocks against 9,700 for 12,000 records), which is cheap.
//   - Swapping first and last name ("Smith Ann") swaps the two keys, so the pair of keys is the
//     same: no sorting is needed for order not to matter.
//   - The initial keeps the key from naming all the Smiths in a postcode: a German postcode
//     holds around 8,000 people, and a common surname there would otherwise exceed the cap.
// A name is spelled for keys without spaces, with German's written-out umlauts read as the plain
// vowel ("mueller" as "muller", which is how normalize_name folds "müller") and doubled letters
// written once ("schmitt" as "schmit", "ann" as "an"): respelling touches both names at once, so
// the first point would not help against it. A record without both names or without a postcode
// has no name keys.
std::vector<std::string> blocking_keys(const CustomerRecord& record);

}  // namespace eddy
