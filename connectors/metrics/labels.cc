#include "connectors/metrics/labels.h"

#include <algorithm>
#include <cstdint>

namespace eddy::metrics {
namespace {

constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

// The length of the well-formed UTF-8 sequence starting at s[i], or 0 when it is not one
// (overlong forms, surrogates and code points above U+10FFFF included, as RFC 3629 says).
size_t utf8_sequence_length(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  auto continuation = [&](size_t k) { return k < s.size() && (byte(k) & 0xC0) == 0x80; };
  const uint8_t b0 = byte(i);
  if (b0 < 0x80) return 1;
  if (b0 >= 0xC2 && b0 <= 0xDF) return continuation(i + 1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (!continuation(i + 1) || !continuation(i + 2)) return 0;
    const uint8_t b1 = byte(i + 1);
    if (b0 == 0xE0 && b1 < 0xA0) return 0;   // overlong
    if (b0 == 0xED && b1 >= 0xA0) return 0;  // UTF-16 surrogates
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (!continuation(i + 1) || !continuation(i + 2) || !continuation(i + 3)) return 0;
    const uint8_t b1 = byte(i + 1);
    if (b0 == 0xF0 && b1 < 0x90) return 0;   // overlong
    if (b0 == 0xF4 && b1 >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

// Copies `text` to `out` as valid UTF-8, passing each ASCII byte through `escape` first.
template <typename Escape>
void append_escaped(std::string& out, std::string_view text, Escape escape) {
  out.reserve(out.size() + text.size());
  size_t i = 0;
  while (i < text.size()) {
    const size_t n = utf8_sequence_length(text, i);
    if (n == 0) {
      out += kReplacementCharacter;
      ++i;
    } else if (n == 1) {
      escape(out, text[i]);
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
}

}  // namespace

std::string label_key(const Labels& labels) {
  std::vector<const Label*> sorted;
  sorted.reserve(labels.size());
  for (const Label& l : labels)
    sorted.push_back(&l);
  std::sort(sorted.begin(), sorted.end(),
            [](const Label* a, const Label* b) { return a->name < b->name; });
  std::string key;
  for (const Label* l : sorted) {
    if (!key.empty()) key += ',';
    key += l->name;
    key += "=\"";
    append_escaped_label_value(key, l->value);
    key += '"';
  }
  return key;
}

void append_escaped_label_value(std::string& out, std::string_view value) {
  append_escaped(out, value, [](std::string& o, char c) {
    switch (c) {
      case '\\':
        o += "\\\\";
        break;
      case '"':
        o += "\\\"";
        break;
      case '\n':
        o += "\\n";
        break;
      default:
        o += c;
    }
  });
}

void append_escaped_help(std::string& out, std::string_view help) {
  append_escaped(out, help, [](std::string& o, char c) {
    switch (c) {
      case '\\':
        o += "\\\\";
        break;
      case '\n':
        o += "\\n";
        break;
      default:
        o += c;
    }
  });
}

}  // namespace eddy::metrics
