#pragma once

#include <string>

#include "runtime/ids.h"

namespace eddy {

// Identity resolution's hand-over of one key's state to another key of the same stage
// (Context::move_key_to): what the worker owning `into` merges in (StageInstance::merge_key_in).
struct KeyMove {
  std::string from;
  KeyHash from_hash;
  std::string into;
  KeyHash into_hash;
  std::string state;  // StageInstance::move_key_out of `from`
};

}  // namespace eddy
