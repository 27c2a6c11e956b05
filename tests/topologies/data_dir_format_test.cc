#include "topologies/ecommerce/data_dir_format.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace eddy {
namespace {

namespace fs = std::filesystem;

class DataDirFormat : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "eddy-datadir-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name) << text;
  }
  size_t entries() const {
    return static_cast<size_t>(std::distance(fs::directory_iterator(dir_), {}));
  }
  std::string dir_;
};

TEST_F(DataDirFormat, AMissingOrEmptyDirectoryIsFine) {
  EXPECT_TRUE(check_data_dir(dir_ + "/not-yet").is_ok());
  EXPECT_TRUE(check_data_dir(dir_).is_ok());
}

TEST_F(DataDirFormat, ADirectoryOfAnEddyFromBeforeTheMarkerIsFine) {
  fs::create_directory(dir_ + "/wal");
  fs::create_directory(dir_ + "/out");
  write("LOCK", "123");
  write("webhook-ids.log", "");
  write("eddy.toml", "[runtime]\nworkers = 1\n");
  EXPECT_TRUE(check_data_dir(dir_).is_ok());
}

TEST_F(DataDirFormat, AForeignDirectoryIsRefusedAndLeftAsItWas) {
  write("thesis.tex", "\\documentclass{article}");
  const Status s = check_data_dir(dir_);
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("is not an eddy data directory"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("thesis.tex"), std::string::npos) << s.message();
  EXPECT_EQ(entries(), 1u);
}

TEST_F(DataDirFormat, ANewerFormatIsRefusedNamingBoth) {
  write("EDDY", "eddy data directory, format 99\n");
  const Status s = check_data_dir(dir_);
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("newer eddy (format 99"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("format " + std::to_string(kDataDirFormat)), std::string::npos);
}

TEST_F(DataDirFormat, AMarkerThatIsNotEddysIsRefused) {
  write("EDDY", "hello\n");
  EXPECT_FALSE(check_data_dir(dir_).is_ok());
}

TEST_F(DataDirFormat, AFileIsNotADataDirectory) {
  write("plain", "x");
  EXPECT_FALSE(check_data_dir(dir_ + "/plain").is_ok());
}

TEST_F(DataDirFormat, AMarkedDirectoryChecksOutAndMarkingTwiceChangesNothing) {
  ASSERT_TRUE(mark_data_dir(dir_).is_ok());
  const auto written = fs::last_write_time(dir_ + "/EDDY");
  ASSERT_TRUE(mark_data_dir(dir_).is_ok());
  EXPECT_EQ(fs::last_write_time(dir_ + "/EDDY"), written);
  EXPECT_FALSE(fs::exists(dir_ + "/EDDY.tmp"));
  fs::create_directory(dir_ + "/wal");
  EXPECT_TRUE(check_data_dir(dir_).is_ok());
}

}  // namespace
}  // namespace eddy
