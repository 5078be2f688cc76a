#include "testing/process.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include <absl/strings/match.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/strip.h>
#include <absl/time/clock.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/status_macros.h"
#include "testing/wait.h"

extern char** environ;

namespace plasmanet::testing {
namespace {

// The read ends of a child's stdout and stderr, drained into strings.
class OutputPipes {
 public:
  OutputPipes() = default;
  OutputPipes(const OutputPipes&) = delete;
  OutputPipes& operator=(const OutputPipes&) = delete;
  ~OutputPipes() {
    for (int i = 0; i < 2; ++i) {
      CloseEnd(read_[i]);
      CloseEnd(write_[i]);
    }
  }

  absl::Status Open() {
    for (int i = 0; i < 2; ++i) {
      int fds[2];
      if (pipe2(fds, O_CLOEXEC) != 0) {
        return absl::InternalError(absl::StrCat("pipe2: ", std::strerror(errno)));
      }
      read_[i] = fds[0];
      write_[i] = fds[1];
    }
    return absl::OkStatus();
  }
  int write_end(int i) const { return write_[i]; }
  void CloseWriteEnds() {
    CloseEnd(write_[0]);
    CloseEnd(write_[1]);
  }
  bool AllClosed() const { return read_[0] < 0 && read_[1] < 0; }

  // Waits up to `wait` for output and reads what is there; closes an end at EOF.
  void Pump(absl::Duration wait) {
    pollfd fds[2];
    for (int i = 0; i < 2; ++i) {
      fds[i] = {.fd = read_[i], .events = POLLIN};
    }
    const int ms = static_cast<int>(absl::ToInt64Milliseconds(wait));
    if (poll(fds, 2, ms) <= 0) {
      return;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].revents != 0) {
        ReadSome(i);
      }
    }
  }

  // Reads whatever is buffered without blocking: once the child has exited, everything it
  // wrote is already in the pipe, while a daemon it left behind may keep the pipe open.
  void Drain() {
    for (int i = 0; i < 2; ++i) {
      if (read_[i] >= 0) {
        fcntl(read_[i], F_SETFL, O_NONBLOCK);
        while (read_[i] >= 0 && ReadSome(i)) {
        }
      }
    }
  }

  std::string text[2];

 private:
  // Returns true if it read data and more may follow.
  bool ReadSome(int i) {
    char buffer[4096];
    const ssize_t n = read(read_[i], buffer, sizeof(buffer));
    if (n > 0) {
      text[i].append(buffer, static_cast<size_t>(n));
      return true;
    }
    if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
      CloseEnd(read_[i]);
    }
    return false;
  }
  static void CloseEnd(int& fd) {
    if (fd >= 0) {
      close(fd);
      fd = -1;
    }
  }

  int read_[2] = {-1, -1};
  int write_[2] = {-1, -1};
};

// Runs `program` with stdout and stderr on `out_fd` and `err_fd`.
absl::StatusOr<pid_t> SpawnWith(absl::string_view program, const std::vector<std::string>& args,
                                int out_fd, int err_fd) {
  std::string name(program);
  std::vector<std::string> storage = args;
  std::vector<char*> argv{name.data()};
  for (std::string& arg : storage) {
    argv.push_back(arg.data());
  }
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_fd, STDERR_FILENO);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, name.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc == ENOENT || rc == EACCES) {
    return absl::NotFoundError(absl::StrCat("cannot execute ", name, ": ", std::strerror(rc)));
  }
  if (rc != 0) {
    return absl::InternalError(absl::StrCat("posix_spawnp ", name, ": ", std::strerror(rc)));
  }
  return pid;
}

absl::StatusOr<pid_t> Spawn(absl::string_view program, const std::vector<std::string>& args,
                            const OutputPipes& pipes) {
  return SpawnWith(program, args, pipes.write_end(0), pipes.write_end(1));
}

int ExitCode(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

}  // namespace

absl::StatusOr<ProcessResult> RunProgram(absl::string_view program,
                                         const std::vector<std::string>& args,
                                         absl::Duration timeout) {
  OutputPipes pipes;
  PN_RETURN_IF_ERROR(pipes.Open());
  PN_ASSIGN_OR_RETURN(const pid_t pid, Spawn(program, args, pipes));
  pipes.CloseWriteEnds();

  // Read both streams while polling for the exit, so a chatty child never blocks on a full pipe.
  const absl::Time deadline = absl::Now() + timeout;
  int status = 0;
  while (true) {
    const pid_t waited = waitpid(pid, &status, WNOHANG);
    if (waited == pid) {
      pipes.Drain();
      break;
    }
    if (absl::Now() >= deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return absl::DeadlineExceededError(absl::StrCat(program, " still running after ",
                                                      absl::FormatDuration(timeout),
                                                      "; stderr: ", pipes.text[1]));
    }
    if (pipes.AllClosed()) {
      absl::SleepFor(absl::Milliseconds(1));
    } else {
      pipes.Pump(absl::Milliseconds(20));
    }
  }
  return ProcessResult{.exit_code = ExitCode(status),
                       .stdout_text = std::move(pipes.text[0]),
                       .stderr_text = std::move(pipes.text[1])};
}

