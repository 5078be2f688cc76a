// netprobe: the traffic end-to-end tests send between "VMs" (network namespaces). A server
// answers every TCP connection and every UDP datagram with its own id, so a probe learns not
// only that something answered but who: with two tenants using the same addresses, "10.0.1.3
// answered" proves nothing, "b-vm2 answered a-vm1" is a breach.
//
//   netprobe serve --id a-vm2 --port 7000 --daemon --pidfile DIR/probe-a-vm2.pid
//   netprobe tcp 10.0.1.3 7000 --timeout-ms 1000    # prints "a-vm2", exit 0
//   netprobe udp 10.0.1.3 7000 --source 10.0.1.99    # exit 1: "no answer" (say, spoofed)
//   netprobe send 10.0.1.3 7000 --payload spoof-1    # one datagram, no answer awaited
//   netprobe hold 10.0.1.3 7001 --duration-ms 5000   # one TCP connection, kept and checked
//
// The server also echoes TCP on PORT+1, for `hold`: one connection that sends a byte every
// --interval-ms and waits for its echo, for --duration-ms; exit 0 ("held N") if every byte came
// back, 1 ("lost after N") at the first that did not. That is how a test watches an
// established connection while rules change under it.
//
// With --log FILE the server appends a line per packet it receives ("udp 10.0.1.2 spoof-1",
// "tcp 10.0.1.2"): how a test tells "dropped on the way" from "arrived but the answer could not
// come back".
// Exit status of the probes: 0 with the responder's id on stdout, 1 with the reason on stderr
// (no answer, refused, unreachable), 2 for bad arguments. Written by hand because no packaged
// tool answers with an identity over both TCP and UDP; it is test support, not product.

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace {

using Clock = std::chrono::steady_clock;

struct Endpoint {
  sockaddr_storage addr{};
  socklen_t len = 0;
  int family = AF_INET;
};

bool Resolve(const std::string& host, int port, Endpoint* out) {
  addrinfo hints{};
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* result = nullptr;
  const std::string service = std::to_string(port);
  if (getaddrinfo(host.c_str(), service.c_str(), &hints, &result) != 0 || result == nullptr) {
    return false;
  }
  std::memcpy(&out->addr, result->ai_addr, result->ai_addrlen);
  out->len = result->ai_addrlen;
  out->family = result->ai_family;
  freeaddrinfo(result);
  return true;
}

int Fail(const std::string& why) {
  std::cerr << "netprobe: " << why << "\n";
  return 1;
}

int MillisLeft(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// Binds `fd` to `source` (port 0) when given: how a test sends from an address it does not own.
bool BindSource(int fd, const std::string& source, int family) {
  if (source.empty()) return true;
  Endpoint local;
  if (!Resolve(source, 0, &local) || local.family != family) return false;
  const int on = 1;
  // An address that is not configured in the namespace: IP_FREEBIND lets the socket bind it,
  // IP_TRANSPARENT (root) lets the kernel send from it.
  const int level = family == AF_INET6 ? SOL_IPV6 : SOL_IP;
  setsockopt(fd, level, family == AF_INET6 ? IPV6_FREEBIND : IP_FREEBIND, &on, sizeof(on));
  setsockopt(fd, level, family == AF_INET6 ? IPV6_TRANSPARENT : IP_TRANSPARENT, &on, sizeof(on));
  return bind(fd, reinterpret_cast<const sockaddr*>(&local.addr), local.len) == 0;
}

int ProbeTcp(const Endpoint& to, const std::string& source, int timeout_ms) {
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  const int fd = socket(to.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Fail(std::string("socket: ") + std::strerror(errno));
  if (!BindSource(fd, source, to.family)) return Fail("cannot bind source address " + source);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&to.addr), to.len) != 0 &&
      errno != EINPROGRESS) {
    return Fail(std::string("connect: ") + std::strerror(errno));
  }
  pollfd p{.fd = fd, .events = POLLOUT};
  if (poll(&p, 1, MillisLeft(deadline)) <= 0) return Fail("no answer (connect timed out)");
  int error = 0;
  socklen_t len = sizeof(error);
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
  if (error != 0) return Fail(std::string("connect: ") + std::strerror(error));
  std::string reply;
  char buffer[256];
  while (true) {
    p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, MillisLeft(deadline)) <= 0) return Fail("no answer (connected, no reply)");
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0) return Fail(std::string("read: ") + std::strerror(errno));
    if (n == 0) break;
    reply.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  if (reply.empty()) return Fail("connection closed without a reply");
  std::cout << reply;
  return 0;
}

