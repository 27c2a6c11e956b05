#include "connectors/api/duration.h"

#include <charconv>
#include <limits>

namespace eddy {

Result<int64_t> parse_duration_ms(std::string_view text) {
  int64_t n = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, n);
  if (ec != std::errc() || n < 0)
    return {Errc::kInvalidArgument,
            "duration '" + std::string(text) + "' must start with a non-negative whole number"};
  const std::string_view unit(ptr, static_cast<size_t>(end - ptr));
  int64_t scale = 0;
  if (unit.empty() || unit == "ms") {
    scale = 1;
  } else if (unit == "s") {
    scale = 1000;
  } else if (unit == "m") {
    scale = 60 * 1000;
  } else if (unit == "h") {
    scale = 3600 * 1000;
  } else if (unit == "d") {
    scale = 24 * 3600 * 1000;
  } else if (unit == "w") {
    scale = 7 * 24 * 3600 * 1000ll;
  } else {
    return {Errc::kInvalidArgument,
            "duration '" + std::string(text) + "' has an unknown unit (ms, s, m, h, d, w)"};
  }
  if (n > std::numeric_limits<int64_t>::max() / scale)
    return {Errc::kInvalidArgument, "duration '" + std::string(text) + "' is too long"};
  return n * scale;
}

}  // namespace eddy
