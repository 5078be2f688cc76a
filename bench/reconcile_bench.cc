// How fast the reconciler gets a real OVN Northbound database in step with the store, beside
// the raw ovn-nbctl baseline measured in the same run.
//
//   build/bench/reconcile_bench [--ports 10000] [--writers 8] [--memory-ports 0]
//
// 1. converge: 10 VPCs, 100 subnets and --ports ports are created through the service layer
//    (the same store transactions the gRPC API makes) by --writers threads while the
//    reconciler runs; reported: the create time, and how long after the last create NB holds
//    everything.
// 2. full resync from an empty NB: NB is wiped and a fresh reconciler started (what a daemon
//    restart against a new NB does): time from start until NB holds the whole store.
// 3. restart with NB intact: a fresh reconciler that finds NB already right (a daemon restart).
// 4. baseline: bench/ovn_nbctl_baseline.sh with the same number of ports, in 1,000-port
//    transactions, both ovn-nbctl idioms.
// With --memory-ports N (e.g. 100000), also the heap the store, the reconciler's model cache
// and the NB replica take per port at that scale.
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <malloc.h>

#include "bench_world.h"
#include "common/clock.h"
#include "common/logging.h"
#include "reconcile/reconciler.h"
#include "service/services.h"
#include "store/sqlite/sqlite_store.h"
#include "testing/ovsdb_server.h"
#include "testing/process.h"

