#include "connectors/match/name_normalize.h"

#include <gtest/gtest.h>

#include <string>

namespace eddy {
namespace {

struct Case {
  const char* raw;
  const char* normalized;
};

TEST(NormalizeName, TrimsLowerCasesAndCollapsesSpaces) {
  const Case cases[] = {
      {"Ann", "ann"},
      {"  SMITH  ", "smith"},
      {"Anne   Marie", "anne marie"},
      {"\tJohn\r\n", "john"},
      {"", ""},
      {"   ", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.raw);
    EXPECT_EQ(normalize_name(c.raw), c.normalized);
  }
}

TEST(NormalizeName, FoldsTheAccentsOfLatinLetters) {
  const Case cases[] = {
      {"Müller", "muller"},
      {"MÜLLER", "muller"},
      {"Jürgen Groß", "jurgen gross"},
      {"Zoë Chloé Renée", "zoe chloe renee"},
      {"Søren Ærø", "soren aero"},
      {"Françoise Núñez", "francoise nunez"},
      {"Þór", "thor"},
      {"Łukasz Wałęsa", "lukasz walesa"},    // Latin Extended-A
      {"Dvořák Šťastný", "dvorak stastny"},  // Czech háčeks
      {"Œuvre", "oeuvre"},                   // a ligature becomes two letters
      {"İlkay Ğündoğan", "ilkay gundogan"},  // Turkish dotted I and soft g
      {"Ĳsselmeer", "ijsselmeer"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.raw);
    EXPECT_EQ(normalize_name(c.raw), c.normalized);
  }
}

TEST(NormalizeName, DropsApostrophesAndSeparatesWordsAtOtherPunctuation) {
  const Case cases[] = {
      {"O'Brien", "obrien"},
      {"O’Brien", "obrien"},  // U+2019, as word processors write it
      {"Anne-Marie", "anne marie"},
      {"Smith-Jones", "smith jones"},
      {"J.R.R. Tolkien", "j r r tolkien"},
      {"Smith, John", "smith john"},
      {"Anne\xC2\xA0Marie", "anne marie"},  // a no-break space from a web page
      {"--Ann--", "ann"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.raw);
    EXPECT_EQ(normalize_name(c.raw), c.normalized);
  }
}

TEST(NormalizeName, KeepsOtherScriptsAndInvalidBytesAsTheyAre) {
  EXPECT_EQ(normalize_name("Иван"), "Иван");
  EXPECT_EQ(normalize_name("山田 太郎"), "山田 太郎");
  EXPECT_EQ(normalize_name("A\xFF"
                           "B"),
            "a\xFF"
            "b");
  EXPECT_EQ(normalize_name("ab\xC3"), "ab\xC3");  // a sequence cut short at the end
  EXPECT_EQ(normalize_name("2 × 3"), "2 × 3");    // U+00D7 has no fold
}

TEST(NormalizeName, GivesOneFormForTheSpellingsOfOneName) {
  const char* spellings[] = {
      "Jürgen Müller-Lüdenscheidt", "JURGEN MULLER LUDENSCHEIDT", " jürgen  müller lüdenscheidt ",
      "Jürgen Müller\xE2\x80\x93Lüdenscheidt",  // an en dash, U+2013
  };
  for (const char* s : spellings) {
    SCOPED_TRACE(s);
    EXPECT_EQ(normalize_name(s), "jurgen muller ludenscheidt");
  }
}

TEST(NormalizeStreet, WritesOutCommonAbbreviations) {
  const Case cases[] = {
      {"12 Main St.", "12 main street"},
      {"12 Main St", "12 main street"},
      {"12 Main Street", "12 main street"},
      {"5 Station Rd", "5 station road"},
      {"1600 Pennsylvania Ave NW", "1600 pennsylvania avenue nw"},
      {"8 Sunset Blvd.", "8 sunset boulevard"},
      {"3 Mill Ln", "3 mill lane"},
      {"7 Lake Dr", "7 lake drive"},
      {"Hauptstraße 5", "hauptstrasse 5"},
      {"Hauptstr. 5", "hauptstrasse 5"},
      {"Hauptstrasse 5", "hauptstrasse 5"},
      {"Berliner Str. 10", "berliner strasse 10"},
      {"Am Markt 7", "am markt 7"},
      {"Flat 2, 10 High St", "flat 2 10 high street"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.raw);
    EXPECT_EQ(normalize_street(c.raw), c.normalized);
  }
}

TEST(NormalizeStreet, LeavesWordsThatOnlyContainAnAbbreviationAlone) {
  EXPECT_EQ(normalize_street("Stanley Road"), "stanley road");
  EXPECT_EQ(normalize_street("Strand 4"), "strand 4");
  EXPECT_EQ(normalize_street("Astrid Lane"), "astrid lane");
  EXPECT_EQ(normalize_street(""), "");
}

}  // namespace
}  // namespace eddy
