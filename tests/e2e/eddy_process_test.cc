// Whole-process tests: the real eddy binary, started and stopped as a user would.

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "tests/e2e/eddy_server.h"
#include "tests/e2e/process.h"

namespace eddy::e2e {
namespace {

TEST(EddyProcess, StartsTheDefaultTopologyAndExitsZeroOnSigterm) {
  const std::string data = temp_dir("sigterm");
  EddyProcess eddy({"--http", "127.0.0.1:0", "--data-dir", data, "--workers", "2"});
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
  EddyProcess eddy({"--http", "127.0.0.1:0", "--data-dir", data});
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

TEST(EddyProcess, RefusesToServeBeyondLoopbackWithoutKeysAndTokens) {
  EddyProcess eddy({"--http", "0.0.0.0:0", "--data-dir", temp_dir("exposed")});
  EXPECT_EQ(eddy.wait_exit(10'000), 2);
  EXPECT_FALSE(
      eddy.wait_for_line("without write keys (--write-keys) and bearer tokens", 1000).empty())
      << eddy.output();
}

TEST(EddyProcess, ReadsItsSettingsFromAConfigFile) {
  const std::string dir = temp_dir("config");
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/eddy.toml";
  std::ofstream(path)
      << "[http]\nlisten = \"127.0.0.1:0\"\ntokens = [\"t\"]\n[runtime]\nworkers = 1\n";
  EddyProcess eddy({"--config", path, "--data-dir", dir});
  const std::string started = eddy.wait_for_line("eddy started", 10'000);
  ASSERT_FALSE(started.empty()) << eddy.output();
  EXPECT_NE(started.find("\"workers\":1"), std::string::npos) << started;
  const size_t at = started.find("\"http_port\":");
  ASSERT_NE(at, std::string::npos);
  HttpClient client(static_cast<uint16_t>(std::stoi(started.substr(at + 12))));
  EXPECT_EQ(client.get("/v1/segments").status, 401) << "the file's token is required";
  EXPECT_EQ(client.get("/v1/segments", {{"Authorization", "Bearer t"}}).status, 200);
  eddy.signal(SIGTERM);
  EXPECT_EQ(eddy.wait_exit(10'000), 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace eddy::e2e
