// A real one-member etcd for tests and benchmarks, in a fresh directory under /tmp, on free
// loopback ports.
//
//   EtcdServer etcd;                       // or EtcdServer etcd({.tls = true});
//   ASSERT_THAT(etcd.Start(), IsOk());
//   auto store = store::OpenStore(etcd.store_url());
//   etcd.Kill(); etcd.Start();             // a crash; the data survives
//   etcd.EnableAuth("root", "secret");     // etcdctl user add + auth enable
//
// It starts in about 0.2 s (the election timeout is 200 ms; etcd's default would make it a
// second), so a test may well start its own. The URL stays the same across restarts. Not
// thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/time/time.h>

#include "testing/etcd_member.h"
#include "testing/pki.h"
#include "testing/process.h"

namespace plasmanet::testing {

struct EtcdServerOptions {
  // Clients connect over https and must present a certificate from the generated CA.
  bool tls = false;
  int max_txn_ops = kTestEtcdMaxTxnOps;
};

class EtcdServer {
 public:
  explicit EtcdServer(EtcdServerOptions options = {});
  EtcdServer(const EtcdServer&) = delete;
  EtcdServer& operator=(const EtcdServer&) = delete;
  // Kills etcd and removes the directory.
  ~EtcdServer();

  // The first call makes the directory, ports and PKI (and picks new ports, up to three times,
  // if another process takes one first). Every call starts etcd and waits until it leads
  // itself. kFailedPrecondition if already running; kDeadlineExceeded with the log tail.
  absl::Status Start(absl::Duration timeout = absl::Seconds(20));
  absl::Status Stop();
  absl::Status Kill();

  // Runs etcdctl against this server (v3 API, with the client certificate under TLS, and with
  // `user` as "name:password" if not empty). kUnknown with its output on a non-zero exit.
  absl::StatusOr<std::string> Etcdctl(const std::vector<std::string>& args,
                                      const std::string& user = "") const;
  // Creates user `root` with `password`, grants it the root role and turns authentication on.
  absl::Status EnableAuth(const std::string& password);
  // With authentication on: creates user `name` with `password` and a role of the same name
  // that may read and write every key under `prefix`.
  absl::Status AddUser(const std::string& name, const std::string& password,
                       const std::string& prefix, const std::string& root_password);

  bool running() const { return member_ != nullptr && member_->running(); }
  const std::string& dir() const { return dir_; }
  // Valid after the first Start().
  std::string client_url() const { return member_->client_url(); }
  // "etcd:<client url>", with ca=, cert= and key= under TLS.
  std::string store_url() const;
  const SslFiles& client_tls() const { return pki_.client; }
  std::string log_path() const { return member_->log_path(); }
  std::string LogTail() const { return member_ == nullptr ? "" : member_->LogTail(); }

 private:
  absl::Status Prepare();

  EtcdServerOptions options_;
  std::string dir_;
  TestPki pki_;
  std::unique_ptr<EtcdMember> member_;
};

}  // namespace plasmanet::testing
