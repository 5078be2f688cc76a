#include "ovsdb/transport.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <utility>

#include <absl/strings/str_cat.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace plasmanet::ovsdb {
namespace {

absl::Status Unavailable(absl::string_view what, int error) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(error)));
}

absl::Status Annotated(const absl::Status& status, const Remote& remote) {
  return absl::Status(status.code(), absl::StrCat(remote.ToString(), ": ", status.message()));
}

int PollMillis(absl::Duration timeout) {
  if (timeout <= absl::ZeroDuration()) return 0;
  if (timeout == absl::InfiniteDuration()) return -1;
  return static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(timeout) + 1, 1 << 30));
}

// Waits for `events` on `fd`; true when ready, false on timeout.
absl::StatusOr<bool> WaitFd(int fd, short events, absl::Duration timeout) {
  pollfd p{fd, events, 0};
  for (;;) {
    const int n = poll(&p, 1, PollMillis(timeout));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Unavailable("poll", errno);
    return n > 0;
  }
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

absl::Status SetNonBlocking(int fd, bool on) {
  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return Unavailable("fcntl", errno);
  if (fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK) < 0) {
    return Unavailable("fcntl", errno);
  }
  return absl::OkStatus();
}

// Connects a non-blocking socket, waiting at most until `deadline`.
absl::Status ConnectSocket(int fd, const sockaddr* address, socklen_t length, absl::Time deadline) {
  if (auto s = SetNonBlocking(fd, true); !s.ok()) return s;
  if (connect(fd, address, length) == 0) return absl::OkStatus();
  if (errno != EINPROGRESS && errno != EAGAIN) return Unavailable("connect", errno);
  absl::StatusOr<bool> ready = WaitFd(fd, POLLOUT, deadline - absl::Now());
  if (!ready.ok()) return ready.status();
  if (!*ready) return absl::DeadlineExceededError("connect timed out");
  int error = 0;
  socklen_t size = sizeof(error);
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size);
  if (error != 0) return Unavailable("connect", error);
  return absl::OkStatus();
}

absl::StatusOr<int> OpenSocket(const Remote& remote, absl::Time deadline) {
  if (remote.kind == Remote::Kind::kUnix) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (remote.path.size() >= sizeof(address.sun_path)) {
      return absl::InvalidArgumentError(absl::StrCat("socket path too long: ", remote.path));
    }
    std::memcpy(address.sun_path, remote.path.data(), remote.path.size());
    Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) return Unavailable("socket", errno);
    absl::Status s = ConnectSocket(fd.get(), reinterpret_cast<const sockaddr*>(&address),
                                   sizeof(address), deadline);
    if (!s.ok()) return Annotated(s, remote);
    return fd.release();
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(remote.port);
  if (int rc = getaddrinfo(remote.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return absl::UnavailableError(absl::StrCat("resolving ", remote.host, ": ", gai_strerror(rc)));
  }
  absl::Status last = absl::UnavailableError("no address");
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    Fd fd(socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol));
    if (fd.get() < 0) continue;
    last = ConnectSocket(fd.get(), a->ai_addr, a->ai_addrlen, deadline);
    if (last.ok()) {
      const int one = 1;
      setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      freeaddrinfo(found);
      return fd.release();
    }
  }
  freeaddrinfo(found);
  return Annotated(last, remote);
}

class SocketTransport final : public Transport {
 public:
  explicit SocketTransport(int fd) : fd_(fd) {}
  ~SocketTransport() override { close(fd_); }

  absl::StatusOr<size_t> Read(char* buffer, size_t size, absl::Duration timeout) override {
    absl::StatusOr<bool> ready = WaitFd(fd_, POLLIN, timeout);
    if (!ready.ok() || !*ready) return ready.ok() ? absl::StatusOr<size_t>(0) : ready.status();
    for (;;) {
      const ssize_t n = recv(fd_, buffer, size, 0);
      if (n > 0) return static_cast<size_t>(n);
      if (n == 0) return absl::UnavailableError("connection closed by the server");
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return 0;
      return Unavailable("recv", errno);
    }
  }

  absl::Status Write(absl::string_view data) override {
    while (!data.empty()) {
      const ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n >= 0) {
        data.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      if (errno == EINTR) continue;
      if (errno != EAGAIN) return Unavailable("send", errno);
      absl::StatusOr<bool> ready = WaitFd(fd_, POLLOUT, absl::Seconds(30));
      if (!ready.ok()) return ready.status();
      if (!*ready) return absl::UnavailableError("send stalled for 30 s");
    }
    return absl::OkStatus();
  }

  void Shutdown() override { shutdown(fd_, SHUT_RDWR); }

 private:
  int fd_;
};

std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  if (code == 0) return "unknown TLS error";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  ERR_clear_error();
  return text;
}

