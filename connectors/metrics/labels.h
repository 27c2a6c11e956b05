#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace eddy::metrics {

struct Label {
  std::string name;
  std::string value;
};

// A label set, written as `{{"route", "/v1/track"}, {"code", "202"}}`. The order in which labels
// are given does not matter: two sets with the same pairs name the same series.
using Labels = std::vector<Label>;

// The canonical text of a label set, as it appears between the braces of a sample line: pairs
// sorted by name, values escaped, e.g. `code="202",route="/v1/track"`. Empty for no labels. It is
// both the identity of a series within its family and the text rendered, so it is built once.
std::string label_key(const Labels& labels);

// Escapes a label value for the text format: backslash, double quote and line feed become `\\`,
// `\"` and `\n`. Bytes that are not valid UTF-8 become U+FFFD, because Prometheus refuses a scrape
// holding invalid UTF-8 and label values can come from user input (webhook sources, routes).
void append_escaped_label_value(std::string& out, std::string_view value);

// Escapes `# HELP` text: backslash and line feed (quotes stay as they are there).
void append_escaped_help(std::string& out, std::string_view help);

}  // namespace eddy::metrics
