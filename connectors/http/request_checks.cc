#include "connectors/http/request_checks.h"

#include <algorithm>
#include <cctype>

namespace eddy {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// The last coding of all Transfer-Encoding fields taken together, as a recipient must read them.
std::string_view last_coding(const http::request_header<>& header) {
  std::string_view last;
  for (auto it = header.find(http::field::transfer_encoding);
       it != header.end() && it->name() == http::field::transfer_encoding; ++it) {
    std::string_view value = it->value();
    const size_t comma = value.rfind(',');
    std::string_view coding =
        trim(comma == std::string_view::npos ? value : value.substr(comma + 1));
    // Parameters (";q=...") do not change which coding it is.
    coding = trim(coding.substr(0, coding.find(';')));
    last = coding;
  }
  return last;
}

}  // namespace

std::optional<std::string> framing_problem(const http::request_header<>& header) {
  const size_t lengths = header.count(http::field::content_length);
  const size_t encodings = header.count(http::field::transfer_encoding);
  if (lengths > 0 && encodings > 0)
    return "Content-Length and Transfer-Encoding together make the body's end ambiguous";
  if (lengths > 1) return "more than one Content-Length";
  if (lengths == 1) {
    std::string_view v = trim(header.at(http::field::content_length));
    if (v.empty() || v.size() > 19 ||
        !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return "Content-Length is not a decimal number";
  }
  if (encodings > 0) {
    if (header.version() < 11) return "Transfer-Encoding is not allowed in HTTP/1.0";
    if (!iequals(last_coding(header), "chunked"))
      return "the last Transfer-Encoding must be chunked";
  }
  return std::nullopt;
}

}  // namespace eddy
