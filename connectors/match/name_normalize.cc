#include "connectors/match/name_normalize.h"

#include <array>

namespace eddy {
namespace {

// Lower-case ASCII for U+00C0..U+00FF, whose UTF-8 form is 0xC3 and then 0x80..0xBF; null for the
// two that are no letters (the multiplication and division signs).
constexpr std::array<const char*, 64> kLatin1Folds = {
    "a", "a", "a", "a", "a", "a", "ae", "c",     "e", "e", "e", "e", "i", "i", "i",  "i",   // C0-CF
    "d", "n", "o", "o", "o", "o", "o",  nullptr, "o", "u", "u", "u", "u", "y", "th", "ss",  // D0-DF
    "a", "a", "a", "a", "a", "a", "ae", "c",     "e", "e", "e", "e", "i", "i", "i",  "i",   // E0-EF
    "d", "n", "o", "o", "o", "o", "o",  nullptr, "o", "u", "u", "u", "u", "y", "th", "y",   // F0-FF
};

// Lower-case ASCII for Latin Extended-A, U+0100..U+017F: 0xC4 or 0xC5 and then 0x80..0xBF. Every
// code point in the block is a letter.
constexpr std::array<const char*, 128> kLatinExtendedAFolds = {
    "a", "a", "a",  "a",  "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d",  // 0100
    "d", "d", "e",  "e",  "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g",  // 0110
    "g", "g", "g",  "g",  "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i",  // 0120
    "i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l",  // 0130
    "l", "l", "l",  "n",  "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o",  // 0140
    "o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s",  // 0150
    "s", "s", "t",  "t",  "t", "t", "t", "t", "u", "u", "u", "u", "u", "u", "u", "u",  // 0160
    "u", "u", "u",  "u",  "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s",  // 0170
};

// U+2019, the apostrophe word processors write, and U+00A0, the space they keep from breaking.
constexpr std::string_view kRightQuote = "\xE2\x80\x99";
constexpr std::string_view kNoBreakSpace = "\xC2\xA0";

// The length of the word separator at `text[i]` beyond ASCII, or 0: the no-break space and the
// dashes U+2010..U+2015 (hyphen, en dash, em dash...) that word processors put for '-'.
size_t separator_length(std::string_view text, size_t i) {
  if (text.substr(i, kNoBreakSpace.size()) == kNoBreakSpace) return kNoBreakSpace.size();
  if (i + 2 < text.size() && text[i] == '\xE2' && text[i + 1] == '\x80') {
    const auto last = static_cast<unsigned char>(text[i + 2]);
    if (last >= 0x90 && last <= 0x95) return 3;
  }
  return 0;
}

bool is_ascii_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// The ASCII that the two-byte UTF-8 sequence at `text[i]` folds to, or null when it is no Latin
// letter with a fold.
const char* fold_latin(std::string_view text, size_t i) {
  if (i + 1 >= text.size()) return nullptr;
  const auto lead = static_cast<unsigned char>(text[i]);
  const auto next = static_cast<unsigned char>(text[i + 1]);
  if (next < 0x80 || next > 0xBF) return nullptr;
  if (lead == 0xC3) return kLatin1Folds[next - 0x80];
  if (lead == 0xC4) return kLatinExtendedAFolds[next - 0x80];
  if (lead == 0xC5) return kLatinExtendedAFolds[64 + next - 0x80];
  return nullptr;
}

struct Abbreviation {
  std::string_view word;
  std::string_view written_out;
};

constexpr auto kStreetAbbreviations = std::to_array<Abbreviation>({
    {"st", "street"},
    {"rd", "road"},
    {"ave", "avenue"},
    {"av", "avenue"},
    {"blvd", "boulevard"},
    {"ln", "lane"},
    {"dr", "drive"},
    {"ct", "court"},
    {"pl", "place"},
    {"sq", "square"},
    {"str", "strasse"},
});

void append_street_word(std::string& out, std::string_view word) {
  if (!out.empty()) out += ' ';
  for (const Abbreviation& a : kStreetAbbreviations) {
    if (word == a.word) {
      out += a.written_out;
      return;
    }
  }
  // German compounds: "Hauptstr" is "Hauptstrasse". Only after a few letters, so that a word
  // such as "astr" is not mistaken for one; no English street word ends in "str".
  if (word.size() > 5 && word.ends_with("str")) {
    out += word;
    out += "asse";
    return;
  }
  out += word;
}

}  // namespace

std::string normalize_name(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  bool space_pending = false;
  auto append = [&](std::string_view letters) {
    if (space_pending && !out.empty()) out += ' ';
    space_pending = false;
    out += letters;
  };
  for (size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c == '\'') continue;
    if (raw.substr(i, kRightQuote.size()) == kRightQuote) {
      i += kRightQuote.size() - 1;
      continue;
    }
    if (c >= 'A' && c <= 'Z') {
      const char lower = static_cast<char>(c - 'A' + 'a');
      append(std::string_view(&lower, 1));
    } else if (is_ascii_alnum(c)) {
      append(std::string_view(&c, 1));
    } else if (static_cast<unsigned char>(c) < 0x80) {
      space_pending = true;
    } else if (const size_t length = separator_length(raw, i); length > 0) {
      space_pending = true;
      i += length - 1;
    } else if (const char* folded = fold_latin(raw, i)) {
      append(folded);
      ++i;
    } else {
      append(std::string_view(&c, 1));
    }
  }
  return out;
}

std::string normalize_street(std::string_view raw) {
  const std::string name = normalize_name(raw);
  std::string out;
  out.reserve(name.size() + 8);
  size_t start = 0;
  while (start < name.size()) {
    size_t end = name.find(' ', start);
    if (end == std::string::npos) end = name.size();
    append_street_word(out, std::string_view(name).substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace eddy
