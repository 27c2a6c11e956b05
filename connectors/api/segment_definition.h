#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/status.h"

namespace eddy {

// A segment's definition as users write it, in the body of PUT /v1/segments/{id} and in a
// segments file: {"enter": "...", "exit": "...", "min_dwell": "1h"} ("min_dwell_ms" also works).
// Returns the command the segments operator takes: {"action":"put","id":...,"enter":...}. Only
// the shape is checked here; the operator compiles the rules and names a bad one's position.
Result<boost::json::object> segment_put_command(std::string_view id,
                                                const boost::json::object& body);

// The put commands of a segments file, in its order. The file is JSON: {"segments": [...]} or the
// bare list, each entry a definition as above with its "id". An error names the file and the
// entry. Two entries with one id are refused: which one was meant cannot be known.
Result<std::vector<boost::json::object>> load_segments_file(const std::string& path,
                                                            uint32_t max_json_depth);

}  // namespace eddy