absl::StatusOr<pid_t> SpawnDaemon(absl::string_view program, const std::vector<std::string>& args,
                                  const std::string& log_path, const std::string& pidfile) {
  const int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) {
    return absl::InternalError(absl::StrCat("open ", log_path, ": ", std::strerror(errno)));
  }
  absl::StatusOr<pid_t> pid = SpawnWith(program, args, log, log);
  close(log);
  if (pid.ok()) {
    std::ofstream(pidfile) << *pid << "\n";
  }
  return pid;
}

absl::StatusOr<pid_t> ReadPidFile(absl::string_view path) {
  std::ifstream in{std::string(path)};
  if (!in) {
    return absl::NotFoundError(absl::StrCat("no pidfile at ", path));
  }
  std::stringstream text;
  text << in.rdbuf();
  int pid = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(text.str()), &pid) || pid <= 0) {
    return absl::DataLossError(absl::StrCat("pidfile ", path, " holds no pid: ", text.str()));
  }
  return static_cast<pid_t>(pid);
}

bool IsAlive(pid_t pid) {
  if (pid <= 0 || (kill(pid, 0) != 0 && errno == ESRCH)) {
    return false;
  }
  // /proc/<pid>/stat is "pid (comm) S ...": the state letter follows the last ')'.
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  if (!in) {
    return false;
  }
  const std::string line((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t paren = line.rfind(')');
  return paren == std::string::npos || paren + 2 >= line.size() || line[paren + 2] != 'Z';
}

absl::Status SignalAndWait(pid_t pid, int signal, absl::Duration timeout) {
  if (!IsAlive(pid)) {
    return absl::OkStatus();
  }
  if (kill(pid, signal) != 0 && errno != ESRCH) {
    return absl::InternalError(absl::StrCat("kill ", pid, ": ", std::strerror(errno)));
  }
  if (!WaitFor([pid] { return !IsAlive(pid); }, timeout)) {
    return absl::DeadlineExceededError(absl::StrCat(
        "pid ", pid, " still alive after signal ", signal, " and ", absl::FormatDuration(timeout)));
  }
  // A child of ours stays a zombie until reaped; for any other process this fails with ECHILD.
  waitpid(pid, nullptr, WNOHANG);
  return absl::OkStatus();
}

namespace {

// True if process `pid`'s command line mentions `dir`: a pid from a stale pidfile may since
// belong to an unrelated process, which must not be signalled.
bool RunsFrom(pid_t pid, const std::string& dir) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/cmdline"), std::ios::binary);
  std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return cmdline.find(dir) != std::string::npos;
}

void SweepOrphans(absl::string_view prefix) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/tmp", error)) {
    const std::string dir = entry.path().string();
    if (!entry.is_directory(error) || !absl::StartsWith(entry.path().filename().string(), prefix)) {
      continue;
    }
    absl::StatusOr<pid_t> owner = ReadPidFile(dir + "/owner.pid");
    if (!owner.ok() || IsAlive(*owner)) continue;  // not ours, or still in use
    for (const auto& file : std::filesystem::directory_iterator(dir, error)) {
      if (file.path().extension() != ".pid" || file.path().filename() == "owner.pid") continue;
      absl::StatusOr<pid_t> daemon = ReadPidFile(file.path().string());
      if (daemon.ok() && IsAlive(*daemon) && RunsFrom(*daemon, dir)) {
        (void)SignalAndWait(*daemon, SIGKILL, absl::Seconds(5));
      }
    }
    DeleteRecordedNetns(dir);
    std::filesystem::remove_all(dir, error);
  }
}

}  // namespace

void DeleteRecordedNetns(const std::string& dir) {
  std::ifstream in(dir + "/netns");
  std::string name;
  while (std::getline(in, name)) {
    if (name.empty() || name.find('/') != std::string::npos) continue;
    if (!std::filesystem::exists("/run/netns/" + name)) continue;
    (void)RunProgram("ip", {"netns", "del", name}, absl::Seconds(10));
  }
}

absl::StatusOr<std::string> MakeDaemonDir(absl::string_view prefix) {
  SweepOrphans(prefix);
  PN_ASSIGN_OR_RETURN(std::string dir, MakeTempDir(prefix));
  std::ofstream(dir + "/owner.pid") << getpid() << "\n";
  return dir;
}

absl::StatusOr<std::string> MakeTempDir(absl::string_view prefix) {
  std::string pattern = absl::StrCat("/tmp/", prefix, "XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp ", pattern, ": ", std::strerror(errno)));
  }
  return pattern;
}

}  // namespace plasmanet::testing
