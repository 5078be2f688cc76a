// One detached ovsdb-server process with all its files in a test's own directory: the
// building block of OvsdbServer and OvsdbCluster.
//
//   OvsdbDaemon daemon({.db_path = dir + "/nb.db", .run_dir = dir, .name = "nb"});
//   PN_RETURN_IF_ERROR(daemon.Start());
//   RunNbctl(daemon.unix_remote(), {"ls-list"});
//   PN_RETURN_IF_ERROR(daemon.Kill());
//
// The server gets --pidfile=<run_dir>/<name>.pid, --log-file=<run_dir>/<name>.log,
// --unixctl=<run_dir>/<name>.ctl and --remote=punix:<run_dir>/<name>.sock, plus
// `extra_args`. Nothing touches /var/run/openvswitch. Not thread-safe.
#pragma once

#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/time/time.h>
#include <sys/types.h>

namespace plasmanet::testing {

inline constexpr char kNbSchemaPath[] = "/usr/share/ovn/ovn-nb.ovsschema";

struct OvsdbDaemonConfig {
  std::string db_path;                  // must already exist (ovsdb-tool create...)
  std::string run_dir;                  // pidfile, log, control and client sockets go here
  std::string name;                     // file stem for those, e.g. "nb" or "member1"
  std::vector<std::string> extra_args;  // more --remote=..., SSL flags
  // Remotes besides the unix socket that must accept connections before Start returns.
  std::vector<std::string> ready_remotes;
};

class OvsdbDaemon {
 public:
  explicit OvsdbDaemon(OvsdbDaemonConfig config);
  OvsdbDaemon(const OvsdbDaemon&) = delete;
  OvsdbDaemon& operator=(const OvsdbDaemon&) = delete;
  // Stops the server if it runs (SIGTERM, then SIGKILL).
  ~OvsdbDaemon();

  // Starts ovsdb-server --detach and waits until every remote accepts connections.
  // kFailedPrecondition if already running; kInternal with ovsdb-server's stderr and log tail
  // if it fails to start; kDeadlineExceeded if a remote is not ready within `timeout`.
  absl::Status Start(absl::Duration timeout = absl::Seconds(10));
  // SIGTERM and wait: a clean shutdown. OK if not running.
  absl::Status Stop();
  // SIGKILL and wait: a crash. OK if not running.
  absl::Status Kill();

  bool running() const;
  pid_t pid() const { return pid_; }
  std::string unix_remote() const { return "unix:" + socket_path(); }
  std::string socket_path() const { return Path(".sock"); }
  std::string control_path() const { return Path(".ctl"); }
  std::string log_path() const { return Path(".log"); }
  const OvsdbDaemonConfig& config() const { return config_; }

  // Runs `ovs-appctl -t <control socket> <args...>` and returns its stdout; kUnknown with
  // stderr on a non-zero exit.
  absl::StatusOr<std::string> Appctl(const std::vector<std::string>& args) const;

 private:
  std::string Path(const char* suffix) const;
  absl::Status SignalAndForget(int signal);
  std::string LogTail() const;

  OvsdbDaemonConfig config_;
  pid_t pid_ = -1;
};

}  // namespace plasmanet::testing
