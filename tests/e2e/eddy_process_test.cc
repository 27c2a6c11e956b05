// Whole-process tests: the real eddy binary, started and stopped as a user would.

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>

#include "tests/e2e/process.h"

namespace eddy::e2e {
namespace {

std::string temp_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("eddy-e2e-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir.string();
}

TEST(EddyProcess, StartsTheDefaultTopologyAndExitsZeroOnSigterm) {
  const std::string data = temp_dir("sigterm");
  EddyProcess eddy({"--data-dir", data, "--workers", "2"});
  const std::string started = eddy.wait_for_line("eddy started", 10'000);
  ASSERT_FALSE(started.empty()) << eddy.output();
  EXPECT_NE(started.find("\"topology\":\"ecommerce\""), std::string::npos) << started;
  EXPECT_TRUE(std::filesystem::is_directory(data));
  eddy.signal(SIGTERM);
  EXPECT_EQ(eddy.wait_exit(10'000), 0) << eddy.output();
  EXPECT_FALSE(eddy.wait_for_line("eddy stopped", 1000).empty()) << eddy.output();
  std::filesystem::remove_all(data);
}

TEST(EddyProcess, ExitsZeroOnSigint) {
  const std::string data = temp_dir("sigint");
  EddyProcess eddy({"--data-dir", data});
  ASSERT_FALSE(eddy.wait_for_line("eddy started", 10'000).empty()) << eddy.output();
  eddy.signal(SIGINT);
  EXPECT_EQ(eddy.wait_exit(10'000), 0) << eddy.output();
  std::filesystem::remove_all(data);
}

TEST(EddyProcess, RefusesBadFlagsWithAReason) {
  EddyProcess eddy({"--workers", "many"});
  EXPECT_EQ(eddy.wait_exit(10'000), 2);
  EXPECT_FALSE(eddy.wait_for_line("--workers: 'many' is not a whole number", 1000).empty())
      << eddy.output();
}

TEST(EddyProcess, HelpListsEverySetting) {
  EddyProcess eddy({"--help"});
  EXPECT_EQ(eddy.wait_exit(10'000), 0);
}

}  // namespace
}  // namespace eddy::e2e
