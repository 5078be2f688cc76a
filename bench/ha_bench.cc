// Several plasmanetd replicas on etcd (issue #10): what the etcd store costs the API, what more
// replicas buy, and how long OVN goes unprogrammed when the leader dies.
//
//   build/bench/ha_bench [--ports 5000] [--clients 32] [--trials 10] [--lease-ttl 2]
//                        [--json FILE]
//
// API throughput, without OVN (the figure is API + store), in one run, each on fresh processes
// in temp dirs: 10 VPCs of 10 subnets (not timed), then --ports CreatePort calls spread
// round-robin over the 100 subnets by --clients clients, each with a channel (an HTTP/2
// connection) of its own, on
//   (i)   one plasmanetd on the embedded SQLite store (as `api_bench --without-ovn`);
//   (ii)  one plasmanetd on a 3-member etcd cluster;
//   (iii) three plasmanetd on a 3-member etcd cluster, client c talking to replica c % 3.
// Reported: ports/s, per-call latency p50/p99/p999, errors, the ratios (ii)/(i) and
// (iii)/(ii), and on etcd the Txn and Range calls its members answered per port (read from
// their /metrics: a transaction whose compare failed is retried, so more than one Txn per port
// means writers collided).
//
// Failover, --trials times on one cluster (3-member etcd, 3-member clustered NB, 3 replicas,
// lease TTL --lease-ttl): wait for a leader whose reconciler writes NB (a port created through
// it appears there), wait a random 0 to TTL, note t0, kill -9 the leader, create a port at once
// through a surviving replica (the API works on standbys), and watch NB with an OVSDB monitor held
// by this process.
//   new leader elected: the first GetStatus answer (each survivor polled every 10 ms) saying
//                       LEADER, - t0;
//   NB claimed:         NB_Global external_ids:plasmanet:leader-epoch above the old term's, - t0;
//   NB writes resume:   that port's Logical_Switch_Port in NB, - t0;
//   switch ports deleted from NB: no port is ever deleted through the API here, so any that
//                       leaves NB was rewritten by a leader (expected: none).
// "elected" is when an answer arrived, so it may trail "NB claimed" by up to a poll. The killed
// replica is restarted (it rejoins as standby) before the next trial. Every wait has
// a deadline; a failed trial prints why and the replicas' log tails, and the exit status is 1.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <CLI/CLI.hpp>
#include <absl/strings/match.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>
#include <absl/strings/str_split.h>
#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <unistd.h>

#include "common/logging.h"
#include "ha_cluster.h"
#include "ovsdb/client.h"
#include "plasmanet/v1/api.grpc.pb.h"
#include "plasmanetd_process.h"
#include "reconcile/nb_fence.h"
#include "testing/process.h"