int ProbeUdp(const Endpoint& to, const std::string& source, const std::string& payload,
             int timeout_ms) {
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  const int fd = socket(to.family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Fail(std::string("socket: ") + std::strerror(errno));
  if (!BindSource(fd, source, to.family)) return Fail("cannot bind source address " + source);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&to.addr), to.len) != 0) {
    return Fail(std::string("connect: ") + std::strerror(errno));
  }
  // Datagrams may be lost while the path warms up (ARP, flow setup): send again every 200 ms.
  while (MillisLeft(deadline) > 0) {
    if (send(fd, payload.data(), payload.size(), 0) < 0 && errno != ECONNREFUSED) {
      return Fail(std::string("send: ") + std::strerror(errno));
    }
    pollfd p{.fd = fd, .events = POLLIN};
    if (poll(&p, 1, std::min(200, MillisLeft(deadline))) > 0) {
      char buffer[256];
      const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
      if (n > 0) {
        std::cout << std::string(buffer, static_cast<size_t>(n));
        return 0;
      }
      if (n < 0 && errno == ECONNREFUSED) return Fail("refused (ICMP port unreachable)");
    }
  }
  return Fail("no answer");
}

// A dual-stack socket on [::]:port, or 0.0.0.0:port where IPv6 is off.
int Listen(int type, int port) {
  for (int family : {AF_INET6, AF_INET}) {
    const int fd = socket(family, type | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    const int on = 1, off = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    sockaddr_storage addr{};
    socklen_t len;
    if (family == AF_INET6) {
      setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
      auto* a6 = reinterpret_cast<sockaddr_in6*>(&addr);
      a6->sin6_family = AF_INET6;
      a6->sin6_port = htons(static_cast<uint16_t>(port));
      a6->sin6_addr = in6addr_any;
      len = sizeof(*a6);
    } else {
      auto* a4 = reinterpret_cast<sockaddr_in*>(&addr);
      a4->sin_family = AF_INET;
      a4->sin_port = htons(static_cast<uint16_t>(port));
      a4->sin_addr.s_addr = htonl(INADDR_ANY);
      len = sizeof(*a4);
    }
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0 &&
        (type != SOCK_STREAM || listen(fd, 64) == 0)) {
      return fd;
    }
    close(fd);
  }
  return -1;
}

std::string AddressText(const sockaddr_storage& addr) {
  char text[INET6_ADDRSTRLEN] = "?";
  if (addr.ss_family == AF_INET6) {
    const auto* a6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    if (IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr)) {
      inet_ntop(AF_INET, &a6->sin6_addr.s6_addr[12], text, sizeof(text));
    } else {
      inet_ntop(AF_INET6, &a6->sin6_addr, text, sizeof(text));
    }
  } else {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&addr)->sin_addr, text, sizeof(text));
  }
  return text;
}

int SendOne(const Endpoint& to, const std::string& source, const std::string& payload) {
  const int fd = socket(to.family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Fail(std::string("socket: ") + std::strerror(errno));
  if (!BindSource(fd, source, to.family)) return Fail("cannot bind source address " + source);
  if (sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<const sockaddr*>(&to.addr),
             to.len) < 0) {
    return Fail(std::string("sendto: ") + std::strerror(errno));
  }
  close(fd);
  return 0;
}

