#pragma once

#include <cstddef>
#include <string_view>

#include "connectors/match/customer_record.h"

namespace eddy {

// Whether two normalised customer records (customer_record.h) describe the same person: the
// pairwise decision of a master customer index. A resolver finds candidate pairs through
// blocking keys (blocking_keys.h), asks match_records about each, and joins the records of every
// pair that matches into one customer.
//
// The rules, in order:
//   1. The same email, or else the same phone number, is the same person, unless their given
//      names clearly conflict (see `conflicting_first_name_below`): families share an address
//      and a landline, and many share one email, and a parent and a child behind one address
//      are two customers.
//   2. Otherwise the name and the address decide. Both records need both names, a postcode and a
//      street; the postcodes must be equal and the countries not different; each name and the
//      street must be similar enough on its own (the `min_..._similarity` floors), the given names
//      must begin with the same letter, and a weighted score of names and street must reach
//      `threshold`. Names are paired crosswise when that fits better ("Smith Ann").
//
// Two errors cost differently, and the settings lean accordingly. Two records of one person left
// apart are a customer counted twice, which the next import with an email can still fix; two
// people merged get each other's orders, emails and consent, which is a privacy incident and
// hard to undo. So rule 2 wants more than a similar name, and look-alikes stay apart:
//   - the same name in another postcode: a namesake, or the person after a move; without an email
//     or phone in common there is no telling, so they are kept apart. So is the same name with the
//     same postcode but no street on one side: a German postcode holds some 8,000 people.
//   - the same surname and address with a different given name: a sibling, a spouse, a parent.
//     The floor on the given name keeps "Katharina" and "Johanna" apart, and the first letter
//     "Anna" and "Hanna", which Jaro-Winkler scores 0.93; people rarely mistype a first letter.
//   - "Daniel" and "Daniela", "Paul" and "Paula": Jaro-Winkler scores them as near equal, but a
//     given name and its form with a final "a" or "e" are usually two people of a household, so
//     they count as conflicting when the shorter has four letters or more. Shorter names are
//     spared because "Ann", "Anna" and "Anne" are more often one woman writing her name two ways
//     than two women at one address, which is what an MDM's table of name variants would say.
// What an MDM would add and this does not: tables of nicknames ("Bob" for "Robert") and of name
// frequencies (a match on a rare surname is stronger evidence than one on "Müller"), and a band
// of scores sent to a person to review rather than decided.
//
// A key shared by more than `max_candidates_per_key` records is uninformative: a placeholder such
// as "noemail@example.com" or the shop's own phone number typed in for walk-in customers. A
// resolver neither looks for candidates through such a key nor lets it decide a match: it compares
// the records as if that email or phone were missing. match_records cannot tell on its own, since
// it sees two records and not how many others share their values.
//
// Pure and thread-safe: match_records reads only its arguments.
struct MatchSettings {
  // The score of rule 2 (name_weight * names + the rest * street) at or above which two records
  // are one person, once every floor below is met. The floors alone would let a record through
  // with each name and the street one typo off; the threshold wants the doubts to add up to less
  // than that: names at 0.95 and an exact street pass, names at the floors need an exact street.
  // On the test data set anything from 0.8 to 0.95 gives the same precision and recall within
  // 0.002, because its typos are single ones; 0.9 is the middle of that plateau.
  double threshold = 0.9;
  // Share of the name in the score; the street has the rest. The postcode is a condition, not a
  // part of the score: it has two values only, equal or not.
  double name_weight = 0.7;
  // Share of the family name within the name score, the given name having the rest. Equal,
  // because a typo is as likely in either.
  double last_name_weight = 0.5;
  // Each name must be at least this similar (Jaro-Winkler) on its own, so that a perfect surname
  // and address cannot carry a different given name. One typo in a name of six letters or more
  // stays above it; in shorter names ("Amy" and "Amt") it does not, and those records need an
  // email or a phone to be matched. Measured on the test data set: 0.8 finds 0.1% more of the
  // duplicate pairs, 0.92 0.6% fewer, precision the same.
  double min_first_name_similarity = 0.88;
  double min_last_name_similarity = 0.88;
  // The street (Levenshtein similarity of the normalised lines) must be at least this similar:
  // a typo or a mistyped house number passes ("hauptstrasse 5" and "hauptstrasse 7" are 0.93),
  // another street that shares a suffix does not ("schulstrasse 5" and "schillerstrasse 5" are
  // 0.76). A neighbour with the same name in the same street is merged; that is rare enough.
  double min_street_similarity = 0.85;
  // Rule 1 is refused when both records have a given name and the two are less similar than this
  // (or are a name and its gendered form, see above): a shared email or landline of two people.
  // Lower than the floor of rule 2, because an exact email is stronger evidence than an address:
  // a typo in a short name ("Ann" and "Anm", 0.8) still counts as the same name here. On the
  // test data set 0.6 lets 0.9% of the merged pairs be wrong, and 0.85 misses 1.2% more of the
  // duplicate pairs.
  double conflicting_first_name_below = 0.75;
  // How many earlier records a resolver compares a record with through one blocking key. A key
  // that more records share is uninformative (see above). 50 is well above any household or
  // family, and small enough that a placeholder costs 50 comparisons per record, not thousands.
  size_t max_candidates_per_key = 50;
};

enum class MatchReason {
  kNone,            // not the same person
  kEmail,           // the same normalised email
  kPhone,           // the same E.164 phone number
  kNameAndAddress,  // similar names at the same address
};

std::string_view to_string(MatchReason reason);

struct MatchDecision {
  bool same = false;
  // 1 for a match by email or phone; otherwise the name-and-address score in [0, 1], or 0 when
  // the records lack what it needs (a name or a postcode) or their postcodes or countries differ.
  double score = 0.0;
  MatchReason reason = MatchReason::kNone;
};

MatchDecision match_records(const CustomerRecord& a, const CustomerRecord& b,
                            const MatchSettings& settings);

// Whether both records have a given name and the two clearly differ, as rule 1 decides it: less
// similar than `conflicting_first_name_below`, or a name and its gendered form; with the names
// paired the way they fit best, and crosswise the less similar pair taken as the given names.
//
// For resolvers that join matches transitively, which should check it between the two groups of
// records they are about to join and refuse when any pair conflicts. Otherwise a record without a
// given name bridges a household: it matches the mother by the shared landline and the son by the
// same landline, and the mother and son become one customer though they never matched.
bool given_names_conflict(const CustomerRecord& a, const CustomerRecord& b,
                          const MatchSettings& settings);

}  // namespace eddy
