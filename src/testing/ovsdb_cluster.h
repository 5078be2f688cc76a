// A real clustered (Raft) OVN Northbound database for failover tests: three ovsdb-server
// members on loopback, each with its own database file, sockets, pidfile and log in one
// fresh directory under /tmp.
//
//   OvsdbCluster nb;
//   ASSERT_THAT(nb.Start(), IsOk());
//   RunNbctl(nb.remotes(), {"ls-add", "sw0"});
//   int leader = *nb.WaitForLeader(absl::Seconds(10));
//   nb.Kill(leader);                       // another member takes over
//   nb.Start(leader);                      // it rejoins as a follower
//
// Member i listens for Raft on tcp:127.0.0.1:<raft port i> and for clients on
// tcp:127.0.0.1:<client port i> and unix:<dir>/member<i>.sock. The election timer is set at
// create-cluster time (default 500 ms, against OVSDB's 1000 ms) so failover tests are quick
// while staying clear of spurious elections on a loaded 2-core machine. Not thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/string_view.h>
#include <absl/time/time.h>

#include "testing/ovsdb_daemon.h"

namespace plasmanet::testing {

struct OvsdbClusterOptions {
  int size = 3;
  // ovsdb-tool create-cluster --election-timer; OVSDB accepts 100 ms to 600 s. A follower
  // starts an election after this plus a random part of up to one second of silence.
  absl::Duration election_timer = absl::Milliseconds(500);
  std::string schema = kNbSchemaPath;
};

// What `ovs-appctl cluster/status` says about one member.
struct ClusterMemberStatus {
  std::string status;  // "cluster member", "joining cluster", ...
  std::string role;    // "leader", "follower" or "candidate"
  std::string leader;  // "self", a server id, or "unknown"
};

// Parses the Status, Role and Leader lines of `ovs-appctl cluster/status` output.
// kInvalidArgument if a line is missing.
absl::StatusOr<ClusterMemberStatus> ParseClusterStatus(absl::string_view text);

class OvsdbCluster {
 public:
  explicit OvsdbCluster(OvsdbClusterOptions options = {});
  OvsdbCluster(const OvsdbCluster&) = delete;
  OvsdbCluster& operator=(const OvsdbCluster&) = delete;
  // Stops every member and removes the directory.
  ~OvsdbCluster();

  // The first call picks ports and creates the cluster (create-cluster for member 0,
  // join-cluster for the others). Every call starts the members that are not running and
  // waits until each is a cluster member that knows the leader. kDeadlineExceeded if that
  // takes longer than `timeout`.
  absl::Status Start(absl::Duration timeout = absl::Seconds(15));
  // Member indexes run from 0 to size() - 1; the per-member calls below are valid after the
  // first successful Start().
  //
  // Starts member i again on its own database file (after Kill or Stop). Returns once its
  // sockets accept connections; it rejoins asynchronously (see WaitForMember).
  absl::Status Start(int i);
  // SIGTERM member i and wait until it is gone.
  absl::Status Stop(int i);
  // SIGKILL member i and wait until it is gone.
  absl::Status Kill(int i);

  // Waits until a running member reports "Role: leader" and returns its index.
  // kDeadlineExceeded if none does within `timeout`.
  absl::StatusOr<int> WaitForLeader(absl::Duration timeout);
  // Waits until running member i is a cluster member that knows who leads.
  absl::Status WaitForMember(int i, absl::Duration timeout);
  // cluster/status of running member i.
  absl::StatusOr<ClusterMemberStatus> MemberStatus(int i) const;

  int size() const { return options_.size; }
  bool running(int i) const { return members_[i] != nullptr && members_[i]->running(); }
  const std::string& dir() const { return dir_; }
  // "tcp:127.0.0.1:C0,tcp:127.0.0.1:C1,tcp:127.0.0.1:C2": what a client is configured with.
  std::string remotes() const;
  // The client remote of member i alone: "tcp:127.0.0.1:Ci".
  std::string member_remote(int i) const;
  std::string member_unix_remote(int i) const { return members_[i]->unix_remote(); }
  std::string member_log_path(int i) const { return members_[i]->log_path(); }

 private:
  absl::Status Create();
  std::string RaftAddress(int i) const;

  OvsdbClusterOptions options_;
  std::string dir_;
  std::vector<int> raft_ports_;
  std::vector<int> client_ports_;
  std::vector<std::unique_ptr<OvsdbDaemon>> members_;
};

}  // namespace plasmanet::testing
