#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/e2e/http_client.h"
#include "tests/e2e/process.h"

namespace eddy::e2e {

// The real eddy binary serving HTTP on an ephemeral loopback port, with a data directory of its
// own that is removed afterwards, or one the test owns (to start again on after a crash).
// Construction returns once eddy is ready: it has recovered and takes input.
class EddyServer {
 public:
  explicit EddyServer(const std::string& name, std::vector<std::string> extra_args = {},
                      std::string data_dir = {});
  ~EddyServer();

  bool started() const { return port_ != 0; }
  uint16_t port() const { return port_; }
  const std::string& data_dir() const { return data_dir_; }
  EddyProcess& process() { return *process_; }
  HttpClient client() const { return HttpClient(port_); }
  // SIGTERM, then the exit status (-1 when it had to be killed).
  int stop();
  // kill -9: no shutdown of any kind.
  void crash();

 private:
  std::string data_dir_;
  std::unique_ptr<EddyProcess> process_;
  uint16_t port_ = 0;
  bool stopped_ = false;
  bool owns_data_dir_ = true;
};

std::string temp_dir(const std::string& name);

// Whether the file at `path` holds `text` anywhere in its bytes.
bool file_holds(const std::string& path, const std::string& text);
// The files under `dir` that hold `text`: where an erased customer must no longer be.
std::vector<std::string> files_holding(const std::string& dir, const std::string& text);

// Polls `check` until it holds or `timeout_ms` passes: for effects that travel through the engine's
// worker threads after ingest has acknowledged them.
template <typename Check>
bool eventually(Check check, int timeout_ms = 20'000);

}  // namespace eddy::e2e

#include <chrono>
#include <thread>

template <typename Check>
bool eddy::e2e::eventually(Check check, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!check()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}
