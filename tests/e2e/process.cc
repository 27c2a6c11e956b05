#include "tests/e2e/process.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>
#include <chrono>
#include <csignal>

namespace eddy::e2e {

std::string eddy_binary() {
  return EDDY_BINARY;
}

EddyProcess::EddyProcess(std::vector<std::string> args) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return;
  pid_ = fork();
  if (pid_ == 0) {
    dup2(fds[1], STDERR_FILENO);
    std::vector<char*> argv;
    std::string bin = eddy_binary();
    argv.push_back(bin.data());
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  close(fds[1]);
  stderr_fd_ = fds[0];
}

EddyProcess::~EddyProcess() {
  if (pid_ > 0) wait_exit(2000);
  if (stderr_fd_ >= 0) close(stderr_fd_);
}

std::string EddyProcess::wait_for_line(const std::string& needle, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    // Look for a complete line holding the needle in what was read so far.
    size_t start = scanned_;
    for (size_t nl; (nl = seen_.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string line = seen_.substr(start, nl - start);
      scanned_ = nl + 1;
      if (line.find(needle) != std::string::npos) return line;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return {};
    pollfd p{stderr_fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return {};
    char buf[4096];
    const ssize_t n = read(stderr_fd_, buf, sizeof buf);
    if (n <= 0) return {};
    seen_.append(buf, static_cast<size_t>(n));
  }
}

const std::string& EddyProcess::read_to_end(int timeout_ms) {
  // No line holds a NUL byte, so this reads until the end of output or the timeout.
  (void)wait_for_line(std::string(1, '\0'), timeout_ms);
  return seen_;
}

void EddyProcess::signal(int sig) {
  if (pid_ > 0) kill(pid_, sig);
}

int EddyProcess::wait_exit(int timeout_ms) {
  if (pid_ <= 0) return -1;
  int status = 0;
  for (int waited = 0; waited < timeout_ms; waited += 10) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    // Polling a child's exit, not waiting for a result: waitpid has no timeout of its own.
    usleep(10'000);
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return -1;
}

}  // namespace eddy::e2e
