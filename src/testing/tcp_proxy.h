// TcpProxy: a loopback TCP relay that a test can cut, as a network partition would: while cut,
// connections stay open but nothing flows in either direction (data waits in the kernel's
// buffers, new connections are accepted and held), so a client sees silence, not a reset.
// Healing lets everything flow again.
//
//   auto proxy = TcpProxy::Start("127.0.0.1", etcd_port);
//   plasmanetd --store etcd:http://127.0.0.1:<proxy->port()>
//   proxy->Cut();    // the daemon loses etcd
//   proxy->Heal();
//
// Thread-safe. One thread relays every connection.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <absl/status/statusor.h>

namespace plasmanet::testing {

class TcpProxy {
 public:
  // Listens on a free loopback port and relays each connection to target_host:target_port.
  static absl::StatusOr<std::unique_ptr<TcpProxy>> Start(const std::string& target_host,
                                                         int target_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const { return port_; }
  void Cut();
  void Heal();

 private:
  TcpProxy(int listen_fd, int port, std::string target_host, int target_port, int wake_fd[2]);
  void Loop();
  void Wake();

  const int listen_fd_;
  const int port_;
  const std::string target_host_;
  const int target_port_;
  const int wake_read_;
  const int wake_write_;
  std::atomic<bool> cut_{false};
  std::atomic<bool> stopping_{false};
  // (client, server) sockets; the relay thread's alone.
  std::vector<std::pair<int, int>> links_;
  std::thread thread_;
};

}  // namespace plasmanet::testing
