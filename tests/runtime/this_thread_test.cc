#include "runtime/this_thread.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <string>
#include <thread>

namespace eddy {
namespace {

std::string name_of_a_thread_named(std::string_view name) {
  std::string seen;
  std::thread t([&] {
    name_this_thread(name);
    char buf[32] = {};
    pthread_getname_np(pthread_self(), buf, sizeof buf);
    seen = buf;
  });
  t.join();
  return seen;
}

TEST(ThisThread, ANameIsKeptAndALongOneCutTo15Bytes) {
  EXPECT_EQ(name_of_a_thread_named("eddy-wal"), "eddy-wal");
  EXPECT_EQ(name_of_a_thread_named("eddy-wal-prepare-segments"), "eddy-wal-prepar");
}

}  // namespace
}  // namespace eddy