namespace plasmanet {
namespace {

namespace v1 = ::plasmanet::v1;
using Clock = std::chrono::steady_clock;
using testing::HaCluster;

constexpr char kSqliteToken[] = "bench-token-0123456789";
constexpr int kVpcs = 10;
constexpr int kSubnetsPerVpc = 10;

// Thrown by Die, caught in main: unwinding runs the destructors that stop the etcd, NB and
// plasmanetd processes started so far, which std::exit would leave running.
struct Fatal {
  std::string what;
};

[[noreturn]] void Die(const std::string& what) { throw Fatal{what}; }

void Check(const absl::Status& status, const std::string& what) {
  if (!status.ok()) Die(absl::StrCat(what, ": ", status.ToString()));
}

double Millis(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t i = std::min(sorted.size() - 1, static_cast<size_t>(p * sorted.size()));
  return sorted[i];
}

// The middle value, or the mean of the two middle ones.
double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

std::shared_ptr<grpc::Channel> Connect(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection of its own
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

template <typename Stub, typename Method, typename Request, typename Response>
grpc::Status Call(Stub& stub, Method method, const Request& request, Response* response,
                  const std::string& token, std::chrono::milliseconds deadline) {
  grpc::ClientContext context;
  context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
  context.set_deadline(std::chrono::system_clock::now() + deadline);
  return (stub.*method)(&context, request, response);
}

// 10 VPCs of 10 subnets, made through `address`; the subnets' ids.
std::vector<std::string> MakeSubnets(const std::string& address, const std::string& token) {
  std::shared_ptr<grpc::Channel> channel = Connect(address);
  auto vpcs = v1::VpcService::NewStub(channel);
  auto subnets = v1::SubnetService::NewStub(channel);
  std::vector<std::string> ids;
  for (int v = 0; v < kVpcs; ++v) {
    v1::CreateVpcRequest vr;
    vr.mutable_vpc()->add_cidr_blocks(absl::StrCat("10.", v, ".0.0/16"));
    v1::Vpc vpc;
    grpc::Status s =
        Call(*vpcs, &v1::VpcService::Stub::CreateVpc, vr, &vpc, token, std::chrono::seconds(30));
    if (!s.ok()) Die("CreateVpc: " + s.error_message());
    for (int n = 0; n < kSubnetsPerVpc; ++n) {
      v1::CreateSubnetRequest sr;
      sr.mutable_subnet()->set_vpc_id(vpc.metadata().id());
      sr.mutable_subnet()->set_ipv4_cidr(absl::StrCat("10.", v, ".", n * 4, ".0/22"));
      v1::Subnet subnet;
      s = Call(*subnets, &v1::SubnetService::Stub::CreateSubnet, sr, &subnet, token,
               std::chrono::seconds(30));
      if (!s.ok()) Die("CreateSubnet: " + s.error_message());
      ids.push_back(subnet.metadata().id());
    }
  }
  return ids;
}

struct ApiResult {
  std::string name;
  double seconds = 0;
  std::vector<double> latencies_ms;  // sorted
  int errors = 0;
  std::string first_error;
  // etcd KV calls the replicas made while the ports were created (none on SQLite): a failed
  // compare is retried, so transactions above one per port are conflicts between writers.
  std::optional<double> txns_per_port;
  std::optional<double> ranges_per_port;
};

// The body of GET http://127.0.0.1:<port>/metrics (HTTP/1.0: the server closes when done).
absl::StatusOr<std::string> FetchMetrics(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
    const std::string request = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buffer[65536];
      for (ssize_t n; (n = read(fd, buffer, sizeof(buffer))) > 0;) response.append(buffer, n);
    }
  }
  close(fd);
  const size_t body = response.find("\r\n\r\n");
  if (!absl::StartsWith(response, "HTTP/1.") || body == std::string::npos) {
    return absl::UnavailableError(absl::StrCat("no metrics from 127.0.0.1:", port));
  }
  return response.substr(body + 4);
}

// KV calls of `method` ("Txn", "Range") every member of `etcd` has answered, whatever their
// outcome; each client call is answered by the one member it reached.
int64_t EtcdCalls(testing::EtcdCluster& etcd, absl::string_view method) {
  const std::string label = absl::StrCat("grpc_method=\"", method, "\"");
  int64_t total = 0;
  for (int i = 0; i < etcd.size(); ++i) {
    const std::string url = etcd.member_url(i);
    absl::StatusOr<std::string> metrics = FetchMetrics(std::stoi(url.substr(url.rfind(':') + 1)));
    Check(metrics.status(), "etcd metrics");
    for (absl::string_view line : absl::StrSplit(*metrics, '\n')) {
      if (!absl::StartsWith(line, "grpc_server_handled_total{") ||
          !absl::StrContains(line, label) ||
          !absl::StrContains(line, "grpc_service=\"etcdserverpb.KV\"")) {
        continue;
      }
      double value = 0;
      if (absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &value)) total += value;
    }
  }
  return total;
}

