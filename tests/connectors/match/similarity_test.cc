#include "connectors/match/similarity.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace eddy {
namespace {

struct JaroCase {
  const char* a;
  const char* b;
  double expected;
};

TEST(JaroWinkler, GivesTheScoresOfWinklersPaper) {
  // Winkler (1990) and every implementation since: MARTHA/MARHTA has one transposition and a
  // three-letter prefix, DIXON/DICKSONX two letters apart in length.
  const JaroCase cases[] = {
      {"martha", "marhta", 0.9611},
      {"dwayne", "duane", 0.84},
      {"dixon", "dicksonx", 0.8133},
      {"jellyfish", "smellyfish", 0.8963},
      {"crate", "trace", 0.7333},
      {"abc", "abc", 1.0},
      {"", "", 1.0},
      {"abc", "", 0.0},
      {"abc", "xyz", 0.0},
      {"a", "a", 1.0},
      {"ab", "ba", 0.0},
  };
  for (const JaroCase& c : cases) {
    SCOPED_TRACE(std::string(c.a) + " / " + c.b);
    EXPECT_NEAR(jaro_winkler(c.a, c.b), c.expected, 0.0001);
    EXPECT_NEAR(jaro_winkler(c.b, c.a), c.expected, 0.0001);
  }
}

TEST(JaroWinkler, ScoresTyposInNamesAboveDifferentNames) {
  EXPECT_GT(jaro_winkler("schmidt", "schmitd"), 0.95);     // transposed
  EXPECT_GT(jaro_winkler("katharina", "katarina"), 0.95);  // dropped
  EXPECT_GT(jaro_winkler("johnson", "jonhson"), 0.95);
  EXPECT_LT(jaro_winkler("thomas", "stefan"), 0.7);
  EXPECT_LT(jaro_winkler("anna", "peter"), 0.5);
}

TEST(JaroWinkler, RaisesForAPrefixOfAtMostFourBytes) {
  // A seven-byte common prefix, counted as four.
  const double jaro = (7.0 / 8 + 7.0 / 8 + 1.0) / 3;
  EXPECT_NEAR(jaro_winkler("abcdefgh", "abcdefgz"), jaro + 4 * 0.1 * (1 - jaro), 1e-12);
  // No raise at or below a Jaro score of 0.7: "abcxyz" and "abcpqr" share half their letters.
  EXPECT_NEAR(jaro_winkler("abcxyz", "abcpqr"), (0.5 + 0.5 + 1.0) / 3, 1e-12);
}

struct EditCase {
  const char* a;
  const char* b;
  size_t distance;
};

TEST(Levenshtein, CountsInsertionsDeletionsAndSubstitutions) {
  const EditCase cases[] = {
      {"", "", 0},
      {"abc", "", 3},
      {"", "abc", 3},
      {"kitten", "sitting", 3},
      {"flaw", "lawn", 2},
      {"hauptstrasse 5", "hauptstrasse 7", 1},
      {"main street 12", "main stret 12", 1},
      {"ab", "ba", 2},
      {"intention", "execution", 5},
  };
  for (const EditCase& c : cases) {
    SCOPED_TRACE(std::string(c.a) + " / " + c.b);
    EXPECT_EQ(levenshtein(c.a, c.b, 100), c.distance);
    EXPECT_EQ(levenshtein(c.b, c.a, 100), c.distance);
    EXPECT_EQ(levenshtein(c.a, c.b, c.distance), c.distance);
    if (c.distance > 0) {
      EXPECT_EQ(levenshtein(c.a, c.b, c.distance - 1), c.distance);
    }
  }
}

// The textbook O(|a| * |b|) algorithm, to check the banded one against.
size_t full_levenshtein(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({above + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

TEST(Levenshtein, AgreesWithTheFullTableWithinItsBoundAndSaysSoBeyond) {
  std::mt19937_64 rng(11);
  auto random_text = [&rng](size_t max_length) {
    std::string s(rng() % (max_length + 1), 'a');
    for (char& c : s)
      c = static_cast<char>('a' + rng() % 3);  // few letters, so that strings are close
    return s;
  };
  for (int round = 0; round < 3000; ++round) {
    const std::string a = random_text(12);
    const std::string b = random_text(12);
    const size_t bound = rng() % 8;
    const size_t full = full_levenshtein(a, b);
    SCOPED_TRACE(a + " / " + b + " within " + std::to_string(bound));
    EXPECT_EQ(levenshtein(a, b, bound), full <= bound ? full : bound + 1);
  }
}

TEST(LevenshteinSimilarity, IsOneLessTheDistancePerByteOfTheLongerString) {
  EXPECT_DOUBLE_EQ(levenshtein_similarity("", ""), 1.0);
  EXPECT_DOUBLE_EQ(levenshtein_similarity("abcd", "abcd"), 1.0);
  EXPECT_DOUBLE_EQ(levenshtein_similarity("abcd", "abce"), 0.75);
  EXPECT_DOUBLE_EQ(levenshtein_similarity("abcd", ""), 0.0);
  EXPECT_DOUBLE_EQ(levenshtein_similarity("kitten", "sitting"), 1.0 - 3.0 / 7.0);
}

}  // namespace
}  // namespace eddy
