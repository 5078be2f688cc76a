// Several plasmanetd replicas on a 3-member etcd cluster and a 3-member clustered OVN
// Northbound, as real processes: the leader killed in the middle of a write burst, etcd members
// lost and back, and a replica partitioned from etcd.

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ha_cluster.h"
#include "plasmanet/v1/api.grpc.pb.h"
#include "testing/nbctl.h"
#include "testing/status_matchers.h"
#include "testing/wait.h"

namespace plasmanet::testing {
namespace {

using ::testing::HasSubstr;

// What a call returned.
struct Outcome {
  grpc::StatusCode code;
  std::string message;
};

template <typename Stub, typename Method, typename Request, typename Response>
Outcome Call(Stub& stub, Method method, const Request& request, Response* response,
             absl::Duration deadline = absl::Seconds(10)) {
  grpc::ClientContext context;
  context.AddMetadata("authorization", absl::StrCat("Bearer ", HaCluster::kTenantToken));
  context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(deadline));
  grpc::Status status = ((*stub).*method)(&context, request, response);
  return {status.error_code(), status.error_message()};
}

class HaTest : public ::testing::Test {
 protected:
  // A VPC with one /22 subnet, made through replica `via`; the subnet's id.
  std::string MakeSubnet(HaCluster& ha, int via) {
    auto vpcs = v1::VpcService::NewStub(ha.Channel(via));
    auto subnets = v1::SubnetService::NewStub(ha.Channel(via));
    v1::CreateVpcRequest vpc_request;
    vpc_request.mutable_vpc()->add_cidr_blocks("10.0.0.0/16");
    v1::Vpc vpc;
    Outcome o = Call(vpcs, &v1::VpcService::Stub::CreateVpc, vpc_request, &vpc);
    EXPECT_EQ(o.code, grpc::StatusCode::OK) << o.message;
    v1::CreateSubnetRequest subnet_request;
    subnet_request.mutable_subnet()->set_vpc_id(vpc.metadata().id());
    subnet_request.mutable_subnet()->set_ipv4_cidr("10.0.0.0/22");
    v1::Subnet subnet;
    o = Call(subnets, &v1::SubnetService::Stub::CreateSubnet, subnet_request, &subnet);
    EXPECT_EQ(o.code, grpc::StatusCode::OK) << o.message;
    return subnet.metadata().id();
  }

  // Every port of the subnet, as replica `via` lists them.
  std::vector<v1::Port> ListPorts(HaCluster& ha, int via, const std::string& subnet_id) {
    auto ports = v1::PortService::NewStub(ha.Channel(via));
    std::vector<v1::Port> all;
    v1::ListPortsRequest request;
    request.set_subnet_id(subnet_id);
    request.set_page_size(1000);
    while (true) {
      v1::ListPortsResponse page;
      Outcome o = Call(ports, &v1::PortService::Stub::ListPorts, request, &page);
      EXPECT_EQ(o.code, grpc::StatusCode::OK) << o.message;
      if (o.code != grpc::StatusCode::OK) return all;
      all.insert(all.end(), page.ports().begin(), page.ports().end());
      if (page.next_page_token().empty()) return all;
      request.set_page_token(page.next_page_token());
    }
  }

  Outcome CreatePort(HaCluster& ha, int via, const std::string& subnet_id, v1::Port* port) {
    auto ports = v1::PortService::NewStub(ha.Channel(via));
    v1::CreatePortRequest request;
    request.mutable_port()->set_subnet_id(subnet_id);
    return Call(ports, &v1::PortService::Stub::CreatePort, request, port, absl::Seconds(5));
  }

