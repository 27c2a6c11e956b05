#pragma once

#include <boost/json/object.hpp>
#include <string_view>

namespace eddy {

enum class LogLevel : uint8_t { kDebug, kInfo, kWarn, kError };

// One JSON object per line on stderr: {"ts":..., "level":"info", "msg":"...", ...fields}.
// Thread-safe; a line is written with a single call so lines never interleave.
void log_line(LogLevel level, std::string_view message, boost::json::object fields = {});

}  // namespace eddy
