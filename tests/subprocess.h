// Starting a program under test as a child process, with one of its output streams readable.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include <unistd.h>

namespace plasmanet::testing {

struct Child {
  pid_t pid = -1;
  FILE* output = nullptr;  // the captured stream; fclose it when done
};

// Runs `path` with `args`, capturing its file descriptor `captured` (STDOUT_FILENO or
// STDERR_FILENO). pid is -1 if the pipe or fork failed.
inline Child Spawn(const std::string& path, std::vector<std::string> args, int captured) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], captured);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> argv{const_cast<char*>(path.c_str())};
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(path.c_str(), argv.data());
    _exit(127);
  }
  close(fds[1]);
  if (pid < 0) {
    close(fds[0]);
    return {};
  }
  return {pid, fdopen(fds[0], "r")};
}

}  // namespace plasmanet::testing
