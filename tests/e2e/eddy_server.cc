#include "tests/e2e/eddy_server.h"

#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>

namespace eddy::e2e {

std::string temp_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("eddy-e2e-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir.string();
}

EddyServer::EddyServer(const std::string& name, std::vector<std::string> extra_args,
                       std::string data_dir)
    : data_dir_(data_dir.empty() ? temp_dir(name) : data_dir), owns_data_dir_(data_dir.empty()) {
  std::vector<std::string> args = {"--http",  "127.0.0.1:0", "--data-dir",
                                   data_dir_, "--workers",   "2"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  process_ = std::make_unique<EddyProcess>(args);
  const std::string line = process_->wait_for_line("eddy started", 20'000);
  const size_t at = line.find("\"http_port\":");
  if (at == std::string::npos) return;
  if (process_->wait_for_line("eddy ready", 60'000).empty()) return;
  port_ = static_cast<uint16_t>(std::stoi(line.substr(at + 12)));
}

void EddyServer::crash() {
  if (stopped_) return;
  stopped_ = true;
  process_->signal(SIGKILL);
  (void)process_->wait_exit(30'000);
}

EddyServer::~EddyServer() {
  stop();
  std::error_code ec;
  if (owns_data_dir_) std::filesystem::remove_all(data_dir_, ec);
}

int EddyServer::stop() {
  if (stopped_) return 0;
  stopped_ = true;
  process_->signal(SIGTERM);
  return process_->wait_exit(30'000);
}

}  // namespace eddy::e2e

bool eddy::e2e::file_holds(const std::string& path, const std::string& text) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return bytes.find(text) != std::string::npos;
}

std::vector<std::string> eddy::e2e::files_holding(const std::string& dir, const std::string& text) {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    if (file_holds(entry.path().string(), text)) out.push_back(entry.path().string());
  }
  return out;
}
