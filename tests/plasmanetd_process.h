// One plasmanetd process for tests that exercise the daemon as users run it: started with the
// given flags on a free port, its log in a file (never a pipe nobody drains), stopped cleanly or
// killed.
//
//   PlasmanetdProcess daemon(dir + "/plasmanetd.log");
//   ASSERT_THAT(daemon.Start({"--store", "sqlite:" + dir + "/db", "--tokens", tokens}), IsOk());
//   grpc::CreateChannel(daemon.address(), ...);
//   daemon.Kill();    // a crash
//   daemon.Start(same flags);  // a restart on the same store, on a new port
//
// Not thread-safe.
#pragma once

#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/time/time.h>
#include <sys/types.h>

namespace plasmanet::testing {

class PlasmanetdProcess {
 public:
  explicit PlasmanetdProcess(std::string log_path) : log_path_(std::move(log_path)) {}
  PlasmanetdProcess(const PlasmanetdProcess&) = delete;
  PlasmanetdProcess& operator=(const PlasmanetdProcess&) = delete;
  ~PlasmanetdProcess();

  // Runs plasmanetd with `flags` and "--listen 127.0.0.1:0" (unless the flags listen
  // elsewhere), and waits until it logs its start line. kFailedPrecondition if it runs already;
  // kInternal with the log's tail if it exits or does not start within `timeout`.
  absl::Status Start(std::vector<std::string> flags, absl::Duration timeout = absl::Seconds(20));
  // SIGTERM and wait for the exit. OK if not running.
  absl::Status Stop();
  // SIGKILL and wait.
  void Kill();

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  std::string address() const;  // "127.0.0.1:<port>"
  const std::string& log_path() const { return log_path_; }
  std::string LogTail(size_t bytes = 4000) const;

 private:
  absl::Status Reap(int signal);

  std::string log_path_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace plasmanet::testing
