#include "testing/tcp_proxy.h"

#include <string>
#include <thread>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testing/ports.h"
#include "testing/status_matchers.h"

namespace plasmanet::testing {
namespace {

// A one-connection echo server on a free loopback port.
class EchoServer {
 public:
  EchoServer() {
    absl::StatusOr<LoopbackListener> listener = ListenOnLoopback();
    EXPECT_THAT(listener, IsOk());
    fd_ = listener->fd;
    port_ = listener->port;
    thread_ = std::thread([this] {
      const int client = accept(fd_, nullptr, nullptr);
      char buffer[256];
      for (ssize_t n; (n = read(client, buffer, sizeof(buffer))) > 0;) {
        if (write(client, buffer, static_cast<size_t>(n)) != n) break;
      }
      close(client);
    });
  }
  ~EchoServer() {
    shutdown(fd_, SHUT_RDWR);
    thread_.join();
    close(fd_);
  }
  int port() const { return port_; }

 private:
  int fd_;
  int port_;
  std::thread thread_;
};

// What arrives on `fd` within `ms` milliseconds ("" if nothing).
std::string ReadFor(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, ms) <= 0) return "";
  char buffer[256];
  const ssize_t n = read(fd, buffer, sizeof(buffer));
  return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : "";
}

TEST(TcpProxyTest, RelaysThenHoldsEverythingWhileCutThenDeliversOnHeal) {
  EchoServer echo;
  absl::StatusOr<std::unique_ptr<TcpProxy>> proxy = TcpProxy::Start("127.0.0.1", echo.port());
  ASSERT_THAT(proxy, IsOk());
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>((*proxy)->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);

  ASSERT_EQ(write(fd, "ping", 4), 4);
  EXPECT_EQ(ReadFor(fd, 2000), "ping");

  (*proxy)->Cut();
  ASSERT_EQ(write(fd, "held", 4), 4);
  EXPECT_EQ(ReadFor(fd, 300), "") << "nothing may cross while cut";
  (*proxy)->Heal();
  EXPECT_EQ(ReadFor(fd, 2000), "held") << "the connection survives, and what waited arrives";
  close(fd);
}

}  // namespace
}  // namespace plasmanet::testing