// `ports` creates by `clients` threads, client c on replica addresses[c % size].
ApiResult DrivePorts(std::string name, const std::vector<std::string>& addresses,
                     const std::string& token, int ports, int clients) {
  const std::vector<std::string> subnet_ids = MakeSubnets(addresses[0], token);
  std::atomic<int> next{0};
  std::atomic<int> errors{0};
  std::mutex mu;
  std::string first_error;
  std::vector<std::vector<double>> latencies(clients);
  std::vector<std::thread> threads;
  const Clock::time_point start = Clock::now();
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto stub = v1::PortService::NewStub(Connect(addresses[c % addresses.size()]));
      for (int i = next++; i < ports; i = next++) {
        v1::CreatePortRequest request;
        request.mutable_port()->set_subnet_id(subnet_ids[i % subnet_ids.size()]);
        request.mutable_port()->set_device_id(absl::StrCat("vm-", i));
        v1::Port port;
        const Clock::time_point t0 = Clock::now();
        const grpc::Status status = Call(*stub, &v1::PortService::Stub::CreatePort, request, &port,
                                         token, std::chrono::seconds(60));
        latencies[c].push_back(Millis(Clock::now() - t0));
        if (!status.ok()) {
          ++errors;
          std::lock_guard lock(mu);
          if (first_error.empty()) {
            first_error = absl::StrCat(status.error_code(), " ", status.error_message());
          }
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  ApiResult result{.name = std::move(name),
                   .seconds = std::chrono::duration<double>(Clock::now() - start).count(),
                   .errors = errors,
                   .first_error = first_error};
  for (const auto& l : latencies) {
    result.latencies_ms.insert(result.latencies_ms.end(), l.begin(), l.end());
  }
  std::sort(result.latencies_ms.begin(), result.latencies_ms.end());
  return result;
}

ApiResult RunSqlite(int ports, int clients) {
  absl::StatusOr<std::string> dir = testing::MakeTempDir("ha-bench-sqlite");
  Check(dir.status(), "temp dir");
  std::ofstream(*dir + "/tokens") << kSqliteToken << " bench net member\n";
  ApiResult result;
  {
    testing::PlasmanetdProcess daemon(*dir + "/plasmanetd.log");
    Check(daemon.Start({"--store", "sqlite:" + *dir + "/plasmanet.db", "--tokens", *dir + "/tokens",
                        "--audit-log", *dir + "/audit.log", "--quota-ports",
                        std::to_string(std::max(ports, 20000))}),
          "plasmanetd on SQLite");
    result = DrivePorts("SQLite, 1 replica", {daemon.address()}, kSqliteToken, ports, clients);
    Check(daemon.Stop(), "stop plasmanetd");
  }
  std::filesystem::remove_all(*dir);
  return result;
}

ApiResult RunEtcd(int replicas, int ports, int clients) {
  // The store's deadline as plasmanetd's default (5 s), not the harness's 2 s: 32 clients on
  // two cores queue, and a slow call is a latency to report, not an error.
  HaCluster ha({.replicas = replicas, .with_ovn = false, .etcd_timeout = "5s"});
  Check(ha.Start(), absl::StrCat(replicas, " replica(s) on etcd"));
  std::vector<std::string> addresses;
  for (int i = 0; i < replicas; ++i) addresses.push_back(ha.address(i));
  // DrivePorts makes its VPCs and subnets first: their calls are counted too, about 200
  // transactions, which the default 5,000 ports make negligible.
  const int64_t txns = EtcdCalls(ha.etcd(), "Txn");
  const int64_t ranges = EtcdCalls(ha.etcd(), "Range");
  ApiResult result =
      DrivePorts(absl::StrCat("etcd, ", replicas, replicas == 1 ? " replica" : " replicas"),
                 addresses, HaCluster::kTenantToken, ports, clients);
  result.txns_per_port = static_cast<double>(EtcdCalls(ha.etcd(), "Txn") - txns) / ports;
  result.ranges_per_port = static_cast<double>(EtcdCalls(ha.etcd(), "Range") - ranges) / ports;
  return result;
}

// An OVSDB monitor on NB that notes when each logical switch port first appeared and when each
// leader epoch was first claimed (NB_Global external_ids:plasmanet:leader-epoch).
class NbWatch : public ovsdb::ClientListener {
 public:
  explicit NbWatch(const std::string& remotes) {
    absl::StatusOr<std::vector<ovsdb::Remote>> parsed = ovsdb::ParseRemoteList(remotes);
    Check(parsed.status(), "NB remotes");
    // On the Raft leader (the client's default), where a commit is visible first.
    client_ = std::make_unique<ovsdb::Client>(
        ovsdb::ClientOptions{
            .remotes = *parsed,
            .monitored = {{"Logical_Switch_Port", {"name"}}, {"NB_Global", {"external_ids"}}}},
        this);
    client_->Start();
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, std::chrono::seconds(30), [&] { return client_->synced(); })) {
      Die("no NB session: " + client_->last_error().ToString());
    }
  }
  ~NbWatch() override { client_->Stop(); }

  // When a switch port named `name` was first seen, or nullopt at `deadline`.
  std::optional<Clock::time_point> WaitForPort(const std::string& name,
                                               Clock::time_point deadline) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_until(lock, deadline, [&] { return ports_.count(name) > 0; })) {
      return std::nullopt;
    }
    return ports_[name];
  }

  // When NB first held a leader epoch above `epoch`, or nullopt at `deadline`.
  std::optional<Clock::time_point> WaitForEpochAbove(int64_t epoch, Clock::time_point deadline) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_until(lock, deadline,
                        [&] { return epochs_.upper_bound(epoch) != epochs_.end(); })) {
      return std::nullopt;
    }
    return epochs_.upper_bound(epoch)->second;
  }

  // How many times a switch port has left NB since the watch started. PlasmaNET deletes none
  // here (no port is deleted through the API), so any is a leader rewriting rows it had.
  int64_t deletions() {
    std::lock_guard lock(mu_);
    return deletions_;
  }

  void OnSynced(bool) override { Scan(); }
  void OnRowsChanged(const std::vector<ovsdb::RowChange>&) override { Scan(); }
  void OnDisconnected(const absl::Status&) override {}

 private:
  // Runs on the client's I/O thread right after the replica took the change, so the time noted
  // is when this process learnt it. NB holds a few dozen ports here: a full scan is cheap.
  void Scan() {
    const Clock::time_point now = Clock::now();
    std::vector<std::string> names;
    int64_t epoch = 0;
    client_->ReadReplica([&](const ovsdb::Replica& replica) {
      if (const ovsdb::TableReplica* lsps = replica.FindTable("Logical_Switch_Port")) {
        for (const auto& [uuid, row] : lsps->rows()) {
          names.push_back(lsps->Get(row, "name").AsString());
        }
      }
      if (const ovsdb::TableReplica* global = replica.FindTable("NB_Global")) {
        for (const auto& [uuid, row] : global->rows()) {
          const std::string* value =
              global->Get(row, "external_ids").Lookup(reconcile::kLeaderEpochKey);
          if (value != nullptr) (void)absl::SimpleAtoi(*value, &epoch);
        }
      }
    });
    {
      std::lock_guard lock(mu_);
      std::set<std::string> present;
      for (std::string& name : names) {
        present.insert(name);
        ports_.emplace(std::move(name), now);
      }
      for (const std::string& name : present_) {
        if (!present.contains(name)) ++deletions_;
      }
      present_ = std::move(present);
      if (epoch > 0) epochs_.emplace(epoch, now);
    }
    cv_.notify_all();
  }

  std::unique_ptr<ovsdb::Client> client_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Clock::time_point> ports_;  // first seen
  std::set<std::string> present_;                   // in NB now
  int64_t deletions_ = 0;                           // switch ports seen to go
  std::map<int64_t, Clock::time_point> epochs_;     // first seen
};

