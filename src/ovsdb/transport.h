// Transport: a connected byte stream to an OVSDB server, over a Unix socket, TCP, or TLS
// (OpenSSL). The client reads on one thread and writes from any thread under its own lock, so
// a transport needs no locking of its own beyond what OpenSSL requires: a TLS session must not
// be read and written at the same time, so TlsTransport serialises the two with a mutex and
// never blocks inside OpenSSL while holding it (the socket is non-blocking).
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include <absl/status/statusor.h>
#include <absl/strings/string_view.h>
#include <absl/time/time.h>

#include "ovsdb/remote.h"

namespace plasmanet::ovsdb {

// Files for ssl: remotes, in PEM: our private key and certificate (ovsdb-server asks for a
// client certificate) and the CA that signed the server's certificate.
struct TlsFiles {
  std::string private_key;
  std::string certificate;
  std::string ca_certificate;
};

class Transport {
 public:
  virtual ~Transport() = default;

  // Waits up to `timeout` for data and reads what is available into `buffer`. Returns the
  // number of bytes read, 0 on timeout; UNAVAILABLE when the peer closed or the connection
  // failed.
  virtual absl::StatusOr<size_t> Read(char* buffer, size_t size, absl::Duration timeout) = 0;
  // Writes all of `data`, or fails with UNAVAILABLE.
  virtual absl::Status Write(absl::string_view data) = 0;
  // Makes a Read blocked on another thread return promptly with UNAVAILABLE.
  virtual void Shutdown() = 0;
};

// Connects to `remote` within `timeout`. `tls` is used for ssl: remotes only (INVALID_ARGUMENT
// if an ssl: remote is given without key, certificate and CA).
absl::StatusOr<std::unique_ptr<Transport>> Connect(const Remote& remote, const TlsFiles& tls,
                                                   absl::Duration timeout);

}  // namespace plasmanet::ovsdb
