#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/status.h"

namespace eddy {

// Undoes `Content-Encoding: gzip` (zlib-wrapped deflate is taken too, and several gzip members one
// after another, as `cat a.gz b.gz` makes). Inflation stops as soon as the output would pass
// `max_output_bytes`, so a small bomb never costs more than the limit in memory.
//
// Errors: kInvalidArgument when the output would be larger than the limit (the caller answers 413;
// the message says "too large"); kCorrupt when the body is not valid gzip or ends early (400).
Result<std::string> gunzip(std::string_view body, uint64_t max_output_bytes);

}  // namespace eddy
