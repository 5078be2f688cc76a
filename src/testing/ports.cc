#include "testing/ports.h"

#include <cerrno>
#include <cstring>
#include <string>

#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/strip.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace plasmanet::testing {
namespace {

// Closes a socket when it goes out of scope.
class Socket {
 public:
  explicit Socket(int domain) : fd_(socket(domain, SOCK_STREAM | SOCK_CLOEXEC, 0)) {}
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() {
    if (fd_ >= 0) {
      close(fd_);
    }
  }
  int fd() const { return fd_; }

 private:
  int fd_;
};

bool ConnectUnix(absl::string_view path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof(address.sun_path)) {
    return false;
  }
  std::memcpy(address.sun_path, path.data(), path.size());
  Socket s(AF_UNIX);
  return s.fd() >= 0 &&
         connect(s.fd(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
}

bool ConnectTcp(absl::string_view host_port) {
  const size_t colon = host_port.rfind(':');
  int port = 0;
  if (colon == absl::string_view::npos || !absl::SimpleAtoi(host_port.substr(colon + 1), &port)) {
    return false;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, std::string(host_port.substr(0, colon)).c_str(), &address.sin_addr) != 1) {
    return false;
  }
  Socket s(AF_INET);
  return s.fd() >= 0 &&
         connect(s.fd(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
}

}  // namespace

absl::StatusOr<int> PickFreePort() {
  Socket s(AF_INET);
  if (s.fd() < 0) {
    return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (bind(s.fd(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(s.fd(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return absl::InternalError(absl::StrCat("binding 127.0.0.1:0: ", std::strerror(errno)));
  }
  return static_cast<int>(ntohs(address.sin_port));
}

absl::StatusOr<LoopbackListener> ListenOnLoopback(int backlog) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0 ||
      listen(fd, backlog) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const int error = errno;
    close(fd);
    return absl::InternalError(absl::StrCat("listening on 127.0.0.1:0: ", std::strerror(error)));
  }
  return LoopbackListener{fd, static_cast<int>(ntohs(address.sin_port))};
}

bool AcceptsConnections(absl::string_view remote) {
  if (absl::ConsumePrefix(&remote, "unix:")) {
    return ConnectUnix(remote);
  }
  if (absl::ConsumePrefix(&remote, "tcp:") || absl::ConsumePrefix(&remote, "ssl:")) {
    return ConnectTcp(remote);
  }
  return false;
}

}  // namespace plasmanet::testing
