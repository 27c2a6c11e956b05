#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <unordered_set>

#include "runtime/status.h"

namespace eddy {

// Customer erasure in the append-only NDJSON files eddy writes besides its state: the outputs in
// <data_dir>/out and the outbound dead letters. Their lines name customers by id, as a key or a
// property, so erasing a customer means rewriting each file without the lines that mention any of
// the customer's ids.

// Whether `line` holds one of `ids` as a whole JSON string, anywhere in it (a key, a property, a
// nested event). Only a line that holds one of them as a substring is parsed, so the check costs
// a scan per id for the lines that mention no one. A line that does not parse but holds an id as a
// substring counts as mentioning it: an erasure errs on the side of removing.
bool mentions_any(std::string_view line, const std::unordered_set<std::string>& ids);

// Rewrites the file at `path` without the lines that mention any of `ids`: into a temporary file
// beside it, synced, renamed over it, and the directory synced, so that a crash leaves either the
// old file or the new one. Returns how many lines went. A missing file has none. The caller keeps
// its writers out meanwhile and reopens its handle afterwards: the path names another file then.
Result<uint64_t> remove_lines_mentioning(const std::string& path,
                                         const std::unordered_set<std::string>& ids);

// The same for a file a writer holds open for appending: flushes `file`, rewrites the file, and
// reopens `file` on the new one (null when that fails: the writer's appends then fail). The
// caller holds the lock its appends take.
Result<uint64_t> remove_lines_mentioning(std::FILE*& file, const std::string& path,
                                         const std::unordered_set<std::string>& ids);

}  // namespace eddy
