#include "testing/ovsdb_daemon.h"

#include <fstream>
#include <iterator>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <signal.h>

#include "common/status_macros.h"
#include "testing/ports.h"
#include "testing/process.h"
#include "testing/wait.h"

namespace plasmanet::testing {

OvsdbDaemon::OvsdbDaemon(OvsdbDaemonConfig config) : config_(std::move(config)) {}

OvsdbDaemon::~OvsdbDaemon() {
  if (!Stop().ok()) {
    Kill().IgnoreError();  // nothing more a destructor can do
  }
}

std::string OvsdbDaemon::Path(const char* suffix) const {
  return absl::StrCat(config_.run_dir, "/", config_.name, suffix);
}

bool OvsdbDaemon::running() const { return pid_ > 0 && IsAlive(pid_); }

absl::Status OvsdbDaemon::Start(absl::Duration timeout) {
  if (running()) {
    return absl::FailedPreconditionError(
        absl::StrCat("ovsdb-server ", config_.name, " already running as pid ", pid_));
  }
  std::vector<std::string> args{config_.db_path,
                                "--detach",
                                "--no-chdir",
                                "--pidfile=" + Path(".pid"),
                                "--log-file=" + log_path(),
                                "--unixctl=" + control_path(),
                                "--remote=punix:" + socket_path()};
  args.insert(args.end(), config_.extra_args.begin(), config_.extra_args.end());

  // With --detach, ovsdb-server exits only once the daemon has opened the database, so a
  // zero exit means the pidfile is written.
  PN_ASSIGN_OR_RETURN(ProcessResult result, RunProgram("ovsdb-server", args, timeout));
  if (result.exit_code != 0) {
    return absl::InternalError(absl::StrCat("ovsdb-server ", config_.name, " exited with ",
                                            result.exit_code, ": ", result.stderr_text,
                                            "\nlog tail:\n", LogTail()));
  }
  PN_ASSIGN_OR_RETURN(pid_, ReadPidFile(Path(".pid")));

  // Remotes are opened by the daemon's main loop, possibly after the parent exited.
  std::vector<std::string> remotes{unix_remote()};
  remotes.insert(remotes.end(), config_.ready_remotes.begin(), config_.ready_remotes.end());
  for (const std::string& remote : remotes) {
    if (!WaitFor([&] { return AcceptsConnections(remote) || !running(); }, timeout) || !running()) {
      return absl::DeadlineExceededError(absl::StrCat(
          "ovsdb-server ", config_.name, " not accepting on ", remote, "; log tail:\n", LogTail()));
    }
  }
  return absl::OkStatus();
}

absl::Status OvsdbDaemon::SignalAndForget(int signal) {
  if (pid_ <= 0) {
    return absl::OkStatus();
  }
  PN_RETURN_IF_ERROR(SignalAndWait(pid_, signal));
  pid_ = -1;
  return absl::OkStatus();
}

absl::Status OvsdbDaemon::Stop() { return SignalAndForget(SIGTERM); }

absl::Status OvsdbDaemon::Kill() { return SignalAndForget(SIGKILL); }

absl::StatusOr<std::string> OvsdbDaemon::Appctl(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{"-t", control_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  PN_ASSIGN_OR_RETURN(ProcessResult result, RunProgram("ovs-appctl", argv, absl::Seconds(10)));
  if (result.exit_code != 0) {
    return absl::UnknownError(absl::StrCat("ovs-appctl ", absl::StrJoin(argv, " "), " exited with ",
                                           result.exit_code, ": ", result.stderr_text));
  }
  return std::move(result.stdout_text);
}

std::string OvsdbDaemon::LogTail() const {
  std::ifstream in(log_path());
  const std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  constexpr size_t kTail = 2000;
  return log.size() > kTail ? log.substr(log.size() - kTail) : log;
}

}  // namespace plasmanet::testing
