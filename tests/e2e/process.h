#pragma once

#include <sys/types.h>
#include <string>
#include <vector>

namespace eddy::e2e {

// The real eddy binary as a child process, with its stderr readable line by line.
class EddyProcess {
 public:
  explicit EddyProcess(std::vector<std::string> args);
  ~EddyProcess();

  // Reads stderr until a line contains `needle` or `timeout_ms` passes. Returns that line, or an
  // empty string on timeout or end of output.
  std::string wait_for_line(const std::string& needle, int timeout_ms);
  void signal(int sig);
  // Waits for the process to exit (killing it after `timeout_ms`) and returns its exit status, or
  // -1 when it had to be killed or died from a signal.
  int wait_exit(int timeout_ms);
  // What the process wrote to stderr and was read so far (by wait_for_line or read_to_end).
  const std::string& output() const { return seen_; }
  // Reads stderr to its end (the process has exited, or `timeout_ms` passed) and returns it all.
  const std::string& read_to_end(int timeout_ms = 5000);

 private:
  pid_t pid_ = -1;
  int stderr_fd_ = -1;
  std::string seen_;
  size_t scanned_ = 0;
};

std::string eddy_binary();

}  // namespace eddy::e2e
