#include "runtime/key_hash.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace eddy {

KeyHash hash_key(std::string_view key) {
  return KeyHash(XXH3_64bits(key.data(), key.size()));
}

}  // namespace eddy
