#include "connectors/match/record_match.h"

#include <utility>

#include "connectors/match/similarity.h"

namespace eddy {
namespace {

// Given names at least this long are told apart from their form with one more final 'a' or 'e'.
constexpr size_t kMinGenderedStem = 4;

// The names of two records paired the way they fit best: first with first and last with last,
// or crosswise when one record has them the other way round ("Smith Ann").
struct NamePair {
  std::string_view first_a;
  std::string_view first_b;
  double first = 0.0;  // Jaro-Winkler of the given names, 0 when either is missing
  double last = 0.0;   // Jaro-Winkler of the family names, 0 when either is missing
};

double similarity_if_known(std::string_view a, std::string_view b) {
  return a.empty() || b.empty() ? 0.0 : jaro_winkler(a, b);
}

NamePair pair_names(const CustomerRecord& a, const CustomerRecord& b) {
  NamePair straight{a.first_name, b.first_name, similarity_if_known(a.first_name, b.first_name),
                    similarity_if_known(a.last_name, b.last_name)};
  const bool all_known = !a.first_name.empty() && !a.last_name.empty() && !b.first_name.empty() &&
                         !b.last_name.empty();
  if (!all_known) return straight;
  // Crosswise, one record has its names the wrong way round, but which one is unknown, and so is
  // which of the two pairs holds the given names: the less similar pair is taken for them, so
  // that a conflict between given names is never hidden by the swap.
  const double one = jaro_winkler(a.first_name, b.last_name);
  const double other = jaro_winkler(a.last_name, b.first_name);
  if (one + other <= straight.first + straight.last) return straight;
  if (one <= other) return {a.first_name, b.last_name, one, other};
  return {a.last_name, b.first_name, other, one};
}

// "Daniel" and "Daniela", "Christian" and "Christiane": a name and its other gender's form.
bool gendered_forms(std::string_view a, std::string_view b) {
  if (a.size() > b.size()) std::swap(a, b);
  return a.size() >= kMinGenderedStem && b.size() == a.size() + 1 && b.starts_with(a) &&
         (b.back() == 'a' || b.back() == 'e');
}

bool given_names_conflict(const NamePair& names, const MatchSettings& settings) {
  if (names.first_a.empty() || names.first_b.empty()) return false;
  return names.first < settings.conflicting_first_name_below ||
         gendered_forms(names.first_a, names.first_b);
}

MatchDecision match_name_and_address(const CustomerRecord& a, const CustomerRecord& b,
                                     const NamePair& names, const MatchSettings& settings) {
  MatchDecision decision;
  if (names.first_a.empty() || names.first_b.empty() || a.last_name.empty() ||
      b.last_name.empty()) {
    return decision;
  }
  if (a.postcode.empty() || a.postcode != b.postcode) return decision;
  if (!a.country.empty() && !b.country.empty() && a.country != b.country) return decision;

  const double name =
      settings.last_name_weight * names.last + (1.0 - settings.last_name_weight) * names.first;
  const double street =
      a.street.empty() || b.street.empty() ? 0.0 : levenshtein_similarity(a.street, b.street);
  decision.score = settings.name_weight * name + (1.0 - settings.name_weight) * street;
  decision.same = decision.score >= settings.threshold &&
                  street >= settings.min_street_similarity &&
                  names.first >= settings.min_first_name_similarity &&
                  names.last >= settings.min_last_name_similarity &&
                  names.first_a.front() == names.first_b.front() &&
                  !gendered_forms(names.first_a, names.first_b);
  if (decision.same) decision.reason = MatchReason::kNameAndAddress;
  return decision;
}

}  // namespace

std::string_view to_string(MatchReason reason) {
  switch (reason) {
    case MatchReason::kNone:
      return "none";
    case MatchReason::kEmail:
      return "email";
    case MatchReason::kPhone:
      return "phone";
    case MatchReason::kNameAndAddress:
      return "name_and_address";
  }
  return "unknown";
}

bool given_names_conflict(const CustomerRecord& a, const CustomerRecord& b,
                          const MatchSettings& settings) {
  return given_names_conflict(pair_names(a, b), settings);
}

MatchDecision match_records(const CustomerRecord& a, const CustomerRecord& b,
                            const MatchSettings& settings) {
  const NamePair names = pair_names(a, b);
  const bool same_email = !a.email.empty() && a.email == b.email;
  const bool same_phone = !a.phone.empty() && a.phone == b.phone;
  if ((same_email || same_phone) && !given_names_conflict(names, settings)) {
    return {true, 1.0, same_email ? MatchReason::kEmail : MatchReason::kPhone};
  }
  return match_name_and_address(a, b, names, settings);
}

}  // namespace eddy
