// Ports created per second through the gRPC API, with 1, 8 and 32 concurrent clients, on the
// embedded durable store (WAL, synchronous=FULL), and the latency of each CreatePort call.
//
//   build/bench/api_bench [--ports N] [--clients 1,8,32]
//
// Each client count runs on a fresh store and server in a temporary directory: one VPC with 100
// /20 subnets, clients spread over the subnets round-robin. The server runs in this process on
// loopback; each client has its own channel (its own HTTP/2 connection), as separate VM-service
// workers would.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include "api/api_server.h"
#include "common/logging.h"
#include "plasmanet/v1/api.grpc.pb.h"
#include "store/sqlite/sqlite_store.h"

namespace plasmanet {
namespace {

constexpr char kToken[] = "bench-token-0123456789";

struct Result {
  int clients;
  int ports;
  double seconds;
  std::vector<double> latencies_ms;  // sorted
  int errors;
};

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t i = std::min(sorted.size() - 1, static_cast<size_t>(p * sorted.size()));
  return sorted[i];
}

std::shared_ptr<grpc::Channel> Connect(int port) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection of its own
  return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                   grpc::InsecureChannelCredentials(), args);
}

void AddToken(grpc::ClientContext& context) {
  context.AddMetadata("authorization", absl::StrCat("Bearer ", kToken));
}

Result Run(int clients, int total_ports) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / absl::StrCat("plasmanet-api-bench-", getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  Result result{clients, total_ports, 0, {}, 0};
  {
    auto store = std::move(*store::sqlite::SqliteStore::Open((dir / "store.db").string()));
    service::Services services(*store, RealClock::Get());
    auth::Authenticator tokens(*auth::TokenFile::Parse(absl::StrCat(kToken, " bench net member")),
                               nullptr);
    auto audit = std::move(*api::AuditLog::Open((dir / "audit.log").string(), RealClock::Get()));
    auto server =
        std::move(*api::ApiServer::Start(services, tokens, *audit, {.listen = "127.0.0.1:0"}));

    // Setup, not timed: one VPC, 100 subnets.
    auto setup = Connect(server->port());
    auto vpcs = v1::VpcService::NewStub(setup);
    auto subnets = v1::SubnetService::NewStub(setup);
    v1::CreateVpcRequest vr;
    vr.mutable_vpc()->add_cidr_blocks("10.0.0.0/8");
    v1::Vpc vpc;
    grpc::ClientContext vc;
    AddToken(vc);
    if (!vpcs->CreateVpc(&vc, vr, &vpc).ok()) std::abort();
    std::vector<std::string> subnet_ids;
    for (int i = 0; i < 100; ++i) {
      v1::CreateSubnetRequest sr;
      sr.mutable_subnet()->set_vpc_id(vpc.metadata().id());
      sr.mutable_subnet()->set_ipv4_cidr(absl::StrCat("10.", i, ".0.0/20"));
      v1::Subnet s;
      grpc::ClientContext sc;
      AddToken(sc);
      if (!subnets->CreateSubnet(&sc, sr, &s).ok()) std::abort();
      subnet_ids.push_back(s.metadata().id());
    }

    std::atomic<int> next{0};
    std::atomic<int> errors{0};
    std::vector<std::vector<double>> latencies(clients);
    std::vector<std::thread> threads;
    const auto start = std::chrono::steady_clock::now();
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        auto ports = v1::PortService::NewStub(Connect(server->port()));
        for (int i = next++; i < total_ports; i = next++) {
          v1::CreatePortRequest request;
          request.mutable_port()->set_subnet_id(subnet_ids[i % subnet_ids.size()]);
          request.mutable_port()->set_device_id(absl::StrCat("vm-", i));
          v1::Port port;
          grpc::ClientContext context;
          AddToken(context);
          const auto t0 = std::chrono::steady_clock::now();
          grpc::Status status = ports->CreatePort(&context, request, &port);
          const auto t1 = std::chrono::steady_clock::now();
          if (!status.ok()) ++errors;
          latencies[c].push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        }
      });
    }
    for (std::thread& t : threads) t.join();
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    for (const auto& l : latencies) {
      result.latencies_ms.insert(result.latencies_ms.end(), l.begin(), l.end());
    }
    std::sort(result.latencies_ms.begin(), result.latencies_ms.end());
    result.errors = errors;
    server->Shutdown(absl::Seconds(5));
  }
  std::filesystem::remove_all(dir);
  return result;
}

}  // namespace
}  // namespace plasmanet

int main(int argc, char** argv) {
  int ports = 5000;
  std::string clients_text = "1,8,32";
  CLI::App app{"api_bench: ports per second through the plasmanet.v1 API"};
  app.add_option("--ports", ports, "Ports to create per client count")->capture_default_str();
  app.add_option("--clients", clients_text, "Comma-separated client counts")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  plasmanet::InitLogging("api_bench", plasmanet::LogLevel::kWarn);

  std::printf("%-8s %8s %10s %10s %10s %10s %8s\n", "clients", "ports", "ports/s", "p50 ms",
              "p99 ms", "p999 ms", "errors");
  for (absl::string_view text : absl::StrSplit(clients_text, ',')) {
    int clients = 0;
    if (!absl::SimpleAtoi(text, &clients) || clients <= 0) {
      std::fprintf(stderr, "api_bench: bad client count '%s'\n", std::string(text).c_str());
      return 2;
    }
    plasmanet::Result r = plasmanet::Run(clients, ports);
    std::printf("%-8d %8d %10.0f %10.2f %10.2f %10.2f %8d\n", r.clients, r.ports,
                r.ports / r.seconds, plasmanet::Percentile(r.latencies_ms, 0.50),
                plasmanet::Percentile(r.latencies_ms, 0.99),
                plasmanet::Percentile(r.latencies_ms, 0.999), r.errors);
    std::fflush(stdout);
  }
  return 0;
}