namespace plasmanet {
namespace {

using bench::kTenant;
using bench::OpenWorld;
using bench::World;

// 10 VPCs x 10 subnets (/20), then `ports` ports spread over the subnets by `writers` threads.
absl::Duration Populate(World& world, int ports, int writers) {
  std::vector<std::string> subnets;
  for (int v = 0; v < 10; ++v) {
    model::Vpc vpc = *world.services->vpcs.Create(
        kTenant, {.name = absl::StrCat("vpc", v), .cidr_blocks = {"10.0.0.0/12"}});
    for (int s = 0; s < 10; ++s) {
      subnets.push_back(world.services->subnets
                            .Create(kTenant, {.vpc_id = vpc.meta.id,
                                              .ipv4_cidr = absl::StrCat("10.", s, ".0.0/20")})
                            ->meta.id);
    }
  }
  std::atomic<int> next{0};
  std::atomic<int> errors{0};
  const absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&] {
      for (int i; (i = next++) < ports;) {
        if (!world.services->ports.Create(kTenant, {.subnet_id = subnets[i % subnets.size()]})
                 .ok()) {
          ++errors;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  if (errors > 0) std::printf("warning: %d port creates failed\n", errors.load());
  return absl::Now() - start;
}

reconcile::ReconcilerOptions Options(const testing::OvsdbServer& nb, size_t max_rows_per_txn) {
  return {.nb_remotes = *ovsdb::ParseRemoteList(nb.unix_remote()),
          .max_rows_per_txn = max_rows_per_txn};
}

double Seconds(absl::Duration d) { return absl::ToDoubleSeconds(d); }

size_t HeapInUse() { return mallinfo2().uordblks; }

struct BenchOptions {
  int ports = 10000;
  int writers = 8;
  int memory_ports = 0;
  bool verbose = false;
  bool skip_baseline = false;
  size_t max_rows_per_txn = reconcile::ReconcilerOptions{}.max_rows_per_txn;
};

int Run(const BenchOptions& options) {
  const int ports = options.ports;
  const int writers = options.writers;
  const int memory_ports = options.memory_ports;
  InitLogging("reconcile_bench", options.verbose ? LogLevel::kDebug : LogLevel::kWarn);
  testing::OvsdbServer nb;
  if (absl::Status s = nb.Start(); !s.ok()) {
    std::fprintf(stderr, "cannot start ovsdb-server: %s\n", s.ToString().c_str());
    return 1;
  }
  World world = OpenWorld("plasmanet-reconcile-bench");

  // 1. Converge while writing.
  auto reconciler = std::make_unique<reconcile::Reconciler>(*world.store, world.services->ports,
                                                            Options(nb, options.max_rows_per_txn));
  reconciler->Start();
  const absl::Duration create = Populate(world, ports, writers);
  const absl::Time created = absl::Now();
  const int64_t revision = *world.store->CurrentRevision();
  if (!reconciler->WaitForRevision(revision, absl::Minutes(5))) {
    std::fprintf(stderr, "NB did not converge\n");
    return 1;
  }
  const absl::Duration lag = absl::Now() - created;
  reconcile::ReconcilerStats stats = reconciler->stats();
  std::printf(
      "converge ports=%d writers=%d create_s=%.3f create_ports_per_s=%.0f lag_after_last_create_s="
      "%.3f nb_transactions=%lld rows_per_transaction=%.1f\n",
      ports, writers, Seconds(create), ports / Seconds(create), Seconds(lag),
      static_cast<long long>(stats.transactions),
      static_cast<double>(stats.rows_inserted + stats.rows_updated + stats.rows_deleted) /
          std::max<int64_t>(stats.transactions, 1));
  reconciler->Stop();
  reconciler.reset();

  // 2. Full resync from an empty NB.
  if (absl::Status s = nb.Wipe(); !s.ok()) {
    std::fprintf(stderr, "cannot wipe NB: %s\n", s.ToString().c_str());
    return 1;
  }
  absl::Time start = absl::Now();
  reconciler = std::make_unique<reconcile::Reconciler>(*world.store, world.services->ports,
                                                       Options(nb, options.max_rows_per_txn));
  reconciler->Start();
  reconciler->WaitForRevision(revision, absl::Minutes(5));
  const absl::Duration resync = absl::Now() - start;
  stats = reconciler->stats();
  std::printf("full_resync_empty_nb ports=%d seconds=%.3f rows=%lld nb_transactions=%lld\n", ports,
              Seconds(resync), static_cast<long long>(stats.rows_inserted),
              static_cast<long long>(stats.transactions));
  reconciler->Stop();
  reconciler.reset();

  // 3. Restart with NB intact.
  start = absl::Now();
  reconciler = std::make_unique<reconcile::Reconciler>(*world.store, world.services->ports,
                                                       Options(nb, options.max_rows_per_txn));
  reconciler->Start();
  reconciler->WaitForRevision(revision, absl::Minutes(5));
  std::printf(
      "restart_nb_intact ports=%d seconds=%.3f rows_written=%lld\n", ports,
      Seconds(absl::Now() - start),
      static_cast<long long>(reconciler->stats().rows_inserted + reconciler->stats().rows_updated +
                             reconciler->stats().rows_deleted));
  reconciler->Stop();
  reconciler.reset();

  if (!options.skip_baseline) {
    // 4. The raw baseline, same machine, same run.
    for (const char* idiom : {"lsp", "create"}) {
      absl::StatusOr<testing::ProcessResult> baseline = testing::RunProgram(
          BASELINE_SCRIPT, {"--ports", std::to_string(ports), "--batch", "1000", "--idiom", idiom},
          absl::Minutes(10));
      if (!baseline.ok() || baseline->exit_code != 0) {
        std::printf(
            "baseline idiom=%s failed: %s\n", idiom,
            baseline.ok() ? baseline->stderr_text.c_str() : baseline.status().ToString().c_str());
        continue;
      }
      for (absl::string_view line :
           absl::StrSplit(baseline->stdout_text, '\n', absl::SkipEmpty())) {
        std::printf("%s%s\n", std::string(line).c_str(),
                    absl::StrContains(line, "idiom") ? "" : " idiom=lsp");
        // "batch=1000 seconds=X": the ratio the target is stated in.
        if (absl::StrContains(line, "batch=1000 ")) {
          const size_t at = line.find("seconds=");
          const double seconds = std::stod(std::string(line.substr(at + 8)));
          std::printf("ratio full_resync/baseline_%s_batch1000=%.2f\n", idiom,
                      Seconds(resync) / seconds);
        }
      }
    }
  }

  if (memory_ports > 0) {
    World big = OpenWorld("plasmanet-reconcile-bench-memory");
    testing::OvsdbServer big_nb;
    (void)big_nb.Start();
    const size_t heap_before = HeapInUse();
    Populate(big, memory_ports, writers);
    const size_t heap_store = HeapInUse();
    auto holder = std::make_unique<reconcile::Reconciler>(
        *big.store, big.services->ports, Options(big_nb, options.max_rows_per_txn));
    holder->Start();
    holder->WaitForRevision(*big.store->CurrentRevision(), absl::Minutes(10));
    const size_t heap_all = HeapInUse();
    std::printf(
        "memory ports=%d heap_store_and_services_bytes_per_port=%.0f "
        "heap_reconciler_bytes_per_port=%.0f heap_total_bytes_per_port=%.0f\n",
        memory_ports, static_cast<double>(heap_store - heap_before) / memory_ports,
        static_cast<double>(heap_all - heap_store) / memory_ports,
        static_cast<double>(heap_all - heap_before) / memory_ports);
    holder->Stop();
    std::filesystem::remove_all(big.dir);
  }
  std::filesystem::remove_all(world.dir);
  return 0;
}

}  // namespace
}  // namespace plasmanet

int main(int argc, char** argv) {
  plasmanet::BenchOptions options;
  CLI::App app{"reconcile_bench: NB convergence and full resync beside the ovn-nbctl baseline"};
  app.add_option("--ports", options.ports, "Ports to create")->check(CLI::Range(1, 1'000'000));
  app.add_option("--writers", options.writers, "Threads creating ports")->check(CLI::Range(1, 256));
  app.add_option("--memory-ports", options.memory_ports,
                 "Also measure heap per port at this many ports (0: skip)")
      ->check(CLI::Range(0, 1'000'000));
  app.add_flag("--verbose", options.verbose,
               "Log the reconciler at debug level (timestamps per step)");
  app.add_flag("--skip-baseline", options.skip_baseline, "Do not run the ovn-nbctl baseline");
  app.add_option("--max-rows-per-txn", options.max_rows_per_txn,
                 "The reconciler's cap on rows per NB transaction")
      ->check(CLI::Range(1, 1'000'000));
  CLI11_PARSE(app, argc, argv);
  return plasmanet::Run(options);
}
