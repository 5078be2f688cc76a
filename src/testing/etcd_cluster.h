// A real etcd cluster for failover tests: three (or `size`) etcd members on loopback, formed
// with a static --initial-cluster, each with its own data directory and log in one fresh
// directory under /tmp.
//
//   EtcdCluster etcd;
//   ASSERT_THAT(etcd.Start(), IsOk());
//   auto store = store::OpenStore(etcd.store_url());   // every member's client URL
//   etcd.Kill(0);                                      // the others keep the quorum
//   etcd.Restart(0);                                   // back, caught up, with a leader
//
// Raft timing is 50 ms heartbeats and a 500 ms election timeout: failover within about a
// second, with room for a loaded 2-core machine. Not thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/time/time.h>

#include "testing/etcd_member.h"

namespace plasmanet::testing {

struct EtcdClusterOptions {
  int size = 3;
  absl::Duration heartbeat = absl::Milliseconds(50);
  absl::Duration election = absl::Milliseconds(500);
  int max_txn_ops = kTestEtcdMaxTxnOps;
};

class EtcdCluster {
 public:
  explicit EtcdCluster(EtcdClusterOptions options = {});
  EtcdCluster(const EtcdCluster&) = delete;
  EtcdCluster& operator=(const EtcdCluster&) = delete;
  // Kills every member and removes the directory.
  ~EtcdCluster();

  // The first call picks ports (new ones, up to three times, if another process takes one
  // first); every call starts the members that are not running and waits until each running
  // member follows a leader. kDeadlineExceeded with the logs otherwise.
  absl::Status Start(absl::Duration timeout = absl::Seconds(30));
  // Per member, valid after the first Start(); i runs from 0 to size() - 1.
  absl::Status Kill(int i);
  absl::Status Stop(int i);
  // Starts member i again on its data directory and waits until it follows a leader (which
  // needs a quorum of running members).
  absl::Status Restart(int i, absl::Duration timeout = absl::Seconds(30));

  // The index of the member that is the Raft leader now. Tests that kill a member pick one
  // of the others when a Raft election would blur what they time: etcd's new Raft leader
  // restarts every lease's countdown from its own election.
  absl::StatusOr<int> RaftLeader() const;
  int size() const { return options_.size; }
  bool running(int i) const { return members_[i]->running(); }
  const std::string& dir() const { return dir_; }
  std::string member_url(int i) const { return members_[i]->client_url(); }
  // Every member's client URL, comma-separated, in member order.
  std::string client_urls() const;
  std::string store_url() const { return "etcd:" + client_urls(); }
  // Each member's log tail, for failure messages.
  std::string LogTails() const;

 private:
  absl::Status Prepare();
  absl::Status StartMembers(absl::Duration timeout);

  EtcdClusterOptions options_;
  std::string dir_;
  std::vector<std::unique_ptr<EtcdMember>> members_;
};

}  // namespace plasmanet::testing
