// Ports created through the gRPC API by 1 to 128 concurrent clients, until OVN Northbound holds
// them all, beside the raw ways of writing the same ports into NB, measured in the same run.
//
//   build/bench/api_bench [--ports 10000] [--clients 1,8,32,128] [--skip-baselines]
//                         [--without-ovn] [--json FILE]
//
// PlasmaNET, per client count, on a fresh NB ovsdb-server and a fresh plasmanetd process
// (durable embedded store, --ovn-nb on that server), in a temp dir: 10 VPCs with 10 subnets
// each (not timed), then --ports CreatePort calls spread round-robin over the 100 subnets by the
// clients, each client with a channel (an HTTP/2 connection) of its own, as separate VM-service
// workers would have. Reported: ports/s and per-call latency (p50/p99/p999) of the API, and the
// convergence lag: how long after the last create returned NB holds every port (seen by an NB
// monitor of this process).
//
// Baselines, each on a fresh NB ovsdb-server with 100 switches already made (not timed), the
// same --ports rows (addresses, port_security and an owner key in external_ids):
//   raw OVSDB, 1 port/txn       this process's OVSDB client (no monitor of the written tables),
//                               one transact per port, waiting for each reply
//   raw OVSDB, 1,000 ports/txn  the same, 1,000 ports per transaction
//   ovsdbapp, 1 port/txn        bench/ovsdbapp_baseline.py (Debian's python3-ovsdbapp, the
//                               library of Neutron's OVN driver), one transaction per port
//   ovn-nbctl                   bench/ovn_nbctl_baseline.sh --idiom create: 1,000 ports per
//                               ovn-nbctl transaction, and every port in one transaction
// plasmanetd's resident memory (VmRSS) is read before the ports and once NB holds them all:
// bytes per port is the difference over the ports.
// Ratios: each baseline's ports/s over PlasmaNET's end-to-end ports/s at 32 clients (create
// throughput with the convergence lag added to the time).
// --without-ovn runs plasmanetd on its embedded store alone (no --ovn-nb, no NB server, no lag):
// the API and store figures of issue #3, without the reconciler sharing the cores.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <absl/strings/ascii.h>
#include <absl/strings/match.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>
#include <absl/strings/str_split.h>
#include <absl/strings/strip.h>
#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "common/logging.h"
#include "ovsdb/client.h"
#include "plasmanet/v1/api.grpc.pb.h"
#include "plasmanetd_process.h"
#include "testing/ovsdb_server.h"
#include "testing/process.h"

namespace plasmanet {
namespace {

namespace v1 = ::plasmanet::v1;
using Clock = std::chrono::steady_clock;

constexpr char kToken[] = "bench-token-0123456789";
constexpr int kVpcs = 10;
constexpr int kSubnetsPerVpc = 10;
constexpr int kSwitches = kVpcs * kSubnetsPerVpc;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "api_bench: %s\n", what.c_str());
  std::exit(1);
}

void Check(const absl::Status& status, const std::string& what) {
  if (!status.ok()) Die(absl::StrCat(what, ": ", status.ToString()));
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t i = std::min(sorted.size() - 1, static_cast<size_t>(p * sorted.size()));
  return sorted[i];
}

