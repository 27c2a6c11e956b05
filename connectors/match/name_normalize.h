#pragma once

#include <string>
#include <string_view>

namespace eddy {

// Names and street lines in the form records are compared in. Unlike an email or a phone number,
// a name has no canonical spelling to restore, so the aim is narrower: two spellings a person or a
// form would produce for the same name ("Jürgen  Müller-Lüdenscheidt", "jurgen muller
// ludenscheidt") become one string, and what is left to tell them apart is a real difference for
// the similarity measures (similarity.h) to weigh.
//
// The steps, in order:
//   - Latin letters lose their accents: the Latin-1 Supplement and Latin Extended-A blocks
//     (U+00C0..U+017F) fold to ASCII ("é" to "e", "ø" to "o", "ł" to "l"), and the letters that
//     are two in ASCII become two ("ß" to "ss", "æ" to "ae", "œ" to "oe", "þ" to "th").
//     German's "ä" folds to "a", not "ae": "Müller" and "Muller" become equal, and "Mueller"
//     stays one edit away, which Jaro-Winkler scores close to 1 anyway.
//   - ASCII letters are lower-cased.
//   - Apostrophes (' and U+2019) are dropped, since they sit inside a word ("O'Brien" is
//     "obrien"). Every other ASCII character that is neither a letter nor a digit ('.', ',', '-',
//     '/', '#', whitespace...) separates words, and so do the no-break space (U+00A0) and the
//     dashes (U+2010..U+2015) that text from a web page or a word processor brings: "Anne-Marie"
//     is "anne marie" and "J.R." is "j r".
//   - Words are joined by single spaces, with none at either end.
// Other bytes (letters of other scripts, invalid UTF-8) are kept as they are: comparing them
// byte-wise is still right for equal spellings.
std::string normalize_name(std::string_view raw);

// A street line: normalize_name, then common abbreviations written out as a word of their own,
// so that "12 Main St." and "12 Main Street" are equal:
//   st -> street, rd -> road, ave/av -> avenue, blvd -> boulevard, ln -> lane, dr -> drive,
//   ct -> court, pl -> place, sq -> square; and German "str" -> "strasse", also at the end of a
//   word ("Hauptstr. 5" -> "hauptstrasse 5", like "Hauptstraße 5").
// "St" also abbreviates "Saint" ("St Mary's Road"); reading it as "street" there is harmless,
// since both spellings of one address get the same treatment and only "Saint" written out differs.
std::string normalize_street(std::string_view raw);

}  // namespace eddy
