#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace eddy::webhooks_test {

// The repository root, so that tests read the example payloads and the shipped mapping files
// where they live. The test target has no definition pointing there, so it is found: from
// $EDDY_SOURCE_DIR when set, else from this file's compiled path, else by walking up from the
// test binary and from the working directory (build directories sit inside the repository).
inline std::filesystem::path source_root() {
  namespace fs = std::filesystem;
  const fs::path marker = "tests/connectors/webhooks/data/shop_order_create.json";
  auto holds = [&](const fs::path& dir) {
    std::error_code ec;
    return !dir.empty() && fs::exists(dir / marker, ec);
  };
  if (const char* env = std::getenv("EDDY_SOURCE_DIR"); env != nullptr && holds(env)) return env;
  // This header is tests/connectors/webhooks/test_data.h: four levels below the root.
  const fs::path here = fs::path(__FILE__).parent_path();
  if (holds(here / "../../..")) return fs::weakly_canonical(here / "../../..");
  std::error_code ec;
  for (fs::path start :
       {fs::read_symlink("/proc/self/exe", ec).parent_path(), fs::current_path()}) {
    for (fs::path dir = start; !dir.empty(); dir = dir.parent_path()) {
      if (holds(dir)) return dir;
      if (dir == dir.parent_path()) break;
    }
  }
  return {};
}

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A fresh, empty directory under the system temporary directory, removed by the destructor.
class TempDir {
 public:
  explicit TempDir(const std::string& name) {
    path_ = std::filesystem::temp_directory_path() /
            ("eddy-" + name + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::filesystem::path path_;
};

}  // namespace eddy::webhooks_test
