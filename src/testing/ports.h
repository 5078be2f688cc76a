// Loopback ports and reachability checks for test servers.
//
//   PN_ASSIGN_OR_RETURN(int port, PickFreePort());
//   ... start a server on 127.0.0.1:port ...
//   WaitFor([&] { return AcceptsConnections(absl::StrCat("tcp:127.0.0.1:", port)); }, ...);
//
// Thread-safe.
#pragma once

#include <absl/status/statusor.h>
#include <absl/strings/string_view.h>

namespace plasmanet::testing {

// Returns a TCP port on 127.0.0.1 that was free a moment ago: binds port 0, reads the port the
// kernel chose, closes. Another process may take it before the caller binds it; the kernel
// hands out ephemeral ports in sequence, so that is rare in practice.
absl::StatusOr<int> PickFreePort();

// A listening TCP socket on 127.0.0.1 with a port the kernel chose, owned by the caller (close
// the fd). For test servers and relays that must hold their port from the start.
struct LoopbackListener {
  int fd = -1;
  int port = 0;
};
absl::StatusOr<LoopbackListener> ListenOnLoopback(int backlog = 16);

// True if an OVSDB-style remote ("unix:PATH", "tcp:HOST:PORT" or "ssl:HOST:PORT", IPv4 only)
// accepts a connection right now. For ssl: only the TCP handshake is checked. The connection
// is closed at once.
bool AcceptsConnections(absl::string_view remote);

}  // namespace plasmanet::testing
