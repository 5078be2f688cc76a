// Running helper programs (ovsdb-tool, ovn-nbctl, openssl) and managing the daemons they start,
// for tests and benchmarks only.
//
//   PN_ASSIGN_OR_RETURN(ProcessResult r, RunProgram("ovsdb-tool", {"create", db, schema}));
//   if (r.exit_code != 0) return absl::InternalError(r.stderr_text);
//
//   PN_ASSIGN_OR_RETURN(pid_t pid, ReadPidFile(dir + "/ovsdb-server.pid"));
//   PN_RETURN_IF_ERROR(SignalAndWait(pid, SIGTERM, absl::Seconds(5)));
//
// All functions are thread-safe. Daemons that detach are re-parented to pid 1, which in some
// containers never reaps them: a zombie counts as gone here.
#pragma once

#include <string>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/strings/string_view.h>
#include <absl/time/time.h>
#include <sys/types.h>

namespace plasmanet::testing {

struct ProcessResult {
  // The exit status, or 128 + the signal number if the program was killed by a signal.
  int exit_code = -1;
  std::string stdout_text;
  std::string stderr_text;
};

// Runs `program` (a path, or a name looked up in PATH) with `args`, with stdin from /dev/null,
// and waits for it to exit and close both output streams. A non-zero exit is not an error:
// callers read exit_code. Errors: kNotFound if the program cannot be executed,
// kDeadlineExceeded if it runs longer than `timeout` (it is then killed with SIGKILL),
// kInternal if a pipe or spawn call fails.
absl::StatusOr<ProcessResult> RunProgram(absl::string_view program,
                                         const std::vector<std::string>& args,
                                         absl::Duration timeout = absl::Seconds(30));

// Starts `program` with `args` in the background as a child of this process, for daemons that
// do not detach themselves (etcd): stdin from /dev/null, stdout and stderr appended to
// `log_path`, and its pid written to `pidfile` so that MakeDaemonDir's sweep can find it if
// this process dies first. Returns at once with the pid. kNotFound if the program cannot be
// executed, kInternal if the log file or the spawn fails.
absl::StatusOr<pid_t> SpawnDaemon(absl::string_view program, const std::vector<std::string>& args,
                                  const std::string& log_path, const std::string& pidfile);

// Reads the pid from an OVS-style pidfile (one decimal number and a newline). kNotFound if the
// file does not exist, kDataLoss if it does not hold a positive number.
absl::StatusOr<pid_t> ReadPidFile(absl::string_view path);

// True if `pid` names a live process (not a zombie).
bool IsAlive(pid_t pid);

// Sends `signal` to `pid` and waits until the process is gone, then reaps it if it is a child
// of this process (SpawnDaemon). OK at once if it is already gone; kDeadlineExceeded if it is
// still alive after `timeout`.
absl::Status SignalAndWait(pid_t pid, int signal, absl::Duration timeout = absl::Seconds(10));

// Creates a fresh, private directory /tmp/<prefix>XXXXXX and returns its path.
absl::StatusOr<std::string> MakeTempDir(absl::string_view prefix);

// Like MakeTempDir, for directories that will hold detached daemons: records this process as
// the directory's owner (owner.pid), after sweeping /tmp/<prefix>* directories whose owner
// died without cleaning up (a crashed or killed test): their daemons, found by the *.pid files
// and checked to be running from that directory, are killed, the network namespaces listed in
// its `netns` file deleted, and the directory removed. Only processes and namespaces this
// harness started are ever touched.
absl::StatusOr<std::string> MakeDaemonDir(absl::string_view prefix);

// Deletes the network namespaces named in `<dir>/netns`, one per line, that exist.
void DeleteRecordedNetns(const std::string& dir);

}  // namespace plasmanet::testing
