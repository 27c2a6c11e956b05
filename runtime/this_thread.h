#pragma once

#include <string_view>

namespace eddy {

// Names the calling thread, so that `top -H`, perf and gdb tell eddy's threads apart
// (eddy-worker-0, eddy-http-1, eddy-wal, eddy-checkpoint, ...). Linux keeps at most 15 bytes.
void name_this_thread(std::string_view name);

}  // namespace eddy
