#pragma once

#include <string>

#include "runtime/status.h"

namespace eddy {

// The whole of a file: a checkpoint part, a configuration file. kIo with the path and the reason
// when it cannot be read.
Result<std::string> read_whole_file(const std::string& path);

}  // namespace eddy
