// How long a VM waits for its NIC: from the moment the hypervisor plugs it into br-int until
// the VM service learns the port is ACTIVE, and until the first packet crosses it, beside the
// same steps done directly with OVN, measured in the same run.
//
//   build/bench/port_up_bench [--ports 100] [--json FILE]
//
// Everything is real and started by the benchmark in a temporary directory: a whole OVN sandbox
// (scripts/ovn-sandbox: NB, SB, ovn-northd, ovs-vswitchd on the userspace datapath and
// ovn-controller) and plasmanetd on the embedded store, connected to it. Each VM is a network
// namespace whose veth is plugged with plug::VifPlugger, the code behind `plasmanet plug`.
//
// PlasmaNET path, per port: CreatePort through the API, make the VM, then the clock starts:
// plug; ACTIVE is when the WatchPorts stream (one stream for the whole run, as the VM service
// keeps) delivers the port's ACTIVE event; first ping is when `ping` from the VM to an anchor VM
// of the same subnet gets its first answer (one request every 5 ms from before the plug).
//
// OVN floor, per port (interleaved with the above, so both see the same machine): a
// Logical_Switch_Port inserted into a switch of its own with one OVSDB transaction, the same
// plug, and "up" is when Logical_Switch_Port.up turns true in an NB monitor held by this
// process (what a control plane that talks to OVN directly would wait on); first ping as above.
//
// Both sides fill in each other's neighbour entries beforehand, so the first ping measures when
// the data path forwards, not the kernel's ARP retry timer (1 s). Each VM is unplugged and
// deleted after its sample, so every sample sees the same number of ports on the chassis.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>
#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>

#include "common/logging.h"
#include "ovsdb/client.h"
#include "plasmanet/v1/api.grpc.pb.h"
#include "plasmanetd_process.h"
#include "plug/vif_plugger.h"
#include "testing/ovn_sandbox.h"
#include "testing/process.h"
#include "testing/vm_namespace.h"

namespace plasmanet {
namespace {

namespace v1 = ::plasmanet::v1;
using Clock = std::chrono::steady_clock;

constexpr char kToken[] = "bench-member-token";
constexpr auto kStepTimeout = std::chrono::seconds(30);

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "port_up_bench: %s\n", what.c_str());
  std::exit(1);
}

void Check(const absl::Status& status, const std::string& what) {
  if (!status.ok()) Die(absl::StrCat(what, ": ", status.ToString()));
}

void Check(const grpc::Status& status, const std::string& what) {
  if (!status.ok()) Die(absl::StrCat(what, ": ", status.error_message()));
}

double Millis(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// First time each key was seen in the wanted state, for waiting on it from another thread.
class Arrivals {
 public:
  void Record(const std::string& key) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      seen_.try_emplace(key, Clock::now());
    }
    cv_.notify_all();
  }
  std::optional<Clock::time_point> Wait(const std::string& key) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, kStepTimeout, [&] { return seen_.count(key) > 0; })) {
      return std::nullopt;
    }
    return seen_.at(key);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Clock::time_point> seen_;
};

// The VM service's side: one WatchPorts stream, noting when each port is first ACTIVE.
class PortWatcher {
 public:
  explicit PortWatcher(v1::PortService::Stub& ports) {
    context_.AddMetadata("authorization", absl::StrCat("Bearer ", kToken));
    stream_ = ports.WatchPorts(&context_, v1::WatchPortsRequest());
    thread_ = std::thread([this] {
      v1::PortEvent event;
      while (stream_->Read(&event)) {
        if (event.port().status() == v1::PORT_STATUS_ACTIVE) {
          active_.Record(event.port().metadata().id());
        }
      }
    });
  }
  ~PortWatcher() {
    context_.TryCancel();
    thread_.join();
    stream_->Finish().ok();
  }
  std::optional<Clock::time_point> WaitActive(const std::string& port_id) {
    return active_.Wait(port_id);
  }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::PortEvent>> stream_;
  std::thread thread_;
  Arrivals active_;
};