// GetStatus as the admin, with a short deadline; nullopt if the call fails.
std::optional<v1::ReplicaStatus> GetStatus(v1::StatusService::Stub& stub) {
  v1::ReplicaStatus status;
  const grpc::Status s = Call(stub, &v1::StatusService::Stub::GetStatus, v1::GetStatusRequest(),
                              &status, HaCluster::kAdminToken, std::chrono::milliseconds(1000));
  if (!s.ok()) return std::nullopt;
  return status;
}

// Polls a replica's GetStatus every 10 ms on a thread of its own and notes the first answer
// saying it leads.
class LeaderPoller {
 public:
  explicit LeaderPoller(const std::string& address)
      : stub_(v1::StatusService::NewStub(Connect(address))) {
    thread_ = std::thread([this] { Run(); });
  }
  ~LeaderPoller() {
    stop_ = true;
    thread_.join();
  }
  std::optional<Clock::time_point> leader_since() const {
    std::lock_guard lock(mu_);
    return leader_since_;
  }

 private:
  void Run() {
    while (!stop_) {
      std::optional<v1::ReplicaStatus> status = GetStatus(*stub_);
      const Clock::time_point answered = Clock::now();
      if (status.has_value() && status->role() == v1::ReplicaStatus::LEADER) {
        std::lock_guard lock(mu_);
        leader_since_ = answered;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  std::unique_ptr<v1::StatusService::Stub> stub_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::optional<Clock::time_point> leader_since_;
  std::thread thread_;
};

struct Trial {
  bool measured = false;
  bool restored = true;  // the killed replica is back and the cluster settled
  std::string why;       // if not measured or not restored
  std::string logs;      // the replicas' log tails when the measurement failed
  int killed = -1;
  int elected = -1;
  double elected_ms = 0;
  double claimed_ms = 0;
  double resumed_ms = 0;
  double create_ms = 0;      // the CreatePort through a survivor, right after the kill
  int64_t nb_deletions = 0;  // switch ports that left NB during the trial (expected: none)
};

class FailoverBench {
 public:
  explicit FailoverBench(int lease_ttl_seconds)
      : lease_ttl_(absl::Seconds(lease_ttl_seconds)),
        ha_({.replicas = 3, .leader_lease_ttl_seconds = lease_ttl_seconds}) {}

  // Starts the cluster and makes a subnet; false with `why` set if that fails.
  bool Setup(std::string& why) {
    if (absl::Status s = ha_.Start(); !s.ok()) {
      why = s.ToString();
      return false;
    }
    watch_ = std::make_unique<NbWatch>(ha_.nb().remotes());
    absl::StatusOr<int> leader = ha_.WaitForLeader(absl::Seconds(30));
    if (!leader.ok()) {
      why = leader.status().ToString();
      return false;
    }
    auto vpcs = v1::VpcService::NewStub(ha_.Channel(*leader));
    auto subnets = v1::SubnetService::NewStub(ha_.Channel(*leader));
    v1::CreateVpcRequest vr;
    vr.mutable_vpc()->add_cidr_blocks("10.0.0.0/16");
    v1::Vpc vpc;
    grpc::Status s = Call(*vpcs, &v1::VpcService::Stub::CreateVpc, vr, &vpc,
                          HaCluster::kTenantToken, std::chrono::seconds(10));
    v1::CreateSubnetRequest sr;
    sr.mutable_subnet()->set_vpc_id(vpc.metadata().id());
    sr.mutable_subnet()->set_ipv4_cidr("10.0.0.0/22");
    v1::Subnet subnet;
    if (s.ok()) {
      s = Call(*subnets, &v1::SubnetService::Stub::CreateSubnet, sr, &subnet,
               HaCluster::kTenantToken, std::chrono::seconds(10));
    }
    if (!s.ok()) {
      why = "VPC and subnet: " + s.error_message();
      return false;
    }
    subnet_id_ = subnet.metadata().id();
    return true;
  }

  // One kill and the restart after it. The killed replica is restarted even when the
  // measurement failed, so that the next trial starts from three replicas again.
  Trial Run() {
    Trial trial;
    const int64_t deletions = watch_->deletions();
    trial.measured = Failover(trial);
    if (!trial.measured) trial.logs = ha_.Logs();
    if (trial.killed < 0 || ha_.running(trial.killed)) return trial;
    trial.restored = false;
    if (absl::Status s = ha_.StartReplica(trial.killed); !s.ok()) {
      trial.why += "; restarting the killed replica: " + s.ToString();
      return trial;
    }
    // Back as a standby: every replica names one leader.
    absl::StatusOr<int> settled = ha_.WaitForLeader(absl::Seconds(20));
    if (!settled.ok()) {
      trial.why += "; after the restart: " + std::string(settled.status().message());
      return trial;
    }
    trial.restored = true;
    trial.nb_deletions = watch_->deletions() - deletions;
    return trial;
  }

  std::string Logs() const { return ha_.Logs(); }

 private:
  // Creates a port through replica `via`, trying the other running ones while the call fails
  // until `deadline`; its id, or "" with `why` set.
  std::string CreatePort(int via, Clock::time_point deadline, std::string& why) {
    while (Clock::now() < deadline) {
      for (int k = 0; k < ha_.replicas(); ++k) {
        const int i = (via + k) % ha_.replicas();
        if (!ha_.running(i)) continue;
        auto ports = v1::PortService::NewStub(ha_.Channel(i));
        v1::CreatePortRequest request;
        request.mutable_port()->set_subnet_id(subnet_id_);
        v1::Port port;
        const grpc::Status s = Call(*ports, &v1::PortService::Stub::CreatePort, request, &port,
                                    HaCluster::kTenantToken, std::chrono::seconds(5));
        if (s.ok()) return port.metadata().id();
        why = absl::StrCat("CreatePort via replica ", i, ": ", s.error_code(), " ",
                           s.error_message());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return "";
  }

  // Kills a settled leader and measures until NB writes resume; false with trial.why set.
  bool Failover(Trial& trial) {
    absl::StatusOr<int> leader = ha_.WaitForLeader(absl::Seconds(20));
    if (!leader.ok()) {
      trial.why = "before the kill: " + leader.status().ToString();
      return false;
    }
    // Settled means its reconciler writes NB: a port created through it appears there.
    const Clock::time_point warm_deadline = Clock::now() + std::chrono::seconds(20);
    const std::string warm = CreatePort(*leader, warm_deadline, trial.why);
    if (warm.empty() || !watch_->WaitForPort(warm, warm_deadline)) {
      trial.why = absl::StrCat("the leader (replica ", *leader, ") did not program a port",
                               " into NB within 20 s ", trial.why);
      return false;
    }
    absl::StatusOr<v1::ReplicaStatus> status = ha_.Status(*leader);
    if (!status.ok()) {
      trial.why = "leader status: " + status.status().ToString();
      return false;
    }
    const int64_t old_epoch = status->leader_epoch();
    // The leader renews its lease every TTL/3, and the time until another replica takes over
    // depends on when in that cycle it dies. A random pause of up to three cycles puts the kill
    // anywhere in one; otherwise the fixed steps of a trial would fix the phase.
    std::this_thread::sleep_for(std::chrono::milliseconds(
        std::uniform_int_distribution<int>(0, absl::ToInt64Milliseconds(lease_ttl_))(random_)));

    std::vector<std::unique_ptr<LeaderPoller>> pollers(ha_.replicas());
    for (int i = 0; i < ha_.replicas(); ++i) {
      if (i != *leader) pollers[i] = std::make_unique<LeaderPoller>(ha_.address(i));
    }
    const Clock::time_point t0 = Clock::now();
    ha_.KillReplica(*leader);
    trial.killed = *leader;
    const int survivor = (*leader + 1) % ha_.replicas();
    // The lease must run out first: allow it, the standbys' poll, and a loaded machine.
    const Clock::time_point deadline =
        t0 + absl::ToChronoMilliseconds(lease_ttl_ + absl::Seconds(20));
    const std::string port = CreatePort(survivor, deadline, trial.why);
    trial.create_ms = Millis(Clock::now() - t0);
    if (port.empty()) {
      trial.why = "no port could be created after the kill: " + trial.why;
      return false;
    }
    const std::optional<Clock::time_point> resumed = watch_->WaitForPort(port, deadline);
    const std::optional<Clock::time_point> claimed = watch_->WaitForEpochAbove(old_epoch, deadline);
    // NB may show the new term before a poller's next answer does.
    auto elected = [&] {
      return std::any_of(pollers.begin(), pollers.end(), [](const auto& p) {
        return p != nullptr && p->leader_since().has_value();
      });
    };
    while (!elected() && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return Finish(trial, t0, pollers, resumed, claimed);
  }

  bool Finish(Trial& trial, Clock::time_point t0,
              std::vector<std::unique_ptr<LeaderPoller>>& pollers,
              std::optional<Clock::time_point> resumed, std::optional<Clock::time_point> claimed) {
    std::optional<Clock::time_point> elected;
    for (int i = 0; i < ha_.replicas(); ++i) {
      if (pollers[i] == nullptr) continue;
      const std::optional<Clock::time_point> since = pollers[i]->leader_since();
      if (since && (!elected || *since < *elected)) {
        elected = since;
        trial.elected = i;
      }
    }
    pollers.clear();
    if (!elected) {
      trial.why = "no survivor reported LEADER";
      return false;
    }
    if (!claimed) {
      trial.why = "NB_Global's leader epoch never rose";
      return false;
    }
    if (!resumed) {
      trial.why = "the port created after the kill never reached NB";
      return false;
    }
    trial.why.clear();  // a create that failed before one succeeded is no failure
    trial.elected_ms = Millis(*elected - t0);
    trial.claimed_ms = Millis(*claimed - t0);
    trial.resumed_ms = Millis(*resumed - t0);
    return true;
  }

  const absl::Duration lease_ttl_;
  HaCluster ha_;
  std::unique_ptr<NbWatch> watch_;
  std::string subnet_id_;
  std::mt19937 random_{std::random_device()()};
};

nlohmann::json ApiRow(const ApiResult& r, int ports) {
  nlohmann::json row = {{"name", r.name},
                        {"ports_per_s", ports / r.seconds},
                        {"p50_ms", Percentile(r.latencies_ms, 0.50)},
                        {"p99_ms", Percentile(r.latencies_ms, 0.99)},
                        {"p999_ms", Percentile(r.latencies_ms, 0.999)},
                        {"errors", r.errors}};
  if (r.txns_per_port) row["etcd_txns_per_port"] = *r.txns_per_port;
  if (r.ranges_per_port) row["etcd_ranges_per_port"] = *r.ranges_per_port;
  return row;
}

void PrintApi(const ApiResult& r, int ports) {
  const std::string txns = r.txns_per_port ? absl::StrFormat("%.2f", *r.txns_per_port) : "-";
  const std::string ranges = r.ranges_per_port ? absl::StrFormat("%.2f", *r.ranges_per_port) : "-";
  std::printf("%-20s %10.0f %9.2f %9.2f %9.2f %7d %10s %11s\n", r.name.c_str(), ports / r.seconds,
              Percentile(r.latencies_ms, 0.50), Percentile(r.latencies_ms, 0.99),
              Percentile(r.latencies_ms, 0.999), r.errors, txns.c_str(), ranges.c_str());
  if (!r.first_error.empty()) std::printf("  first error: %s\n", r.first_error.c_str());
  std::fflush(stdout);
}

nlohmann::json RunApiBench(int ports, int clients) {
  std::printf(
      "API without OVN: %d ports in %d subnets of %d VPCs, %d clients (a connection each)\n", ports,
      kVpcs * kSubnetsPerVpc, kVpcs, clients);
  std::printf("%-20s %10s %9s %9s %9s %7s %10s %11s\n", "store, replicas", "ports/s", "p50 ms",
              "p99 ms", "p999 ms", "errors", "etcd txn/p", "etcd range/p");
  std::fflush(stdout);
  const ApiResult sqlite = RunSqlite(ports, clients);
  PrintApi(sqlite, ports);
  const ApiResult one = RunEtcd(1, ports, clients);
  PrintApi(one, ports);
  const ApiResult three = RunEtcd(3, ports, clients);
  PrintApi(three, ports);
  // Rates divide as they are: the same ports over each run's time.
  const double etcd_over_sqlite = sqlite.seconds / one.seconds;
  const double three_over_one = one.seconds / three.seconds;
  std::printf("ports/s: etcd 1 replica / SQLite %.2f, etcd 3 replicas / 1 replica %.2f\n\n",
              etcd_over_sqlite, three_over_one);
  // The ratios are not repeated in the JSON: run_suite.py derives them (RATIOS).
  return {{"api", {ApiRow(sqlite, ports), ApiRow(one, ports), ApiRow(three, ports)}}};
}

nlohmann::json Summary(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  if (values.empty()) return {{"p50", 0}, {"min", 0}, {"max", 0}};
  return {{"p50", Median(values)}, {"min", values.front()}, {"max", values.back()}};
}

// Failover trials; the JSON of their figures, and how many failed.
nlohmann::json RunFailoverBench(int trials, int lease_ttl_seconds, int& failed) {
  std::printf(
      "Failover: 3 replicas on a 3-member etcd and a 3-member clustered NB, lease TTL %d s, %d "
      "trials; ms after kill -9 of the leader\n",
      lease_ttl_seconds, trials);
  std::fflush(stdout);
  FailoverBench bench(lease_ttl_seconds);
  std::string why;
  if (!bench.Setup(why)) {
    std::printf("setup failed: %s\n%s", why.c_str(), bench.Logs().c_str());
    failed = trials;
    return {{"failed", trials}};
  }
  std::vector<double> elected, claimed, resumed, created;
  int64_t deleted = 0;
  nlohmann::json samples = nlohmann::json::array();
  failed = 0;
  for (int t = 1; t <= trials; ++t) {
    const Trial trial = bench.Run();
    if (!trial.measured) {
      std::printf("trial %d FAILED: %s\n%s", t, trial.why.c_str(), trial.logs.c_str());
      ++failed;
    } else {
      std::printf(
          "trial %2d: replica %d killed, replica %d elected %6.0f, NB claimed %6.0f, NB "
          "writes resume %6.0f; the create through a survivor returned after %4.0f; switch "
          "ports deleted from NB %lld\n",
          t, trial.killed, trial.elected, trial.elected_ms, trial.claimed_ms, trial.resumed_ms,
          trial.create_ms, static_cast<long long>(trial.nb_deletions));
    }
    if (!trial.restored) {
      // The message carries the log tails.
      std::printf("trial %d: the cluster did not settle again, no more trials: %s\n", t,
                  trial.why.c_str());
      if (trial.measured) ++failed;
      failed += trials - t;
      break;
    }
    std::fflush(stdout);
    if (!trial.measured) continue;
    elected.push_back(trial.elected_ms);
    claimed.push_back(trial.claimed_ms);
    resumed.push_back(trial.resumed_ms);
    created.push_back(trial.create_ms);
    samples.push_back({{"killed", trial.killed},
                       {"elected", trial.elected},
                       {"new_leader_elected_ms", trial.elected_ms},
                       {"nb_claimed_ms", trial.claimed_ms},
                       {"nb_writes_resume_ms", trial.resumed_ms},
                       {"create_after_kill_ms", trial.create_ms},
                       {"nb_switch_ports_deleted", trial.nb_deletions}});
    deleted += trial.nb_deletions;
  }
  std::printf("%-28s %8s %8s %8s   (%zu trials measured, %d failed)\n", "ms after the kill", "p50",
              "min", "max", resumed.size(), failed);
  std::printf("switch ports deleted from NB over all trials: %lld\n",
              static_cast<long long>(deleted));
  nlohmann::json json = {
      {"failed", failed}, {"nb_switch_ports_deleted", deleted}, {"samples", samples}};
  for (const auto& [label, key, values] :
       {std::tuple{"new leader elected", "new_leader_elected_ms", &elected},
        std::tuple{"NB claimed by it", "nb_claimed_ms", &claimed},
        std::tuple{"NB writes resume", "nb_writes_resume_ms", &resumed},
        std::tuple{"create through a survivor", "create_after_kill_ms", &created}}) {
    json[key] = Summary(*values);
    if (values->empty()) continue;
    std::printf("%-28s %8.0f %8.0f %8.0f\n", label, json[key]["p50"].get<double>(),
                json[key]["min"].get<double>(), json[key]["max"].get<double>());
  }
  std::fflush(stdout);
  return json;
}

}  // namespace
}  // namespace plasmanet

int main(int argc, char** argv) {
  using namespace plasmanet;
  int ports = 5000;
  int clients = 32;
  int trials = 10;
  int lease_ttl = 2;
  std::string json_path;
  CLI::App app{"ha_bench: the API on SQLite and on etcd with 1 and 3 replicas; leader failover"};
  app.add_option("--ports", ports, "Ports per API run")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  app.add_option("--clients", clients, "Concurrent API clients, a connection each")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  app.add_option("--trials", trials, "Leader kills")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_option("--lease-ttl", lease_ttl, "The replicas' --leader-lease-ttl, seconds")
      ->capture_default_str()
      ->check(CLI::Range(2, 60));
  app.add_option("--json", json_path, "Also write the results here as JSON");
  CLI11_PARSE(app, argc, argv);
  InitLogging("ha_bench", LogLevel::kWarn);

  try {
    nlohmann::json json = RunApiBench(ports, clients);
    json["ports"] = ports;
    json["clients"] = clients;
    json["trials"] = trials;
    json["lease_ttl_s"] = lease_ttl;
    int failed = 0;
    json["failover"] = RunFailoverBench(trials, lease_ttl, failed);
    if (!json_path.empty()) std::ofstream(json_path) << json.dump(2) << "\n";
    return failed == 0 ? 0 : 1;
  } catch (const Fatal& fatal) {
    std::fprintf(stderr, "ha_bench: %s\n", fatal.what.c_str());
    return 1;
  }
}
