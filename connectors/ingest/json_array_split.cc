#include "connectors/ingest/json_array_split.h"

namespace eddy {
namespace {

bool is_json_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

IngestError malformed(size_t position, std::string_view what) {
  return {IngestErrc::kMalformedJson,
          "malformed JSON at byte " + std::to_string(position) + ": " + std::string(what),
          position};
}

size_t skip_space(std::string_view text, size_t pos) {
  while (pos < text.size() && is_json_space(text[pos]))
    ++pos;
  return pos;
}

// From `pos`, the end of the element that starts there: the first ',' or ']' outside strings and
// brackets. text.size() when the text ends first; a '}' that closes nothing stops it too.
size_t element_end(std::string_view text, size_t pos) {
  size_t depth = 0;
  bool in_string = false;
  for (; pos < text.size(); ++pos) {
    const char c = text[pos];
    if (in_string) {
      if (c == '\\') {
        ++pos;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (depth == 0) return pos;
      --depth;
    } else if (c == ',' && depth == 0) {
      return pos;
    }
  }
  return text.size();
}

std::string_view trim_end(std::string_view s) {
  while (!s.empty() && is_json_space(s.back()))
    s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<IngestError> split_json_array(std::string_view text,
                                            std::vector<std::string_view>& elements) {
  elements.clear();
  size_t pos = skip_space(text, 0);
  if (pos == text.size() || text[pos] != '[') return malformed(pos, "expected '['");
  pos = skip_space(text, pos + 1);
  if (pos < text.size() && text[pos] == ']') {
    pos = skip_space(text, pos + 1);
    if (pos != text.size()) return malformed(pos, "unexpected text after the array");
    return std::nullopt;
  }
  while (true) {
    const size_t start = skip_space(text, pos);
    const size_t end = element_end(text, start);
    if (end == text.size()) return malformed(end, "the array is not closed");
    const std::string_view element = trim_end(text.substr(start, end - start));
    if (element.empty()) return malformed(start, "expected a value");
    if (text[end] == '}') return malformed(end, "'}' closes nothing");
    elements.push_back(element);
    pos = end + 1;
    if (text[end] == ']') break;
  }
  pos = skip_space(text, pos);
  if (pos != text.size()) return malformed(pos, "unexpected text after the array");
  return std::nullopt;
}

}  // namespace eddy
