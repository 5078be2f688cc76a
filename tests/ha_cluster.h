// HaCluster: PlasmaNET as several replicas run it, for tests and benchmarks: a 3-member etcd
// cluster, a 3-member clustered OVN Northbound (Raft), and N plasmanetd processes on them, each
// with --store etcd:<every member>, --ovn-nb <every NB member> and a short leader lease. With
// `proxied`, replica i reaches etcd only through a TcpProxy to member i % 3, which a test can
// cut to partition that replica from etcd.
//
//   HaCluster ha({.replicas = 3});
//   ASSERT_THAT(ha.Start(), IsOk());
//   absl::StatusOr<int> leader = ha.WaitForLeader(absl::Seconds(10));
//   ha.KillReplica(*leader);
//
// Not thread-safe, except Status() and Channel(), which the API's threads may call.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/time/time.h>
#include <grpcpp/grpcpp.h>

#include "plasmanet/v1/api.grpc.pb.h"
#include "plasmanetd_process.h"
#include "testing/etcd_cluster.h"
#include "testing/ovsdb_cluster.h"
#include "testing/tcp_proxy.h"

namespace plasmanet::testing {

struct HaClusterOptions {
  int replicas = 3;
  int leader_lease_ttl_seconds = 2;
  bool proxied = false;
  // Without OVN the replicas serve the API only (for API throughput on etcd).
  bool with_ovn = true;
  // etcd client deadline of each replica (the store URL's timeout=).
  std::string etcd_timeout = "2s";
};

class HaCluster {
 public:
  static constexpr char kAdminToken[] = "ha-admin-token-0123456789";
  static constexpr char kTenantToken[] = "ha-tenant-token-012345678";

  explicit HaCluster(HaClusterOptions options = {});
  ~HaCluster();
  HaCluster(const HaCluster&) = delete;
  HaCluster& operator=(const HaCluster&) = delete;

  // Starts etcd, NB (if with_ovn) and every replica.
  absl::Status Start();
  absl::Status StartReplica(int i);
  void KillReplica(int i);
  absl::Status StopReplica(int i);
  bool running(int i) const { return replicas_[i]->running(); }

  int replicas() const { return options_.replicas; }
  std::string address(int i) const { return replicas_[i]->address(); }
  std::string log_tail(int i) const { return replicas_[i]->LogTail(); }
  // A channel to replica i, made once per start of it.
  std::shared_ptr<grpc::Channel> Channel(int i);

  // StatusService.GetStatus of replica i, as the admin.
  absl::StatusOr<v1::ReplicaStatus> Status(int i);
  // Waits until a running replica other than `except` reports LEADER and every other running
  // replica names it as leader; its index.
  absl::StatusOr<int> WaitForLeader(absl::Duration timeout, std::optional<int> except = {});

  EtcdCluster& etcd() { return etcd_; }
  OvsdbCluster& nb() { return nb_; }
  TcpProxy& proxy(int i) { return *proxies_[i]; }
  const std::string& dir() const { return dir_; }
  // Every replica's log tail, for failure messages.
  std::string Logs() const;

 private:
  std::vector<std::string> Flags(int i) const;

  HaClusterOptions options_;
  std::string dir_;
  EtcdCluster etcd_;
  OvsdbCluster nb_;
  std::vector<std::unique_ptr<TcpProxy>> proxies_;
  std::vector<std::unique_ptr<PlasmanetdProcess>> replicas_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
};

}  // namespace plasmanet::testing