// The floor's side: an NB monitor of Logical_Switch_Port.up, noting when each port is first up.
class NbUpWatcher : public ovsdb::ClientListener {
 public:
  explicit NbUpWatcher(const std::string& nb_remote) {
    absl::StatusOr<std::vector<ovsdb::Remote>> remotes = ovsdb::ParseRemoteList(nb_remote);
    Check(remotes.status(), "NB remote");
    client_ = std::make_unique<ovsdb::Client>(
        ovsdb::ClientOptions{.remotes = *remotes,
                             .monitored = {{"Logical_Switch_Port", {"name", "up"}},
                                           {"Logical_Switch", {"name", "ports"}}}},
        this);
    client_->Start();
    const Clock::time_point deadline = Clock::now() + kStepTimeout;
    while (!client_->synced()) {
      if (Clock::now() > deadline) Die("no NB monitor: " + client_->last_error().ToString());
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  ~NbUpWatcher() override { client_->Stop(); }

  ovsdb::Client& client() { return *client_; }
  std::optional<Clock::time_point> WaitUp(const std::string& name) { return up_.Wait(name); }

  void OnSynced(bool) override { Scan(); }
  void OnRowsChanged(const std::vector<ovsdb::RowChange>&) override { Scan(); }
  void OnDisconnected(const absl::Status&) override {}

 private:
  void Scan() {
    std::vector<std::string> up;
    client_->ReadReplica([&](const ovsdb::Replica& replica) {
      const ovsdb::TableReplica* lsps = replica.FindTable("Logical_Switch_Port");
      for (const auto& [uuid, row] : lsps->rows()) {
        const ovsdb::Datum& is_up = lsps->Get(row, "up");
        if (!is_up.empty() && is_up.AsBool()) up.push_back(lsps->Get(row, "name").AsString());
      }
    });
    for (const std::string& name : up) up_.Record(name);
  }

  std::unique_ptr<ovsdb::Client> client_;
  Arrivals up_;
};

// `ping` from a VM, started now; Finish() reports when the first answer came.
class FirstPing {
 public:
  FirstPing(const testing::VmNamespace& vm, const std::string& address) {
    thread_ = std::thread([this, netns = vm.netns(), address] {
      absl::StatusOr<testing::ProcessResult> r =
          testing::RunProgram("ip",
                              {"netns", "exec", netns, "ping", "-n", "-q", "-c", "1", "-i", "0.005",
                               "-w", "30", address},
                              absl::Seconds(40));
      end_ = Clock::now();
      answered_ = r.ok() && r->exit_code == 0;
    });
  }
  std::optional<Clock::time_point> Finish() {
    thread_.join();
    return answered_ ? std::optional(end_) : std::nullopt;
  }

 private:
  std::thread thread_;
  Clock::time_point end_;
  bool answered_ = false;
};

struct Sample {
  double plug_ms = 0;  // the plug call itself (until ovs-vswitchd applied it)
  double up_ms = 0;    // plug -> ACTIVE (PlasmaNET) or up=true (OVN)
  double ping_ms = 0;  // plug -> first ping answered
};

struct Distribution {
  double p50 = 0, p99 = 0, min = 0, max = 0;
};

Distribution Summarize(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  auto rank = [&](double q) {  // nearest rank
    size_t i = static_cast<size_t>(std::ceil(q * values.size()));
    return values[std::clamp<size_t>(i, 1, values.size()) - 1];
  };
  return {rank(0.50), rank(0.99), values.front(), values.back()};
}

void Neighbours(const testing::VmNamespace& a, const testing::VmNamespace& b) {
  auto add = [](const testing::VmNamespace& in, const testing::VmNamespace& peer) {
    const std::string& address = peer.nic().addresses.front();
    Check(testing::RunProgram(
              "ip", {"-n", in.netns(), "neigh", "replace", address.substr(0, address.find('/')),
                     "lladdr", peer.nic().mac, "dev", "eth0", "nud", "permanent"})
              .status(),
          "ip neigh");
  };
  add(a, b);
  add(b, a);
}

std::string Ipv4Of(const testing::VmNamespace& vm) {
  const std::string& address = vm.nic().addresses.front();
  return address.substr(0, address.find('/'));
}

class Bench {
 public:
  explicit Bench(testing::OvnSandbox& sandbox) : sandbox_(sandbox) {}

  void Start() {
    const std::string dir = sandbox_.dir();
    std::ofstream(dir + "/tokens") << kToken << " bench up member\n";
    daemon_ = std::make_unique<testing::PlasmanetdProcess>(dir + "/plasmanetd.log");
    Check(daemon_->Start({"--store", "sqlite:" + dir + "/plasmanet.db", "--tokens", dir + "/tokens",
                          "--audit-log", dir + "/audit.log", "--ovn-nb", sandbox_.nb_remote(),
                          "--ovn-sb", sandbox_.sb_remote()}),
          "plasmanetd");
    channel_ = grpc::CreateChannel(daemon_->address(), grpc::InsecureChannelCredentials());
    ports_ = v1::PortService::NewStub(channel_);
    absl::StatusOr<std::unique_ptr<plug::VifPlugger>> plugger =
        plug::VifPlugger::Connect({.ovs_db = sandbox_.ovs_remote()});
    Check(plugger.status(), "connect to Open_vSwitch");
    plugger_ = std::move(*plugger);
    watcher_ = std::make_unique<PortWatcher>(*ports_);
    nb_ = std::make_unique<NbUpWatcher>(sandbox_.nb_remote());

    // PlasmaNET: a VPC, a subnet with room for every port, an anchor VM to ping.
    auto vpcs = v1::VpcService::NewStub(channel_);
    v1::CreateVpcRequest vpc_request;
    vpc_request.mutable_vpc()->mutable_metadata()->set_name("bench");
    vpc_request.mutable_vpc()->add_cidr_blocks("10.0.0.0/16");
    v1::Vpc vpc;
    Check(Call(&v1::VpcService::Stub::CreateVpc, *vpcs, vpc_request, &vpc), "CreateVpc");
    auto subnets = v1::SubnetService::NewStub(channel_);
    v1::CreateSubnetRequest subnet_request;
    subnet_request.mutable_subnet()->mutable_metadata()->set_name("bench");
    subnet_request.mutable_subnet()->set_vpc_id(vpc.metadata().id());
    subnet_request.mutable_subnet()->set_ipv4_cidr("10.0.0.0/20");
    Check(Call(&v1::SubnetService::Stub::CreateSubnet, *subnets, subnet_request, &subnet_),
          "CreateSubnet");
    pn_anchor_ = MakePlasmanetVm("pa");
    pn_anchor_port_ = last_port_id_;
    Plug(*pn_anchor_, pn_anchor_port_);
    if (!watcher_->WaitActive(pn_anchor_port_)) Die("the PlasmaNET anchor never went ACTIVE");

    // OVN floor: a switch of its own (PlasmaNET leaves rows it does not own alone).
    Transact({{{"op", "insert"},
               {"table", "Logical_Switch"},
               {"row", {{"name", "floor"}}},
               {"uuid-name", "ls"}}});
    floor_anchor_ = MakeFloorVm("fa", 0);
    Plug(*floor_anchor_, "floor-0");
    if (!nb_->WaitUp("floor-0")) Die("the floor anchor never came up");
  }

  Sample PlasmanetSample(int i) {
    std::unique_ptr<testing::VmNamespace> vm = MakePlasmanetVm(absl::StrCat("p", i));
    const std::string port_id = last_port_id_;
    Neighbours(*vm, *pn_anchor_);
    return Measure(*vm, port_id, Ipv4Of(*pn_anchor_),
                   [&] { return watcher_->WaitActive(port_id); });
  }

  Sample FloorSample(int i) {
    const std::string name = absl::StrCat("floor-", i + 1);
    std::unique_ptr<testing::VmNamespace> vm = MakeFloorVm(absl::StrCat("f", i), i + 1);
    Neighbours(*vm, *floor_anchor_);
    return Measure(*vm, name, Ipv4Of(*floor_anchor_), [&] { return nb_->WaitUp(name); });
  }

  void Stop() {
    nb_.reset();
    watcher_.reset();
    ports_.reset();
    channel_.reset();  // an idle connection would hold up the daemon's graceful shutdown
    Check(daemon_->Stop(), "stop plasmanetd");
  }

 private:
  template <typename Method, typename Stub, typename Request, typename Response>
  grpc::Status Call(Method method, Stub& stub, const Request& request, Response* response) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", absl::StrCat("Bearer ", kToken));
    context.set_deadline(std::chrono::system_clock::now() + kStepTimeout);
    return (stub.*method)(&context, request, response);
  }

  void Transact(const nlohmann::json& ops) {
    Check(nb_->client().Transact(ops, absl::Seconds(30)).status(), "NB transaction");
  }

  std::unique_ptr<testing::VmNamespace> MakePlasmanetVm(const std::string& name) {
    v1::CreatePortRequest request;
    request.mutable_port()->mutable_metadata()->set_name(name);
    request.mutable_port()->set_subnet_id(subnet_.metadata().id());
    request.mutable_port()->set_device_id("vm-" + name);
    v1::Port port;
    Check(Call(&v1::PortService::Stub::CreatePort, *ports_, request, &port), "CreatePort");
    last_port_id_ = port.metadata().id();
    const std::string prefix = subnet_.ipv4_cidr().substr(subnet_.ipv4_cidr().find('/'));
    return MakeVm(name, {.mac = port.mac_address(),
                         .addresses = {port.fixed_ips(0) + prefix},
                         .gateway_ipv4 = subnet_.gateway_ipv4()});
  }

  std::unique_ptr<testing::VmNamespace> MakeFloorVm(const std::string& vm_name, int n) {
    const std::string mac = absl::StrFormat("0a:fe:00:00:%02x:%02x", n / 256, n % 256);
    const std::string ip = absl::StrFormat("10.1.%d.%d", n / 250, n % 250 + 2);
    const std::string name = absl::StrCat("floor-", n);
    const std::string addresses = absl::StrCat(mac, " ", ip);
    Transact({{{"op", "insert"},
               {"table", "Logical_Switch_Port"},
               {"row", {{"name", name}, {"addresses", addresses}, {"port_security", addresses}}},
               {"uuid-name", "lsp"}},
              {{"op", "mutate"},
               {"table", "Logical_Switch"},
               {"where", {{"name", "==", "floor"}}},
               {"mutations",
                nlohmann::json::parse(R"([["ports", "insert", ["named-uuid", "lsp"]]])")}}});
    return MakeVm(vm_name, {.mac = mac, .addresses = {ip + "/16"}});
  }

  std::unique_ptr<testing::VmNamespace> MakeVm(const std::string& name,
                                               const testing::VmNicConfig& nic) {
    absl::StatusOr<std::unique_ptr<testing::VmNamespace>> vm =
        testing::VmNamespace::Create(sandbox_, name, nic);
    Check(vm.status(), "VM " + name);
    return std::move(*vm);
  }

  void Plug(const testing::VmNamespace& vm, const std::string& iface_id) {
    Check(plugger_->Plug({.ifname = vm.host_ifname(), .iface_id = iface_id, .mac = vm.nic().mac})
              .status(),
          "plug " + vm.name());
  }

  template <typename WaitUp>
  Sample Measure(testing::VmNamespace& vm, const std::string& iface_id,
                 const std::string& anchor_ip, WaitUp wait_up) {
    FirstPing ping(vm, anchor_ip);
    const Clock::time_point start = Clock::now();
    Plug(vm, iface_id);
    const Clock::time_point plugged = Clock::now();
    const std::optional<Clock::time_point> up = wait_up();
    const std::optional<Clock::time_point> answered = ping.Finish();
    if (!up) Die(absl::StrCat(iface_id, " was never reported up"));
    if (!answered) Die(absl::StrCat("no ping from ", vm.name(), " was ever answered"));
    Check(plugger_->Unplug(vm.host_ifname(), false), "unplug");
    return {Millis(plugged - start), Millis(*up - start), Millis(*answered - start)};
  }

  testing::OvnSandbox& sandbox_;
  std::unique_ptr<testing::PlasmanetdProcess> daemon_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::PortService::Stub> ports_;
  std::unique_ptr<plug::VifPlugger> plugger_;
  std::unique_ptr<PortWatcher> watcher_;
  std::unique_ptr<NbUpWatcher> nb_;
  v1::Subnet subnet_;
  std::string last_port_id_;
  std::unique_ptr<testing::VmNamespace> pn_anchor_, floor_anchor_;
  std::string pn_anchor_port_;
};

}  // namespace
}  // namespace plasmanet

