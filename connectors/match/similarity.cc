#include "connectors/match/similarity.h"

#include <algorithm>
#include <vector>

namespace eddy {
namespace {

// Winkler's constants: the prefix counts up to 4 bytes, each raising the score by a tenth of what
// is missing to 1, and only pairs already this similar are raised.
constexpr size_t kMaxPrefix = 4;
constexpr double kPrefixScale = 0.1;
constexpr double kBoostThreshold = 0.7;

double jaro(std::string_view a, std::string_view b) {
  if (a.empty() && b.empty()) return 1.0;
  if (a.empty() || b.empty()) return 0.0;
  // Characters match only this far apart: half the longer length, less one.
  const size_t half = std::max(a.size(), b.size()) / 2;
  const size_t window = half > 0 ? half - 1 : 0;
  std::vector<char> a_matched(a.size(), 0);
  std::vector<char> b_matched(b.size(), 0);
  size_t matches = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const size_t from = i > window ? i - window : 0;
    const size_t to = std::min(i + window + 1, b.size());
    for (size_t j = from; j < to; ++j) {
      if (b_matched[j] || a[i] != b[j]) continue;
      a_matched[i] = b_matched[j] = 1;
      ++matches;
      break;
    }
  }
  if (matches == 0) return 0.0;
  // Matched characters that appear in a different order; a swapped pair counts twice, so the
  // transpositions are half of them.
  size_t out_of_order = 0;
  for (size_t i = 0, j = 0; i < a.size(); ++i) {
    if (!a_matched[i]) continue;
    while (!b_matched[j])
      ++j;
    if (a[i] != b[j]) ++out_of_order;
    ++j;
  }
  const double m = static_cast<double>(matches);
  const double t = static_cast<double>(out_of_order) / 2.0;
  return (m / static_cast<double>(a.size()) + m / static_cast<double>(b.size()) + (m - t) / m) /
         3.0;
}

}  // namespace

double jaro_winkler(std::string_view a, std::string_view b) {
  const double score = jaro(a, b);
  if (score <= kBoostThreshold) return score;
  size_t prefix = 0;
  const size_t limit = std::min({a.size(), b.size(), kMaxPrefix});
  while (prefix < limit && a[prefix] == b[prefix])
    ++prefix;
  return score + static_cast<double>(prefix) * kPrefixScale * (1.0 - score);
}

size_t levenshtein(std::string_view a, std::string_view b, size_t max_distance) {
  if (a.size() < b.size()) std::swap(a, b);  // b is the shorter: rows run over a, columns over b
  if (a.size() - b.size() > max_distance) return max_distance + 1;
  if (b.empty()) return a.size();
  const size_t over = max_distance + 1;
  // Cells outside the band hold `over`, which is never better than a cell inside it.
  std::vector<size_t> previous(b.size() + 1, over);
  std::vector<size_t> current(b.size() + 1, over);
  for (size_t j = 0; j <= std::min(b.size(), max_distance); ++j)
    previous[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    const size_t from = i > max_distance ? i - max_distance : 1;
    const size_t to = std::min(b.size(), i + max_distance);
    if (from > to) return over;
    current[from - 1] = from == 1 && i <= max_distance ? i : over;
    size_t row_best = current[from - 1];
    for (size_t j = from; j <= to; ++j) {
      const size_t substitute = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      const size_t cell = std::min({substitute, previous[j] + 1, current[j - 1] + 1, over});
      current[j] = cell;
      row_best = std::min(row_best, cell);
    }
    if (to < b.size()) current[to + 1] = over;
    if (row_best > max_distance) return over;
    std::swap(previous, current);
  }
  return std::min(previous[b.size()], over);
}

double levenshtein_similarity(std::string_view a, std::string_view b) {
  const size_t longest = std::max(a.size(), b.size());
  if (longest == 0) return 1.0;
  const size_t distance = levenshtein(a, b, longest);
  return 1.0 - static_cast<double>(distance) / static_cast<double>(longest);
}

}  // namespace eddy
