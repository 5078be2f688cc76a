// crash_writer: a child process for crash_test. It creates and deletes ports in a loop on several
// threads and reports each acknowledged change on stdout, until it is killed:
//   SUBNET <id>
//   CREATED <port id> <address>   after the create returned OK (the store commit is durable)
//   DELETING <port id>            before a delete is sent: from here the port may go at any time
//   DELETED <port id>             after the delete returned OK

#include <atomic>
#include <cstdio>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include <unistd.h>

#include "service/services.h"
#include "store/sqlite/sqlite_store.h"

using namespace plasmanet;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: crash_writer STORE_PATH\n");
    return 2;
  }
  absl::StatusOr<std::unique_ptr<store::sqlite::SqliteStore>> store =
      store::sqlite::SqliteStore::Open(argv[1]);
  if (!store.ok()) {
    std::fprintf(stderr, "crash_writer: %s\n", store.status().ToString().c_str());
    return 1;
  }
  service::Services services(**store, RealClock::Get());
  const service::RequestContext ctx{{"writer", {"acme", "web"}, {auth::Role::kMember}},
                                    std::nullopt};

  // Reuse the subnet of an earlier run, so restarts continue in the same address space.
  std::string subnet_id;
  absl::StatusOr<service::ListPage<model::Subnet>> subnets = services.subnets.List(ctx, {});
  if (subnets.ok() && !subnets->items.empty()) {
    subnet_id = subnets->items[0].meta.id;
  } else {
    absl::StatusOr<model::Vpc> vpc = services.vpcs.Create(ctx, {.cidr_blocks = {"10.0.0.0/16"}});
    absl::StatusOr<model::Subnet> subnet =
        services.subnets.Create(ctx, {.vpc_id = vpc->meta.id, .ipv4_cidr = "10.0.0.0/16"});
    if (!subnet.ok()) return 1;
    subnet_id = subnet->meta.id;
  }
  std::mutex out_mu;
  const auto report = [&](const std::string& line) {
    std::lock_guard lock(out_mu);
    std::fputs(line.c_str(), stdout);
    std::fflush(stdout);
  };
  report("SUBNET " + subnet_id + "\n");

  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t + getpid());
      std::vector<std::string> mine;
      while (true) {
        // Mostly creates, some deletes: both free and taken addresses must survive a crash.
        if (!mine.empty() && rng() % 4 == 0) {
          const size_t pick = rng() % mine.size();
          report("DELETING " + mine[pick] + "\n");
          if (services.ports.Delete(ctx, mine[pick]).ok()) {
            report("DELETED " + mine[pick] + "\n");
            mine.erase(mine.begin() + pick);
          }
          continue;
        }
        absl::StatusOr<model::Port> port = services.ports.Create(ctx, {.subnet_id = subnet_id});
        if (port.ok()) {
          report("CREATED " + port->meta.id + " " + port->fixed_ips[0].ToString() + "\n");
          mine.push_back(port->meta.id);
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
}
