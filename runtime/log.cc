#include "runtime/log.h"

#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdio>
#include <string>

namespace eddy {

namespace {
const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}
}  // namespace

void log_line(LogLevel level, std::string_view message, boost::json::object fields) {
  using namespace std::chrono;
  boost::json::object line;
  line["ts_ms"] = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  line["level"] = level_name(level);
  line["msg"] = message;
  for (auto& [k, v] : fields)
    line[k] = std::move(v);
  std::string text = boost::json::serialize(line);
  text.push_back('\n');
  std::fwrite(text.data(), 1, text.size(), stderr);
}

}  // namespace eddy
