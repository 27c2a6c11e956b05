#pragma once

#include <cstddef>
#include <string_view>

namespace eddy {

// String similarity for comparing names and street lines of customer records. All three work on
// bytes, so they expect text that normalize_name or normalize_street has already folded to ASCII;
// a non-ASCII letter left in counts as one unit per byte.

// Jaro-Winkler similarity in [0, 1], 1 for equal strings: the Jaro score (matching characters
// within half the longer length, and their transpositions) raised for a common prefix of up to 4
// bytes by 0.1 per byte, as Winkler defines it; the raise is given only to pairs whose Jaro score
// exceeds 0.7. Two empty strings are equal (1); an empty and a non-empty one share nothing (0).
// Made for short strings such as names: typos late in a name cost less than early ones, which is
// how people misspell names.
double jaro_winkler(std::string_view a, std::string_view b);

// The Levenshtein distance (insertions, deletions and substitutions of one byte each), or
// `max_distance + 1` as soon as it is known to exceed `max_distance`. Only a band of
// 2 * max_distance + 1 diagonals is computed, so the time is O(min(|a|, |b|) * max_distance)
// rather than O(|a| * |b|): a matcher that only cares whether two streets are close enough pays
// little for the many pairs that are not.
size_t levenshtein(std::string_view a, std::string_view b, size_t max_distance);

// 1 - distance / max(|a|, |b|), in [0, 1]; 1 for two empty strings.
double levenshtein_similarity(std::string_view a, std::string_view b);

}  // namespace eddy
