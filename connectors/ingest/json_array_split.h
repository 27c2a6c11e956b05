#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "connectors/ingest/ingest_errc.h"

namespace eddy {

// Finds the text of each element of a top-level JSON array without building any of them, so that
// a bulk upload is parsed one element at a time in the memory of one (a 64 MB array built whole
// takes three times that) and each element's size is its size as sent.
//
// Only the structure is checked here: strings (with their escapes), nesting, commas and what
// follows the closing bracket. Anything wrong there fails the whole text with kMalformedJson and
// its byte position, since no element boundary after it can be trusted. What is wrong inside an
// element (a bad literal, mismatched brackets) shows when that element is parsed on its own.
std::optional<IngestError> split_json_array(std::string_view text,
                                            std::vector<std::string_view>& elements);

}  // namespace eddy
