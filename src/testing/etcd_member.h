// One real etcd process (/usr/bin/etcd) on loopback ports, with its data, log and pidfile in a
// test's directory: the building block of EtcdServer and EtcdCluster.
//
//   EtcdMember member({.name = "m0", .dir = dir, .client_port = c, .peer_port = p,
//                      .initial_cluster = "m0=http://127.0.0.1:" + std::to_string(p)});
//   PN_RETURN_IF_ERROR(member.Start());
//   PN_RETURN_IF_ERROR(member.WaitForLeader(absl::Seconds(10)));
//   member.Kill();   // a crash: the data directory stays, Start() brings it back
//
// etcd runs in the foreground as a child of the test (it does not detach); its pid goes to
// <dir>/<name>.pid so that MakeDaemonDir's sweep kills it if the test dies first. Not
// thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/time/time.h>
#include <sys/types.h>

#include "testing/pki.h"

namespace plasmanet::testing {

inline constexpr char kEtcdPath[] = "/usr/bin/etcd";
inline constexpr char kEtcdctlPath[] = "/usr/bin/etcdctl";

// etcd's own default, written out so that tests and docs name the same number: a transaction
// may hold at most this many compares, and as many puts/deletes.
inline constexpr int kTestEtcdMaxTxnOps = 128;

struct EtcdMemberConfig {
  std::string name;  // etcd --name, and the stem of the member's files
  std::string dir;   // data in <dir>/<name>.etcd, log in <dir>/<name>.log
  int client_port = 0;
  int peer_port = 0;
  // etcd --initial-cluster: "name=http://127.0.0.1:<peer port>,..." for every member.
  std::string initial_cluster;
  std::string cluster_token = "plasmanet-test";
  // Raft timing. etcd's defaults (100 ms, 1 s) make a one-member server take a second to elect
  // itself; tests use less.
  absl::Duration heartbeat = absl::Milliseconds(20);
  absl::Duration election = absl::Milliseconds(200);
  int max_txn_ops = kTestEtcdMaxTxnOps;
  // https for clients when set (server key, certificate, and the CA clients must be signed by);
  // peers always talk plain http on loopback.
  SslFiles server_tls;
  // What this harness presents to an https member when it probes it.
  SslFiles client_tls;
};

class EtcdMember {
 public:
  explicit EtcdMember(EtcdMemberConfig config);
  EtcdMember(const EtcdMember&) = delete;
  EtcdMember& operator=(const EtcdMember&) = delete;
  // Kills the process if it runs; the files stay (their directory's owner removes them).
  ~EtcdMember();

  // Starts etcd and waits until its client port accepts connections. kFailedPrecondition if it
  // already runs; kDeadlineExceeded (with the log tail) if the port does not open in `timeout`
  // or the process exits.
  absl::Status Start(absl::Duration timeout = absl::Seconds(10));
  // SIGTERM and wait. OK if not running.
  absl::Status Stop();
  // SIGKILL and wait: a crash. OK if not running.
  absl::Status Kill();
  // Waits until the member answers Maintenance.Status naming a leader: it can serve writes.
  absl::Status WaitForLeader(absl::Duration timeout) const;
  // Whether this member is the cluster's Raft leader now (Maintenance.Status).
  absl::StatusOr<bool> IsRaftLeader() const;

  bool running() const;
  pid_t pid() const { return pid_; }
  const EtcdMemberConfig& config() const { return config_; }
  bool tls() const { return !config_.server_tls.empty(); }
  // "http://127.0.0.1:<client port>" (https with TLS).
  std::string client_url() const;
  std::string peer_url() const;
  std::string log_path() const { return Path(".log"); }
  std::string LogTail(size_t bytes = 3000) const;
  // True if etcd's log says one of its ports was taken: a port picked as free was grabbed by
  // another process before etcd bound it. The owner then picks new ports and starts afresh.
  bool PortWasTaken() const;
  // Removes the data directory and the log (the member must not run).
  void RemoveFiles() const;

 private:
  std::string Path(const char* suffix) const;
  std::vector<std::string> Args() const;

  EtcdMemberConfig config_;
  pid_t pid_ = -1;
};

}  // namespace plasmanet::testing
