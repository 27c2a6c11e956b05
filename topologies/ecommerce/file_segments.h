#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "operators/segments.h"
#include "runtime/durability/journal.h"
#include "runtime/engine.h"

namespace eddy {

// The live segment definitions of the profile stage (every instance of the segments operator
// holds all of them, so one is asked). Empty when the topology has no segments.
std::vector<Segments::Definition> live_segment_definitions(Engine& engine);

// Puts the segments of a segments file (`--segments-file`, loaded by load_segments_file) before
// eddy takes traffic, as PUT /v1/segments/{id} would: logged, then applied and back-filled. A
// segment whose live definition is the same is left alone, so a restart logs and back-fills
// nothing. Segments missing from the file are kept: they may have come from the REST API, and
// deleting is the API's. Fails, naming the file and the segment, on the first refusal (a rule that
// does not compile); the segments before it stay put.
Status put_file_segments(Engine& engine, Journal& journal, const std::string& path,
                         const std::vector<boost::json::object>& commands);

}  // namespace eddy
