#pragma once

#include <string>
#include <string_view>

namespace eddy {

// Byte-level helpers shared by the normalisers. They touch ASCII only, on purpose: every value they
// see is UTF-8, and changing the case of other letters needs Unicode tables and a locale, which
// none of the identifiers normalised here (emails, codes, digits) calls for.

bool is_ascii_space(char c);
bool is_ascii_digit(char c);
bool is_ascii_control(char c);

// Without the spaces, tabs, CR and LF at either end.
std::string_view trim_ascii_whitespace(std::string_view text);

// A copy with 'A'..'Z' turned into 'a'..'z'; every other byte, UTF-8 included, is kept.
std::string ascii_lower(std::string_view text);
std::string ascii_upper(std::string_view text);

// At most `max_bytes` of `text` between quotes, for error messages about values that are not
// personal data (codes, amounts); long input is cut so that a message stays one readable line.
std::string quoted_excerpt(std::string_view text, size_t max_bytes = 32);

}  // namespace eddy