std::shared_ptr<grpc::Channel> Connect(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection of its own
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

template <typename Stub, typename Method, typename Request, typename Response>
grpc::Status Call(Stub& stub, Method method, const Request& request, Response* response) {
  grpc::ClientContext context;
  context.AddMetadata("authorization", absl::StrCat("Bearer ", kToken));
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  return (stub.*method)(&context, request, response);
}

// An OVSDB client on NB; with `count_ports`, it monitors Logical_Switch_Port and wakes
// WaitForPorts when the number of PlasmaNET ports changes.
class NbSession : public ovsdb::ClientListener {
 public:
  NbSession(const std::string& remote, bool count_ports) {
    absl::StatusOr<std::vector<ovsdb::Remote>> remotes = ovsdb::ParseRemoteList(remote);
    Check(remotes.status(), "NB remote");
    std::vector<ovsdb::TableColumns> monitored = {{"Logical_Switch", {"name"}}};
    if (count_ports) monitored.push_back({"Logical_Switch_Port", {"external_ids"}});
    client_ = std::make_unique<ovsdb::Client>(
        ovsdb::ClientOptions{.remotes = *remotes, .monitored = monitored}, this);
    client_->Start();
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, std::chrono::seconds(30), [&] { return client_->synced(); })) {
      Die("no NB session: " + client_->last_error().ToString());
    }
  }
  ~NbSession() override { client_->Stop(); }

  ovsdb::Client& client() { return *client_; }

  // When NB first held `ports` PlasmaNET ports, or nullopt after `timeout`.
  std::optional<Clock::time_point> WaitForPorts(size_t ports, std::chrono::seconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return reached_ >= ports; })) return std::nullopt;
    return reached_at_;
  }

  void OnSynced(bool) override { Count(); }
  void OnRowsChanged(const std::vector<ovsdb::RowChange>&) override { Count(); }
  void OnDisconnected(const absl::Status&) override {}

 private:
  void Count() {
    size_t ports = 0;
    client_->ReadReplica([&](const ovsdb::Replica& replica) {
      const ovsdb::TableReplica* lsps = replica.FindTable("Logical_Switch_Port");
      if (lsps == nullptr) return;
      for (const auto& [uuid, row] : lsps->rows()) {
        const std::string* owner = lsps->Get(row, "external_ids").Lookup("plasmanet:owner");
        if (owner != nullptr && owner->rfind("port/", 0) == 0) ++ports;
      }
    });
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (ports > reached_) {
        reached_ = ports;
        reached_at_ = Clock::now();
      }
    }
    cv_.notify_all();
  }

  std::unique_ptr<ovsdb::Client> client_;
  std::mutex mu_;
  std::condition_variable cv_;
  size_t reached_ = 0;
  Clock::time_point reached_at_;
};

// Resident memory of `pid` in bytes (VmRSS), 0 if unreadable.
int64_t ResidentBytes(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  for (std::string line; std::getline(status, line);) {
    absl::string_view rest = line;
    int64_t kib = 0;
    if (absl::ConsumePrefix(&rest, "VmRSS:") &&
        absl::SimpleAtoi(absl::StripSuffix(absl::StripAsciiWhitespace(rest), " kB"), &kib)) {
      return kib * 1024;
    }
  }
  return 0;
}

