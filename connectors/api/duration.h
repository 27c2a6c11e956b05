#pragma once

#include <cstdint>
#include <string_view>

#include "runtime/status.h"

namespace eddy {

// Parses the durations users write in segment definitions and config: a whole number followed by
// ms, s, m, h, d or w ("90s", "1h", "7d"); a bare number is milliseconds.
Result<int64_t> parse_duration_ms(std::string_view text);

}  // namespace eddy