// One TCP connection to `to`, kept for `duration_ms`: a byte every `interval_ms`, each echoed
// back within `interval_ms` * 5.
int Hold(const Endpoint& to, int duration_ms, int interval_ms) {
  const int fd = socket(to.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Fail(std::string("socket: ") + std::strerror(errno));
  const timeval connect_timeout{.tv_sec = 2, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &connect_timeout, sizeof(connect_timeout));
  if (connect(fd, reinterpret_cast<const sockaddr*>(&to.addr), to.len) != 0) {
    return Fail(std::string("connect: ") + std::strerror(errno));
  }
  const Clock::time_point end = Clock::now() + std::chrono::milliseconds(duration_ms);
  int echoed = 0;
  do {
    const char byte = 'x';
    char back = 0;
    pollfd p{.fd = fd, .events = POLLIN};
    if (write(fd, &byte, 1) != 1 || poll(&p, 1, interval_ms * 5) <= 0 || read(fd, &back, 1) != 1) {
      std::cout << "lost after " << echoed << "\n";
      return 1;
    }
    ++echoed;
    std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
  } while (Clock::now() < end);
  close(fd);
  std::cout << "held " << echoed << "\n";
  return 0;
}

int Serve(const std::string& id, int port, bool daemon, const std::string& pidfile,
          const std::string& log_path) {
  const int tcp = Listen(SOCK_STREAM, port);
  const int udp = Listen(SOCK_DGRAM, port);
  const int echo = port < 65535 ? Listen(SOCK_STREAM, port + 1) : -1;
  if (tcp < 0 || udp < 0 || echo < 0) {
    return Fail("cannot listen on ports " + std::to_string(port) + " and " +
                std::to_string(port + 1));
  }
  if (daemon) {
    // Detach only once listening, so the caller knows the server is ready when we return.
    const pid_t child = fork();
    if (child < 0) return Fail(std::string("fork: ") + std::strerror(errno));
    if (child > 0) _exit(0);
    setsid();
    const int null = open("/dev/null", O_RDWR);
    dup2(null, STDIN_FILENO);
    dup2(null, STDOUT_FILENO);
    dup2(null, STDERR_FILENO);
  }
  if (!pidfile.empty()) std::ofstream(pidfile) << getpid() << "\n";
  std::ofstream log;
  if (!log_path.empty()) log.open(log_path, std::ios::app);
  const std::string answer = id + "\n";
  std::vector<pollfd> fds = {
      {.fd = tcp, .events = POLLIN}, {.fd = udp, .events = POLLIN}, {.fd = echo, .events = POLLIN}};
  while (true) {
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (fds[2].revents & POLLIN) {
      const int conn = accept4(echo, nullptr, nullptr, SOCK_CLOEXEC);
      if (conn >= 0) fds.push_back({.fd = conn, .events = POLLIN});
    }
    // Echo connections: whatever comes in goes back; closed by the peer, forgotten.
    for (size_t i = 3; i < fds.size();) {
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
        ++i;
        continue;
      }
      char buffer[256];
      const ssize_t n = read(fds[i].fd, buffer, sizeof(buffer));
      if (n > 0 && write(fds[i].fd, buffer, static_cast<size_t>(n)) == n) {
        fds[i].revents = 0;
        ++i;
        continue;
      }
      close(fds[i].fd);
      fds.erase(fds.begin() + static_cast<std::ptrdiff_t>(i));
    }
    if (fds[0].revents & POLLIN) {
      sockaddr_storage from{};
      socklen_t from_len = sizeof(from);
      const int conn = accept4(tcp, reinterpret_cast<sockaddr*>(&from), &from_len, SOCK_CLOEXEC);
      if (conn >= 0) {
        if (log.is_open()) log << "tcp " << AddressText(from) << std::endl;
        (void)!write(conn, answer.data(), answer.size());
        close(conn);
      }
    }
    if (fds[1].revents & POLLIN) {
      sockaddr_storage from{};
      socklen_t from_len = sizeof(from);
      char buffer[512];
      const ssize_t n =
          recvfrom(udp, buffer, sizeof(buffer), 0, reinterpret_cast<sockaddr*>(&from), &from_len);
      if (n >= 0) {
        if (log.is_open()) {
          log << "udp " << AddressText(from) << " " << std::string(buffer, static_cast<size_t>(n))
              << std::endl;
        }
        sendto(udp, answer.data(), answer.size(), 0, reinterpret_cast<sockaddr*>(&from), from_len);
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"netprobe: identity-answering TCP/UDP probes for end-to-end tests"};
  app.require_subcommand(1);
  std::string id, pidfile, log_path, host, source, payload = "probe";
  int port = 0, timeout_ms = 1000;
  bool daemon = false;

  auto* serve = app.add_subcommand("serve", "Answer TCP and UDP on PORT with ID");
  serve->add_option("--id", id)->required();
  serve->add_option("--port", port)->required()->check(CLI::Range(1, 65535));
  serve->add_flag("--daemon", daemon, "Detach once listening");
  serve->add_option("--pidfile", pidfile);
  serve->add_option("--log", log_path, "Append a line per packet received");
  for (const char* proto : {"tcp", "udp"}) {
    auto* probe = app.add_subcommand(proto, std::string("Ask HOST:PORT over ") + proto);
    probe->add_option("HOST", host)->required();
    probe->add_option("PORT", port)->required()->check(CLI::Range(1, 65535));
    probe->add_option("--timeout-ms", timeout_ms)->check(CLI::Range(1, 60000));
    probe->add_option("--source", source, "Send from this address (need not be configured)");
    if (std::string(proto) == "udp") probe->add_option("--payload", payload);
  }
  int duration_ms = 5000, interval_ms = 100;
  auto* hold = app.add_subcommand("hold", "Keep one TCP connection to HOST:PORT and check it");
  hold->add_option("HOST", host)->required();
  hold->add_option("PORT", port)->required()->check(CLI::Range(1, 65535));
  hold->add_option("--duration-ms", duration_ms)->check(CLI::Range(0, 600000));
  hold->add_option("--interval-ms", interval_ms)->check(CLI::Range(1, 10000));
  auto* send = app.add_subcommand("send", "Send one UDP datagram to HOST:PORT");
  send->add_option("HOST", host)->required();
  send->add_option("PORT", port)->required()->check(CLI::Range(1, 65535));
  send->add_option("--payload", payload);
  send->add_option("--source", source, "Send from this address (need not be configured)");
  CLI11_PARSE(app, argc, argv);

  if (serve->parsed()) return Serve(id, port, daemon, pidfile, log_path);
  Endpoint to;
  if (!Resolve(host, port, &to)) {
    std::cerr << "netprobe: '" << host << "' is not an IP address\n";
    return 2;
  }
  if (send->parsed()) return SendOne(to, source, payload);
  if (hold->parsed()) return Hold(to, duration_ms, interval_ms);
  return app.got_subcommand("tcp") ? ProbeTcp(to, source, timeout_ms)
                                   : ProbeUdp(to, source, payload, timeout_ms);
}