// OpenSSL writes to the socket with write(2), which raises SIGPIPE when the peer has gone (and
// SSL_read may write too, for alerts). A library must not change the process's signal
// disposition, so the calling thread blocks SIGPIPE for the duration of the OpenSSL call and
// discards one the call made pending; the failed write then shows up as an error.
class BlockSigpipe {
 public:
  BlockSigpipe() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    already_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &previous_);
  }
  ~BlockSigpipe() {
    sigset_t pending;
    sigpending(&pending);
    if (!already_pending_ && sigismember(&pending, SIGPIPE) == 1) {
      const timespec zero{0, 0};
      sigtimedwait(&pipe_, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  BlockSigpipe(const BlockSigpipe&) = delete;
  BlockSigpipe& operator=(const BlockSigpipe&) = delete;

 private:
  sigset_t pipe_;
  sigset_t previous_;
  bool already_pending_ = false;
};

class TlsTransport final : public Transport {
 public:
  TlsTransport(int fd, SSL_CTX* context, SSL* ssl) : fd_(fd), context_(context), ssl_(ssl) {}
  ~TlsTransport() override {
    SSL_free(ssl_);
    SSL_CTX_free(context_);
    close(fd_);
  }

  // Runs `op` (an SSL_* call) under the lock, waiting outside the lock for the socket
  // readiness OpenSSL asks for, until it succeeds or `deadline` passes. Returns op's result
  // (> 0), 0 on timeout.
  template <typename Op>
  absl::StatusOr<int> Drive(Op op, absl::Time deadline) {
    BlockSigpipe blocked;
    for (;;) {
      short wait_for = 0;
      {
        std::lock_guard<std::mutex> lock(mu_);
        ERR_clear_error();
        const int rc = op(ssl_);
        if (rc > 0) return rc;
        switch (SSL_get_error(ssl_, rc)) {
          case SSL_ERROR_WANT_READ:
            wait_for = POLLIN;
            break;
          case SSL_ERROR_WANT_WRITE:
            wait_for = POLLOUT;
            break;
          case SSL_ERROR_ZERO_RETURN:
            return absl::UnavailableError("connection closed by the server");
          case SSL_ERROR_SYSCALL:
            return absl::UnavailableError(
                absl::StrCat("TLS connection failed: ",
                             errno != 0 ? std::strerror(errno) : "closed by the server"));
          default:
            return absl::UnavailableError(absl::StrCat("TLS: ", OpenSslError()));
        }
      }
      absl::StatusOr<bool> ready = WaitFd(fd_, wait_for, deadline - absl::Now());
      if (!ready.ok()) return ready.status();
      if (!*ready) return 0;
    }
  }

  absl::StatusOr<size_t> Read(char* buffer, size_t size, absl::Duration timeout) override {
    const int limit = static_cast<int>(std::min<size_t>(size, 1 << 30));
    absl::StatusOr<int> n =
        Drive([&](SSL* ssl) { return SSL_read(ssl, buffer, limit); }, absl::Now() + timeout);
    if (!n.ok()) return n.status();
    return static_cast<size_t>(*n);
  }

  absl::Status Write(absl::string_view data) override {
    while (!data.empty()) {
      const int chunk = static_cast<int>(std::min<size_t>(data.size(), 1 << 20));
      absl::StatusOr<int> n = Drive([&](SSL* ssl) { return SSL_write(ssl, data.data(), chunk); },
                                    absl::Now() + absl::Seconds(30));
      if (!n.ok()) return n.status();
      if (*n == 0) return absl::UnavailableError("TLS send stalled for 30 s");
      data.remove_prefix(static_cast<size_t>(*n));
    }
    return absl::OkStatus();
  }

  void Shutdown() override { shutdown(fd_, SHUT_RDWR); }

 private:
  int fd_;
  SSL_CTX* context_;
  SSL* ssl_;
  std::mutex mu_;
};

absl::StatusOr<std::unique_ptr<Transport>> ConnectTls(int fd, const Remote& remote,
                                                      const TlsFiles& tls, absl::Time deadline) {
  Fd owned(fd);
  SSL_CTX* context = SSL_CTX_new(TLS_client_method());
  if (context == nullptr) return absl::InternalError(OpenSslError());
  auto fail = [&](absl::string_view what) {
    SSL_CTX_free(context);
    return absl::FailedPreconditionError(
        absl::StrCat("TLS to ", remote.ToString(), ": ", what, ": ", OpenSslError()));
  };
  SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
  // Like OVS itself, trust is the CA: the server must present a certificate signed by it (OVS
  // PKI certificates carry no host names to check).
  SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nullptr);
  if (SSL_CTX_load_verify_locations(context, tls.ca_certificate.c_str(), nullptr) != 1) {
    return fail(absl::StrCat("loading CA certificate ", tls.ca_certificate));
  }
  if (SSL_CTX_use_certificate_chain_file(context, tls.certificate.c_str()) != 1) {
    return fail(absl::StrCat("loading certificate ", tls.certificate));
  }
  if (SSL_CTX_use_PrivateKey_file(context, tls.private_key.c_str(), SSL_FILETYPE_PEM) != 1) {
    return fail(absl::StrCat("loading private key ", tls.private_key));
  }
  SSL* ssl = SSL_new(context);
  if (ssl == nullptr || SSL_set_fd(ssl, fd) != 1) {
    SSL_free(ssl);
    return fail("creating the session");
  }
  auto transport = std::make_unique<TlsTransport>(owned.release(), context, ssl);
  absl::StatusOr<int> done = transport->Drive([](SSL* s) { return SSL_connect(s); }, deadline);
  if (!done.ok()) return Annotated(done.status(), remote);
  if (*done == 0) return absl::DeadlineExceededError("TLS handshake timed out");
  return transport;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Transport>> Connect(const Remote& remote, const TlsFiles& tls,
                                                   absl::Duration timeout) {
  if (remote.kind == Remote::Kind::kSsl &&
      (tls.private_key.empty() || tls.certificate.empty() || tls.ca_certificate.empty())) {
    return absl::InvalidArgumentError(
        absl::StrCat(remote.ToString(),
                     ": ssl: remotes need a private key, a certificate and a CA certificate"));
  }
  const absl::Time deadline = absl::Now() + timeout;
  absl::StatusOr<int> fd = OpenSocket(remote, deadline);
  if (!fd.ok()) return fd.status();
  if (remote.kind == Remote::Kind::kSsl) return ConnectTls(*fd, remote, tls, deadline);
  if (auto s = SetNonBlocking(*fd, true); !s.ok()) {
    close(*fd);
    return s;
  }
  return std::make_unique<SocketTransport>(*fd);
}

}  // namespace plasmanet::ovsdb