  // The names of NB's logical switch ports (PlasmaNET names them after the port ids), with
  // how often each occurs.
  std::map<std::string, int> NbPorts(HaCluster& ha) {
    std::map<std::string, int> names;
    absl::StatusOr<std::string> out =
        RunNbctl(ha.nb().remotes(), {"--format=csv", "--data=bare", "--no-headings",
                                     "--columns=name", "list", "Logical_Switch_Port"});
    if (!out.ok()) return names;
    for (absl::string_view line : absl::StrSplit(*out, '\n', absl::SkipEmpty())) {
      ++names[std::string(line)];
    }
    return names;
  }
};

// The first scenario: a client writes through all three replicas at once and the
// leader is killed with -9 in the middle. Every acknowledged write must be in the store, NB
// must converge to the store without duplicates, another replica must lead within the lease
// TTL plus a margin, and no address may be handed out twice.
TEST_F(HaTest, KillingTheLeaderMidBurstLosesNoAcknowledgedWriteAndNbConverges) {
  HaCluster ha({.replicas = 3, .leader_lease_ttl_seconds = 2});
  ASSERT_THAT(ha.Start(), IsOk());
  absl::StatusOr<int> leader = ha.WaitForLeader(absl::Seconds(15));
  ASSERT_THAT(leader, IsOk());
  const std::string subnet_id = MakeSubnet(ha, (*leader + 1) % 3);

  // Two writers per replica; a writer whose replica dies moves on to the next one.
  std::mutex mu;
  std::map<std::string, std::string> acked;  // port id -> its address
  std::atomic<int> acks{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < 6; ++w) {
    writers.emplace_back([&, w] {
      int via = w % 3;
      while (!stop) {
        v1::Port port;
        Outcome o = CreatePort(ha, via, subnet_id, &port);
        if (o.code == grpc::StatusCode::OK) {
          std::lock_guard lock(mu);
          acked[port.metadata().id()] = port.fixed_ips(0);
          ++acks;
        } else if (o.code == grpc::StatusCode::UNAVAILABLE ||
                   o.code == grpc::StatusCode::DEADLINE_EXCEEDED) {
          via = (via + 1) % 3;  // that replica is gone: as a client with several endpoints
        }
        if (acks >= 360) stop = true;
      }
    });
  }
  ASSERT_TRUE(WaitFor([&] { return acks >= 120; }, absl::Seconds(60))) << ha.Logs();
  const absl::Time killed = absl::Now();
  ha.KillReplica(*leader);
  absl::StatusOr<int> next = ha.WaitForLeader(absl::Seconds(10), *leader);
  const absl::Duration takeover = absl::Now() - killed;
  ASSERT_THAT(next, IsOk());
  RecordProperty("takeover_ms", std::to_string(absl::ToInt64Milliseconds(takeover)));
  // The lease (2 s) runs out, a standby's next poll (250 ms) campaigns; the rest is margin for
  // this loaded machine.
  EXPECT_LT(takeover, absl::Seconds(2) + absl::Seconds(2)) << ha.Logs();
  for (std::thread& t : writers) t.join();

  // Every acknowledged port is in the store with the address it was given, and no address is
  // held twice.
  const std::vector<v1::Port> stored = ListPorts(ha, *next, subnet_id);
  std::map<std::string, std::string> by_id;
  std::set<std::string> addresses;
  for (const v1::Port& port : stored) {
    by_id[port.metadata().id()] = port.fixed_ips(0);
    EXPECT_TRUE(addresses.insert(port.fixed_ips(0)).second)
        << port.fixed_ips(0) << " is held by two ports";
  }
  for (const auto& [id, address] : acked) {
    ASSERT_TRUE(by_id.count(id)) << "acknowledged port " << id << " is missing";
    EXPECT_EQ(by_id[id], address);
  }

  // NB converges to the store: each port exactly once, nothing else of ours.
  std::map<std::string, int> nb;
  const bool converged = WaitFor(
      [&] {
        nb = NbPorts(ha);
        for (const auto& [id, address] : by_id) {
          if (nb[id] != 1) return false;
        }
        return true;
      },
      absl::Seconds(30), absl::Milliseconds(200));
  EXPECT_TRUE(converged) << "NB holds " << nb.size() << " switch ports for " << by_id.size()
                         << " ports\n"
                         << ha.Logs();
  for (const auto& [name, count] : nb) {
    EXPECT_EQ(count, 1) << name << " is in NB " << count << " times";
  }

  // The killed replica comes back as a standby: the new leader keeps leading.
  ASSERT_THAT(ha.StartReplica(*leader), IsOk());
  absl::StatusOr<int> after = ha.WaitForLeader(absl::Seconds(10));
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ(*after, *next);
  absl::StatusOr<v1::ReplicaStatus> back = ha.Status(*leader);
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->role(), v1::ReplicaStatus::STANDBY);
}

