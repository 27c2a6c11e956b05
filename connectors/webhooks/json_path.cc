#include "connectors/webhooks/json_path.h"

#include <charconv>
#include <optional>

namespace eddy {

namespace {

std::optional<size_t> parse_index(std::string_view digits) {
  if (digits.empty()) return std::nullopt;
  size_t index = 0;
  const char* end = digits.data() + digits.size();
  auto [ptr, ec] = std::from_chars(digits.data(), end, index);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return index;
}

Status bad_path(std::string_view text, std::string_view why) {
  return {Errc::kInvalidArgument, "path '" + std::string(text) + "': " + std::string(why)};
}

}  // namespace

Result<JsonPath> JsonPath::parse(std::string_view text) {
  if (text.empty()) return bad_path(text, "is empty");
  std::vector<Step> steps;
  std::string_view rest = text;
  while (true) {
    const size_t dot = rest.find('.');
    std::string_view segment = rest.substr(0, dot);
    const size_t bracket = segment.find('[');
    const std::string_view key = segment.substr(0, bracket);
    if (key.find(']') != std::string_view::npos) return bad_path(text, "']' without '['");
    if (key.empty() && bracket == std::string_view::npos)
      return bad_path(text, "has an empty step");
    if (!key.empty()) steps.push_back(Step{std::string(key), false, 0});
    std::string_view indexes = bracket == std::string_view::npos ? "" : segment.substr(bracket);
    while (!indexes.empty()) {
      const size_t close = indexes.find(']');
      if (indexes.front() != '[' || close == std::string_view::npos)
        return bad_path(text, "an index is written [n]");
      const auto index = parse_index(indexes.substr(1, close - 1));
      if (!index) return bad_path(text, "an index is a non-negative integer");
      steps.push_back(Step{{}, true, *index});
      indexes.remove_prefix(close + 1);
    }
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  return JsonPath(std::move(steps), std::string(text));
}

const boost::json::value* JsonPath::find(const boost::json::value& root) const {
  const boost::json::value* at = &root;
  for (const Step& step : steps_) {
    if (const auto* array = at->if_array()) {
      const std::optional<size_t> index = step.is_index ? step.index : parse_index(step.key);
      if (!index || *index >= array->size()) return nullptr;
      at = &(*array)[*index];
    } else if (const auto* object = at->if_object(); object != nullptr && !step.is_index) {
      at = object->if_contains(step.key);
      if (at == nullptr) return nullptr;
    } else {
      return nullptr;
    }
  }
  return at->is_null() ? nullptr : at;
}

}  // namespace eddy