// CPU time (user + system) `pid` has used so far, in seconds.
double CpuSeconds(pid_t pid) {
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // Fields after the command name (which may hold spaces) start after the last ')'; utime and
  // stime are the 12th and 13th of them.
  const size_t end = text.rfind(')');
  if (end == std::string::npos) return 0;
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(text).substr(end + 2), ' ');
  int64_t utime = 0;
  int64_t stime = 0;
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &utime) ||
      !absl::SimpleAtoi(fields[12], &stime)) {
    return 0;
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Bytes `pid` has handed to write-like system calls so far (its store, log and audit files).
int64_t WrittenBytes(pid_t pid) {
  std::ifstream io(absl::StrCat("/proc/", pid, "/io"));
  for (std::string line; std::getline(io, line);) {
    absl::string_view rest = line;
    int64_t bytes = 0;
    if (absl::ConsumePrefix(&rest, "wchar:") &&
        absl::SimpleAtoi(absl::StripAsciiWhitespace(rest), &bytes)) {
      return bytes;
    }
  }
  return 0;
}

struct ApiResult {
  int clients = 0;
  int64_t daemon_written = 0;  // bytes plasmanetd wrote while the ports were created
  double daemon_cpu_s = 0;     // plasmanetd's CPU time while the ports were created
  int64_t rss_empty = 0;       // plasmanetd's resident memory with the VPCs and subnets only
  int64_t rss_full = 0;        // ... and with every port, once NB holds them
  double create_s = 0;
  double lag_s = 0;
  std::vector<double> latencies_ms;  // sorted
  int errors = 0;
  double ports_per_s(int ports) const { return ports / create_s; }
  double end_to_end_ports_per_s(int ports) const { return ports / (create_s + lag_s); }
};

ApiResult RunApi(int clients, int total_ports, bool with_ovn) {
  testing::OvsdbServer nb;
  std::string dir;
  if (with_ovn) {
    Check(nb.Start(), "NB ovsdb-server");
    dir = nb.dir();
  } else {
    absl::StatusOr<std::string> temp = testing::MakeTempDir("api-bench");
    Check(temp.status(), "temp dir");
    dir = *temp;
  }
  std::ofstream(dir + "/tokens") << kToken << " bench net member\n";
  testing::PlasmanetdProcess daemon(dir + "/plasmanetd.log");
  std::vector<std::string> flags = {"--store",       "sqlite:" + dir + "/plasmanet.db",
                                    "--tokens",      dir + "/tokens",
                                    "--audit-log",   dir + "/audit.log",
                                    "--quota-ports", std::to_string(std::max(total_ports, 20000))};
  if (with_ovn) {
    flags.insert(flags.end(), {"--ovn-nb", nb.unix_remote()});
  }
  Check(daemon.Start(flags), "plasmanetd");
  std::optional<NbSession> watch;
  if (with_ovn) watch.emplace(nb.unix_remote(), /*count_ports=*/true);

  // Setup, not timed: 10 VPCs of 10 subnets.
  std::vector<std::string> subnet_ids;
  {
    std::shared_ptr<grpc::Channel> setup = Connect(daemon.address());
    auto vpcs = v1::VpcService::NewStub(setup);
    auto subnets = v1::SubnetService::NewStub(setup);
    for (int v = 0; v < kVpcs; ++v) {
      v1::CreateVpcRequest vr;
      vr.mutable_vpc()->add_cidr_blocks(absl::StrCat("10.", v, ".0.0/16"));
      v1::Vpc vpc;
      if (!Call(*vpcs, &v1::VpcService::Stub::CreateVpc, vr, &vpc).ok()) Die("CreateVpc");
      for (int s = 0; s < kSubnetsPerVpc; ++s) {
        v1::CreateSubnetRequest sr;
        sr.mutable_subnet()->set_vpc_id(vpc.metadata().id());
        sr.mutable_subnet()->set_ipv4_cidr(absl::StrCat("10.", v, ".", s * 4, ".0/22"));
        v1::Subnet subnet;
        if (!Call(*subnets, &v1::SubnetService::Stub::CreateSubnet, sr, &subnet).ok()) {
          Die("CreateSubnet");
        }
        subnet_ids.push_back(subnet.metadata().id());
      }
    }
  }

  ApiResult result{.clients = clients, .rss_empty = ResidentBytes(daemon.pid())};
  const double cpu_before = CpuSeconds(daemon.pid());
  const int64_t written_before = WrittenBytes(daemon.pid());
  std::atomic<int> next{0};
  std::atomic<int> errors{0};
  std::vector<std::vector<double>> latencies(clients);
  std::vector<std::thread> threads;
  const Clock::time_point start = Clock::now();
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto ports = v1::PortService::NewStub(Connect(daemon.address()));
      for (int i = next++; i < total_ports; i = next++) {
        v1::CreatePortRequest request;
        request.mutable_port()->set_subnet_id(subnet_ids[i % subnet_ids.size()]);
        request.mutable_port()->set_device_id(absl::StrCat("vm-", i));
        v1::Port port;
        const Clock::time_point t0 = Clock::now();
        const grpc::Status status =
            Call(*ports, &v1::PortService::Stub::CreatePort, request, &port);
        latencies[c].push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        if (!status.ok()) ++errors;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const Clock::time_point created = Clock::now();
  result.create_s = Seconds(created - start);
  result.daemon_cpu_s = CpuSeconds(daemon.pid()) - cpu_before;
  result.daemon_written = WrittenBytes(daemon.pid()) - written_before;
  result.errors = errors;
  if (watch.has_value()) {
    const std::optional<Clock::time_point> converged =
        watch->WaitForPorts(total_ports - result.errors, std::chrono::seconds(300));
    if (!converged) Die("NB did not receive every port within 300 s");
    // 0 when NB held the last port before its create's answer reached the client.
    result.lag_s = std::max(0.0, Seconds(*converged - created));
  }
  result.rss_full = ResidentBytes(daemon.pid());
  for (const auto& l : latencies) {
    result.latencies_ms.insert(result.latencies_ms.end(), l.begin(), l.end());
  }
  std::sort(result.latencies_ms.begin(), result.latencies_ms.end());
  Check(daemon.Stop(), "stop plasmanetd");
  if (!with_ovn) std::filesystem::remove_all(dir);
  return result;
}

// A fresh NB with kSwitches switches made, for a baseline.
struct BaselineNb {
  testing::OvsdbServer server;
  std::unique_ptr<NbSession> session;
};

void StartBaselineNb(BaselineNb& nb, bool make_switches) {
  Check(nb.server.Start(), "NB ovsdb-server");
  nb.session = std::make_unique<NbSession>(nb.server.unix_remote(), /*count_ports=*/false);
  if (!make_switches) return;
  nlohmann::json ops = nlohmann::json::array();
  for (int s = 0; s < kSwitches; ++s) {
    ops.push_back({{"op", "insert"},
                   {"table", "Logical_Switch"},
                   {"row", {{"name", absl::StrCat("baseline-ls-", s)}}}});
  }
  Check(nb.session->client().Transact(ops, absl::Seconds(60)).status(), "make switches");
}

// An OVSDB map with one pair, spelled out: nlohmann's initializer lists would make an object.
nlohmann::json Map(const std::string& key, const std::string& value) {
  return nlohmann::json::array(
      {"map", nlohmann::json::array({nlohmann::json::array({key, value})})});
}

// Inserts `ports` switch ports, `per_txn` per transaction; seconds taken.
double RawOvsdb(int ports, int per_txn) {
  BaselineNb nb;
  StartBaselineNb(nb, /*make_switches=*/true);
  const int per_switch = (ports + kSwitches - 1) / kSwitches;
  const Clock::time_point start = Clock::now();
  for (int first = 0; first < ports; first += per_txn) {
    nlohmann::json ops = nlohmann::json::array();
    std::map<int, std::vector<nlohmann::json>> by_switch;
    for (int i = first; i < std::min(ports, first + per_txn); ++i) {
      const std::string mac = absl::StrFormat("0a:00:%02x:%02x:%02x:%02x", (i >> 24) & 255,
                                              (i >> 16) & 255, (i >> 8) & 255, i & 255);
      const std::string ip =
          absl::StrFormat("10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255);
      const std::string name = absl::StrCat("baseline-port-", i);
      const std::string row_name = absl::StrCat("p", i);
      ops.push_back({{"op", "insert"},
                     {"table", "Logical_Switch_Port"},
                     {"uuid-name", row_name},
                     {"row",
                      {{"name", name},
                       {"addresses", absl::StrCat(mac, " ", ip)},
                       {"port_security", absl::StrCat(mac, " ", ip)},
                       {"external_ids", Map("plasmanet:owner", "port/" + name)}}}});
      by_switch[std::min(i / per_switch, kSwitches - 1)].push_back(
          nlohmann::json::array({"named-uuid", row_name}));
    }
    for (auto& [s, refs] : by_switch) {
      ops.push_back(
          {{"op", "mutate"},
           {"table", "Logical_Switch"},
           {"where", {{"name", "==", absl::StrCat("baseline-ls-", s)}}},
           {"mutations", nlohmann::json::array({nlohmann::json::array(
                             {"ports", "insert", nlohmann::json::array({"set", refs})})})}});
    }
    Check(nb.session->client().Transact(ops, absl::Seconds(120)).status(), "raw transaction");
  }
  return Seconds(Clock::now() - start);
}

// Runs a baseline script; its standard output.
std::string RunScript(const std::string& program, const std::vector<std::string>& args) {
  absl::StatusOr<testing::ProcessResult> r = testing::RunProgram(program, args, absl::Minutes(20));
  Check(r.status(), program);
  if (r->exit_code != 0) Die(absl::StrCat(program, " failed: ", r->stderr_text));
  return r->stdout_text;
}

// `seconds=` of the output line that starts with `prefix`.
double SecondsOf(const std::string& output, const std::string& prefix) {
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (!absl::StartsWith(line, prefix)) continue;
    for (absl::string_view field : absl::StrSplit(line, ' ')) {
      double seconds = 0;
      if (absl::ConsumePrefix(&field, "seconds=") && absl::SimpleAtod(field, &seconds)) {
        return seconds;
      }
    }
  }
  Die(absl::StrCat("no line '", prefix, "' in: ", output));
}

double Ovsdbapp(int ports) {
  BaselineNb nb;
  StartBaselineNb(nb, /*make_switches=*/false);  // the script makes its own
  return SecondsOf(RunScript(OVSDBAPP_BASELINE,
                             {"--remote", nb.server.unix_remote(), "--ports", std::to_string(ports),
                              "--switches", std::to_string(kSwitches)}),
                   "baseline_ovsdbapp");
}

struct NbctlSeconds {
  double batched = 0;  // 1,000 ports per ovn-nbctl transaction
  double one_txn = 0;  // every port in one transaction
};

NbctlSeconds Nbctl(int ports) {
  // The script starts servers of its own (a fresh one per figure).
  const std::string output = RunScript(
      NBCTL_BASELINE, {"--ports", std::to_string(ports), "--batch", "1000", "--idiom", "create"});
  const std::string head = absl::StrCat("baseline_nbctl ports=", ports, " batch=");
  return {SecondsOf(output, head + "1000 "), SecondsOf(output, absl::StrCat(head, ports, " "))};
}

}  // namespace
}  // namespace plasmanet