// One etcd member down: the quorum holds and nothing changes for clients. Two down: writes
// fail with UNAVAILABLE naming etcd, reads fail rather than answer stale, status says the store
// is unreachable, nothing half-written appears; with the members back, everything works again.
TEST_F(HaTest, EtcdQuorumLossFailsWritesClearlyAndRecovers) {
  HaCluster ha({.replicas = 2, .with_ovn = false});
  ASSERT_THAT(ha.Start(), IsOk());
  const std::string subnet_id = MakeSubnet(ha, 0);
  v1::Port port;

  ASSERT_THAT(ha.etcd().Kill(0), IsOk());
  for (int via = 0; via < 2; ++via) {
    Outcome o = CreatePort(ha, via, subnet_id, &port);
    EXPECT_EQ(o.code, grpc::StatusCode::OK)
        << "one member down, via replica " << via << ": " << o.message;
  }

  ASSERT_THAT(ha.etcd().Kill(1), IsOk());
  const std::vector<std::string> before = {};
  for (int via = 0; via < 2; ++via) {
    const absl::Time start = absl::Now();
    Outcome o = CreatePort(ha, via, subnet_id, &port);
    EXPECT_EQ(o.code, grpc::StatusCode::UNAVAILABLE) << o.message;
    EXPECT_THAT(o.message, HasSubstr("etcd"));
    EXPECT_LT(absl::Now() - start, absl::Seconds(5)) << "bounded by the store's deadline";
    v1::GetPortRequest get;
    get.set_id(port.metadata().id());
    v1::Port read;
    auto ports = v1::PortService::NewStub(ha.Channel(via));
    EXPECT_EQ(Call(ports, &v1::PortService::Stub::GetPort, get, &read).code,
              grpc::StatusCode::UNAVAILABLE)
        << "reads need the quorum too; none is served stale";
    absl::StatusOr<v1::ReplicaStatus> status = ha.Status(via);
    ASSERT_THAT(status, IsOk());
    EXPECT_FALSE(status->store().reachable());
    EXPECT_THAT(status->store().error(), HasSubstr("etcd"));
  }

  ASSERT_THAT(ha.etcd().Restart(0), IsOk());
  ASSERT_THAT(ha.etcd().Restart(1), IsOk());
  // Back: writes and reads through both replicas; the refused creates left nothing behind.
  ASSERT_TRUE(
      WaitFor([&] { return CreatePort(ha, 0, subnet_id, &port).code == grpc::StatusCode::OK; },
              absl::Seconds(20)))
      << ha.Logs();
  EXPECT_EQ(CreatePort(ha, 1, subnet_id, &port).code, grpc::StatusCode::OK);
  EXPECT_EQ(ListPorts(ha, 1, subnet_id).size(), 4u) << "two before, none while down, two after";
}

// A leader partitioned from etcd (its connection silently dropped, not reset) stops leading
// before its lease can run out, another replica takes over, and once the partition heals the
// old leader stays a standby: never two leaders.
TEST_F(HaTest, AReplicaPartitionedFromEtcdStopsLeading) {
  HaCluster ha({.replicas = 2, .leader_lease_ttl_seconds = 3, .proxied = true});
  ASSERT_THAT(ha.Start(), IsOk());
  absl::StatusOr<int> leader = ha.WaitForLeader(absl::Seconds(15));
  ASSERT_THAT(leader, IsOk());
  const int other = 1 - *leader;

  const absl::Time cut = absl::Now();
  ha.proxy(*leader).Cut();
  // The partitioned replica still answers the API; it must say it no longer leads (and have
  // stopped its reconciler) before the other one is elected.
  absl::Time stood_down = absl::InfiniteFuture();
  absl::Time elected = absl::InfiniteFuture();
  // Both are asked in parallel, each call's send time noted: the partitioned replica answers
  // late (its status probes the unreachable store after reporting its role).
  std::atomic<bool> done{false};
  auto watch = [&](int replica, absl::Time& seen, auto&& reached) {
    return std::thread([&, replica, reached] {
      while (!done && seen == absl::InfiniteFuture()) {
        const absl::Time asked = absl::Now();
        absl::StatusOr<v1::ReplicaStatus> status = ha.Status(replica);
        if (status.ok() && reached(*status)) seen = asked;
        absl::SleepFor(absl::Milliseconds(20));
      }
    });
  };
  std::thread old_watch = watch(*leader, stood_down, [](const v1::ReplicaStatus& s) {
    return s.role() != v1::ReplicaStatus::LEADER && !s.has_ovn();
  });
  std::thread new_watch = watch(other, elected, [](const v1::ReplicaStatus& s) {
    return s.role() == v1::ReplicaStatus::LEADER;
  });
  const bool both = WaitFor(
      [&] { return stood_down != absl::InfiniteFuture() && elected != absl::InfiniteFuture(); },
      absl::Seconds(15));
  done = true;
  old_watch.join();
  new_watch.join();
  ASSERT_TRUE(both) << ha.Logs();
  EXPECT_LE(stood_down, elected) << "the old leader must stop first";
  EXPECT_LT(stood_down - cut, absl::Seconds(3)) << "within its lease";
  RecordProperty("stood_down_ms", std::to_string(absl::ToInt64Milliseconds(stood_down - cut)));
  RecordProperty("elected_ms", std::to_string(absl::ToInt64Milliseconds(elected - cut)));

  ha.proxy(*leader).Heal();
  // Healed: it learns who leads and stays a standby.
  ASSERT_TRUE(WaitFor(
      [&] {
        absl::StatusOr<v1::ReplicaStatus> status = ha.Status(*leader);
        return status.ok() && status->role() == v1::ReplicaStatus::STANDBY &&
               status->leader() == absl::StrCat("replica-", other);
      },
      absl::Seconds(15)))
      << ha.Logs();
  absl::StatusOr<int> now = ha.WaitForLeader(absl::Seconds(5));
  ASSERT_THAT(now, IsOk());
  EXPECT_EQ(*now, other);
}

}  // namespace
}  // namespace plasmanet::testing
