#include "testing/tcp_proxy.h"

#include <cerrno>
#include <cstring>

#include <absl/strings/str_cat.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testing/ports.h"

namespace plasmanet::testing {
namespace {

int Connect(const std::string& host, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Moves what `from` has to `to`; false when `from` is closed or either side failed.
bool Pump(int from, int to) {
  char buffer[64 * 1024];
  const ssize_t n = read(from, buffer, sizeof(buffer));
  if (n <= 0) return false;
  for (ssize_t sent = 0; sent < n;) {
    const ssize_t w = write(to, buffer + sent, static_cast<size_t>(n - sent));
    if (w <= 0) return false;
    sent += w;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TcpProxy>> TcpProxy::Start(const std::string& target_host,
                                                          int target_port) {
  absl::StatusOr<LoopbackListener> listener = ListenOnLoopback(64);
  if (!listener.ok()) return listener.status();
  int wake[2];
  if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) {
    close(listener->fd);
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  return std::unique_ptr<TcpProxy>(
      new TcpProxy(listener->fd, listener->port, target_host, target_port, wake));
}

TcpProxy::TcpProxy(int listen_fd, int port, std::string target_host, int target_port,
                   int wake_fd[2])
    : listen_fd_(listen_fd),
      port_(port),
      target_host_(std::move(target_host)),
      target_port_(target_port),
      wake_read_(wake_fd[0]),
      wake_write_(wake_fd[1]) {
  thread_ = std::thread([this] { Loop(); });
}

TcpProxy::~TcpProxy() {
  stopping_ = true;
  Wake();
  thread_.join();
  for (auto& [client, server] : links_) {
    close(client);
    close(server);
  }
  close(listen_fd_);
  close(wake_read_);
  close(wake_write_);
}

void TcpProxy::Cut() {
  cut_ = true;
  Wake();
}

void TcpProxy::Heal() {
  cut_ = false;
  Wake();
}

void TcpProxy::Wake() {
  const char byte = 0;
  [[maybe_unused]] ssize_t ignored = write(wake_write_, &byte, 1);
}

void TcpProxy::Loop() {
  while (!stopping_) {
    // While cut, only the wake pipe is watched: nothing is read, accepted or forwarded.
    std::vector<pollfd> fds{{wake_read_, POLLIN, 0}};
    if (!cut_) {
      fds.push_back({listen_fd_, POLLIN, 0});
      for (const auto& [client, server] : links_) {
        fds.push_back({client, POLLIN, 0});
        fds.push_back({server, POLLIN, 0});
      }
    }
    if (poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) return;
    if (fds[0].revents != 0) {
      char drain[64];
      while (read(wake_read_, drain, sizeof(drain)) > 0) {
      }
    }
    if (cut_ || fds.size() == 1) continue;
    if (fds[1].revents & POLLIN) {
      const int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client >= 0) {
        const int server = Connect(target_host_, target_port_);
        if (server < 0) {
          close(client);
        } else {
          links_.emplace_back(client, server);
        }
      }
    }
    // Links whose either side closed are closed on both sides.
    std::vector<std::pair<int, int>> alive;
    for (size_t i = 0; i < links_.size() && 2 + 2 * i + 1 < fds.size(); ++i) {
      auto [client, server] = links_[i];
      bool ok = true;
      if (fds[2 + 2 * i].revents & (POLLIN | POLLHUP | POLLERR)) ok = Pump(client, server);
      if (ok && (fds[3 + 2 * i].revents & (POLLIN | POLLHUP | POLLERR))) ok = Pump(server, client);
      if (ok) {
        alive.emplace_back(client, server);
      } else {
        close(client);
        close(server);
      }
    }
    // Links accepted in this round had no poll entry yet.
    for (size_t i = (fds.size() - 2) / 2; i < links_.size(); ++i) alive.push_back(links_[i]);
    links_ = std::move(alive);
  }
}

}  // namespace plasmanet::testing