int main(int argc, char** argv) {
  using namespace plasmanet;
  int ports = 10000;
  std::string clients_text = "1,8,32,128";
  bool skip_baselines = false;
  bool without_ovn = false;
  std::string json_path;
  CLI::App app{"api_bench: ports through the plasmanet.v1 API into OVN NB, beside raw baselines"};
  app.add_option("--ports", ports, "Ports per run")
      ->capture_default_str()
      ->check(CLI::Range(100, 1000000));
  app.add_option("--clients", clients_text, "Comma-separated client counts")->capture_default_str();
  app.add_flag("--skip-baselines", skip_baselines, "Only the API runs");
  app.add_flag("--without-ovn", without_ovn,
               "plasmanetd on its embedded store alone (no --ovn-nb); implies --skip-baselines");
  app.add_option("--json", json_path, "Also write the results here as JSON");
  CLI11_PARSE(app, argc, argv);
  InitLogging("api_bench", LogLevel::kWarn);

  std::vector<int> client_counts;
  for (absl::string_view text : absl::StrSplit(clients_text, ',')) {
    int clients = 0;
    if (!absl::SimpleAtoi(text, &clients) || clients <= 0 || clients > 1024) {
      std::fprintf(stderr, "api_bench: --clients: '%s' is not a count from 1 to 1024\n",
                   std::string(text).c_str());
      return 2;
    }
    client_counts.push_back(clients);
  }

  if (without_ovn) skip_baselines = true;
  nlohmann::json json = {
      {"ports", ports}, {"with_ovn", !without_ovn}, {"api", nlohmann::json::array()}};
  std::printf("PlasmaNET API, %d ports in %d subnets of %d VPCs, plasmanetd %s\n", ports, kSwitches,
              kVpcs, without_ovn ? "on its store alone" : "with --ovn-nb");
  std::printf("%-8s %10s %9s %9s %9s %12s %14s %7s %11s %10s %12s %13s\n", "clients", "ports/s",
              "p50 ms", "p99 ms", "p999 ms", "NB lag s", "end-to-end/s", "errors", "daemon RSS",
              "B/port", "CPU us/port", "written/port");
  std::optional<double> reference;  // end-to-end ports/s at 32 clients (or the last run)
  for (int clients : client_counts) {
    const ApiResult r = RunApi(clients, ports, !without_ovn);
    const double p50 = Percentile(r.latencies_ms, 0.50), p99 = Percentile(r.latencies_ms, 0.99),
                 p999 = Percentile(r.latencies_ms, 0.999);
    const double per_port = static_cast<double>(r.rss_full - r.rss_empty) / ports;
    const double cpu_us_per_port = r.daemon_cpu_s * 1e6 / ports;
    const double written_per_port = static_cast<double>(r.daemon_written) / ports;
    std::printf("%-8d %10.0f %9.2f %9.2f %9.2f %12.3f %14.0f %7d %8.1f MB %10.0f %12.0f %11.0f B\n",
                clients, r.ports_per_s(ports), p50, p99, p999, r.lag_s,
                r.end_to_end_ports_per_s(ports), r.errors, static_cast<double>(r.rss_full) / 1e6,
                per_port, cpu_us_per_port, written_per_port);
    std::fflush(stdout);
    if (clients == 32 || !reference) reference = r.end_to_end_ports_per_s(ports);
    json["api"].push_back({{"clients", clients},
                           {"ports_per_s", r.ports_per_s(ports)},
                           {"p50_ms", p50},
                           {"p99_ms", p99},
                           {"p999_ms", p999},
                           {"nb_lag_s", r.lag_s},
                           {"end_to_end_ports_per_s", r.end_to_end_ports_per_s(ports)},
                           {"daemon_rss_bytes", r.rss_full},
                           {"daemon_rss_bytes_per_port", per_port},
                           {"daemon_cpu_us_per_port", cpu_us_per_port},
                           {"daemon_written_bytes_per_port", written_per_port},
                           {"errors", r.errors}});
  }

  if (!skip_baselines) {
    struct Baseline {
      const char* name;
      double seconds;
    };
    std::vector<Baseline> baselines;
    auto run = [&](const char* name, double seconds) {
      baselines.push_back({name, seconds});
      std::printf("%-30s %10.3f s %10.0f ports/s   PlasmaNET / baseline %.2f\n", name, seconds,
                  ports / seconds, *reference / (ports / seconds));
      std::fflush(stdout);
      json["baselines"].push_back(
          {{"name", name}, {"seconds", seconds}, {"ports_per_s", ports / seconds}});
    };
    std::printf(
        "\nBaselines, the same %d ports straight into NB (ratio: PlasmaNET end-to-end at "
        "32 clients / baseline)\n",
        ports);
    run("raw OVSDB, 1 port/txn", RawOvsdb(ports, 1));
    run("raw OVSDB, 1,000 ports/txn", RawOvsdb(ports, 1000));
    run("ovsdbapp, 1 port/txn", Ovsdbapp(ports));
    const NbctlSeconds nbctl = Nbctl(ports);
    run("ovn-nbctl, 1,000 ports/txn", nbctl.batched);
    run("ovn-nbctl, all in one txn", nbctl.one_txn);
  }
  if (!json_path.empty()) std::ofstream(json_path) << json.dump(2) << "\n";
  return 0;
}