int main(int argc, char** argv) {
  using namespace plasmanet;
  CLI::App app{"Plug-to-ACTIVE and plug-to-first-ping, PlasmaNET beside OVN directly"};
  int ports = 100;
  std::string json_path;
  app.add_option("--ports", ports, "Samples of each path")->check(CLI::Range(5, 5000));
  app.add_option("--json", json_path, "Also write the results here as JSON");
  CLI11_PARSE(app, argc, argv);
  InitLogging("port_up_bench", LogLevel::kWarn);

  absl::StatusOr<std::unique_ptr<testing::OvnSandbox>> sandbox = testing::OvnSandbox::Start();
  Check(sandbox.status(), "OVN sandbox");
  std::vector<Sample> pn, floor;
  {
    Bench bench(**sandbox);
    bench.Start();
    for (int i = 0; i < ports; ++i) {
      pn.push_back(bench.PlasmanetSample(i));
      floor.push_back(bench.FloorSample(i));
    }
    bench.Stop();
  }
  Check((*sandbox)->Stop(), "stop the sandbox");

  auto column = [](const std::vector<Sample>& samples, double Sample::*field) {
    std::vector<double> out;
    for (const Sample& s : samples) out.push_back(s.*field);
    return Summarize(out);
  };
  struct Line {
    const char* name;
    Distribution ours, floor;
  };
  const std::vector<Line> lines = {
      {"plug call (until ovs-vswitchd applied it)", column(pn, &Sample::plug_ms),
       column(floor, &Sample::plug_ms)},
      {"plug -> ACTIVE (PlasmaNET) / up (OVN)", column(pn, &Sample::up_ms),
       column(floor, &Sample::up_ms)},
      {"plug -> first ping answered", column(pn, &Sample::ping_ms),
       column(floor, &Sample::ping_ms)},
  };
  std::printf("%d ports each, interleaved; milliseconds\n\n", ports);
  std::printf("%-42s %8s %8s %8s %8s | %8s %8s | %6s %6s\n", "", "p50", "p99", "min", "max",
              "OVN p50", "OVN p99", "x p50", "x p99");
  nlohmann::json results = nlohmann::json::array();
  for (const Line& line : lines) {
    std::printf("%-42s %8.1f %8.1f %8.1f %8.1f | %8.1f %8.1f | %6.2f %6.2f\n", line.name,
                line.ours.p50, line.ours.p99, line.ours.min, line.ours.max, line.floor.p50,
                line.floor.p99, line.ours.p50 / line.floor.p50, line.ours.p99 / line.floor.p99);
    auto dist = [](const Distribution& d) {
      return nlohmann::json{
          {"p50_ms", d.p50}, {"p99_ms", d.p99}, {"min_ms", d.min}, {"max_ms", d.max}};
    };
    results.push_back(
        {{"metric", line.name}, {"plasmanet", dist(line.ours)}, {"ovn_direct", dist(line.floor)}});
  }
  if (!json_path.empty()) {
    std::ofstream(json_path) << nlohmann::json{{"ports", ports}, {"results", results}}.dump(2)
                             << "\n";
  }
  return 0;
}
