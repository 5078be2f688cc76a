// A real, standalone OVN Northbound ovsdb-server for integration tests and benchmarks, with
// its database, sockets, pidfile, log and PKI in a fresh directory under /tmp.
//
//   OvsdbServer nb({.tcp = true, .ssl = true});
//   ASSERT_THAT(nb.Start(), IsOk());
//   RunNbctl(nb.unix_remote(), {"ls-add", "sw0"});
//   RunNbctl(nb.ssl_remote(), {"ls-list"}, {.ssl = nb.client_ssl()});
//   nb.Kill(); nb.Restart();   // a crash; the data survives
//   nb.Wipe();                 // an empty database on the same remotes
//
// Paths and remotes are fixed by the first successful Start() and stay the same across
// Restart() and Wipe(), so a client can reconnect to them. Several servers, in one process or
// in parallel test processes, never share a directory or a port. Not thread-safe.
#pragma once

#include <memory>
#include <string>

#include <absl/status/status.h>

#include "testing/ovsdb_daemon.h"
#include "testing/pki.h"

namespace plasmanet::testing {

struct OvsdbServerOptions {
  bool tcp = false;  // also listen on tcp:127.0.0.1:<free port>
  bool ssl = false;  // also listen on ssl:127.0.0.1:<free port>, with a generated PKI
  std::string schema = kNbSchemaPath;
};

class OvsdbServer {
 public:
  explicit OvsdbServer(OvsdbServerOptions options = {});
  OvsdbServer(const OvsdbServer&) = delete;
  OvsdbServer& operator=(const OvsdbServer&) = delete;
  // Stops the server and removes its directory.
  ~OvsdbServer();

  // The first call makes the directory, picks ports and makes the PKI. Every call creates the
  // database from the schema if the file does not exist, starts ovsdb-server and waits until
  // all remotes accept connections. kFailedPrecondition if already running.
  absl::Status Start();
  // SIGTERM and wait until the process is gone.
  absl::Status Stop();
  // SIGKILL and wait until the process is gone: a crash, as far as the database can tell.
  absl::Status Kill();
  // Stop() if running, then Start() on the same database file.
  absl::Status Restart();
  // Stop(), delete the database, then Start() on a fresh empty one with the same remotes.
  absl::Status Wipe();

  bool running() const { return daemon_ != nullptr && daemon_->running(); }
  pid_t pid() const { return daemon_ == nullptr ? -1 : daemon_->pid(); }
  // Valid after the first Start(). tcp_remote() and ssl_remote() are empty unless enabled.
  const std::string& dir() const { return dir_; }
  std::string db_path() const { return dir_ + "/nb.db"; }
  std::string log_path() const { return daemon_ == nullptr ? "" : daemon_->log_path(); }
  std::string unix_remote() const { return daemon_ == nullptr ? "" : daemon_->unix_remote(); }
  std::string tcp_remote() const;
  std::string ssl_remote() const;
  // Key, certificate and CA a client presents to ssl_remote(); empty unless ssl is on.
  const SslFiles& client_ssl() const { return pki_.client; }

 private:
  // Makes the directory, ports, PKI and daemon configuration on the first Start().
  absl::Status Prepare();
  absl::Status CreateDatabaseIfMissing();

  OvsdbServerOptions options_;
  std::string dir_;
  int tcp_port_ = 0;
  int ssl_port_ = 0;
  TestPki pki_;
  std::unique_ptr<OvsdbDaemon> daemon_;
};

// Runs `ovsdb-tool create <db_path> <schema>`. kUnknown with stderr on failure.
absl::Status CreateDatabase(const std::string& db_path, const std::string& schema);

}  // namespace plasmanet::testing
