#include "runtime/this_thread.h"

#include <pthread.h>

#include <string>

namespace eddy {

void name_this_thread(std::string_view name) {
  // pthread_setname_np refuses (ERANGE) a name longer than 15 bytes rather than cutting it.
  const std::string cut(name.substr(0, 15));
  pthread_setname_np(pthread_self(), cut.c_str());
}

}  // namespace eddy
