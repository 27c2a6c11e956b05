#pragma once

#include <string>

#include "runtime/status.h"

namespace eddy {

// The format of a data directory as a whole, kept in <data_dir>/EDDY. Raised when a new eddy
// lays the directory out so that an older one cannot read it.
inline constexpr int kDataDirFormat = 1;

// Whether eddy may use `dir`, checked before anything is created in it, so that a directory that
// is not eddy's, comes from a newer eddy or cannot be read is refused and left as it was. A
// missing or empty directory is fine, and so is one that an eddy from before the EDDY file
// made (it holds only what eddy writes there).
Status check_data_dir(const std::string& dir);

// Writes <data_dir>/EDDY when it is missing (temp file, fsync, rename, fsync of the directory).
Status mark_data_dir(const std::string& dir);

}  // namespace eddy
