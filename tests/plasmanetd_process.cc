#include "plasmanetd_process.h"

#include <fstream>
#include <iterator>

#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/time/clock.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testing/wait.h"

namespace plasmanet::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The port in the daemon's start line ("... started pid=... port=N ..."), or 0.
int StartedPort(const std::string& log, size_t from) {
  for (size_t at = log.find("started", from); at != std::string::npos;
       at = log.find("started", at + 1)) {
    const size_t line_end = log.find('\n', at);
    const size_t port_at = log.find(" port=", at);
    if (port_at == std::string::npos || port_at > line_end) continue;
    int port = 0;
    const size_t digits = port_at + 6;
    if (absl::SimpleAtoi(log.substr(digits, log.find_first_not_of("0123456789", digits) - digits),
                         &port)) {
      return port;
    }
  }
  return 0;
}

}  // namespace

PlasmanetdProcess::~PlasmanetdProcess() { Stop().IgnoreError(); }

absl::Status PlasmanetdProcess::Start(std::vector<std::string> flags, absl::Duration timeout) {
  if (running()) return absl::FailedPreconditionError("plasmanetd is already running");
  bool listens = false;
  for (const std::string& flag : flags) listens = listens || flag == "--listen";
  if (!listens) flags.insert(flags.end(), {"--listen", "127.0.0.1:0"});
  // Earlier runs' lines stay in the log; only what this run appends counts.
  const size_t log_start = ReadFile(log_path_).size();

  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    const int log = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(log, STDOUT_FILENO);
    dup2(log, STDERR_FILENO);
    std::vector<char*> argv{const_cast<char*>(PLASMANETD_PATH)};
    for (std::string& flag : flags) argv.push_back(flag.data());
    argv.push_back(nullptr);
    execv(PLASMANETD_PATH, argv.data());
    _exit(127);
  }
  pid_ = pid;
  bool exited = false;
  WaitFor(
      [&] {
        port_ = StartedPort(ReadFile(log_path_), log_start);
        exited = waitpid(pid_, nullptr, WNOHANG) == pid_;
        return port_ > 0 || exited;
      },
      timeout);
  if (port_ > 0) return absl::OkStatus();
  if (!exited) Kill();
  pid_ = -1;
  return absl::InternalError(absl::StrCat("plasmanetd did not start", exited ? " (it exited)" : "",
                                          "; its log ends:\n", LogTail()));
}

absl::Status PlasmanetdProcess::Stop() { return Reap(SIGTERM); }

void PlasmanetdProcess::Kill() { Reap(SIGKILL).IgnoreError(); }

absl::Status PlasmanetdProcess::Reap(int signal) {
  if (!running()) return absl::OkStatus();
  kill(pid_, signal);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  port_ = 0;
  if (signal == SIGTERM && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
    return absl::InternalError(absl::StrCat("plasmanetd did not exit cleanly on SIGTERM (status ",
                                            status, "); its log ends:\n", LogTail()));
  }
  return absl::OkStatus();
}

std::string PlasmanetdProcess::address() const { return absl::StrCat("127.0.0.1:", port_); }

std::string PlasmanetdProcess::LogTail(size_t bytes) const {
  const std::string log = ReadFile(log_path_);
  return log.size() <= bytes ? log : log.substr(log.size() - bytes);
}

}  // namespace plasmanet::testing
