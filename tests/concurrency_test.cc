// Many threads, and several API servers sharing one store, allocating in one subnet: every
// address handed out is distinct, none is lost, and the store's keys stay consistent. Runs on
// SQLite (the servers share one store object, as only one process may open the file) and on a
// real etcd, where each server has its own client and connection, as separate plasmanetd
// replicas would.

#include <atomic>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include <absl/strings/str_cat.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "service/services.h"
#include "store/etcd/etcd_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store_consistency.h"
#include "testing/etcd_server.h"

namespace plasmanet {
namespace {

using service::RequestContext;
using service::Services;

struct Backend {
  std::string name;
  bool etcd = false;
};

void PrintTo(const Backend& backend, std::ostream* os) { *os << backend.name; }

class ConcurrencyTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("plasmanet-concurrency-", getpid(), "-", GetParam().name);
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    if (GetParam().etcd) {
      ASSERT_TRUE(etcd_.Start().ok());
    }
    store_ = OpenStore();
    ASSERT_NE(store_, nullptr);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<store::Store> OpenStore() {
    if (GetParam().etcd) {
      auto store = store::etcd::EtcdStore::Open(etcd_.store_url().substr(5));
      EXPECT_TRUE(store.ok()) << store.status();
      return store.ok() ? std::move(*store) : nullptr;
    }
    auto store = store::sqlite::SqliteStore::Open((dir_ / "store.db").string());
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  // Creates `threads` x `per_thread` ports in one subnet, spreading the threads over
  // `servers` independent Services (each with its own in-memory IPAM, like separate processes).
  void Run(int servers, int threads, int per_thread, const std::string& cidr) {
    std::vector<std::unique_ptr<store::Store>> own_stores;  // etcd: one client per server
    std::vector<std::unique_ptr<Services>> fleet;
    for (int i = 0; i < servers; ++i) {
      store::Store* store = store_.get();
      if (GetParam().etcd && i > 0) {
        own_stores.push_back(OpenStore());
        ASSERT_NE(own_stores.back(), nullptr);
        store = own_stores.back().get();
      }
      fleet.push_back(std::make_unique<Services>(*store, clock_));
    }
    absl::StatusOr<model::Vpc> vpc = fleet[0]->vpcs.Create(ctx_, {.cidr_blocks = {"10.0.0.0/8"}});
    ASSERT_TRUE(vpc.ok()) << vpc.status();
    absl::StatusOr<model::Subnet> subnet =
        fleet[0]->subnets.Create(ctx_, {.vpc_id = vpc->meta.id, .ipv4_cidr = cidr});
    ASSERT_TRUE(subnet.ok()) << subnet.status();

    std::mutex mu;
    std::map<std::string, std::string> ip_to_port;  // every acknowledged allocation
    std::atomic<int> errors{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        Services& server = *fleet[t % servers];
        for (int i = 0; i < per_thread; ++i) {
          absl::StatusOr<model::Port> port =
              server.ports.Create(ctx_, {.subnet_id = subnet->meta.id});
          if (!port.ok()) {
            ADD_FAILURE() << port.status();
            ++errors;
            continue;
          }
          std::lock_guard lock(mu);
          const std::string ip = port->fixed_ips.at(0).ToString();
          EXPECT_TRUE(ip_to_port.emplace(ip, port->meta.id).second)
              << "address handed out twice: " << ip;
        }
      });
    }
    for (std::thread& w : workers) w.join();

    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(ip_to_port.size(), static_cast<size_t>(threads * per_thread));
    std::map<std::string, model::Port> stored;
    EXPECT_EQ(testing::CheckPortKeys(*store_, &stored), std::vector<std::string>{});
    EXPECT_EQ(stored.size(), ip_to_port.size()) << "ports lost or invented";
    for (const auto& [ip, id] : ip_to_port) {
      ASSERT_TRUE(stored.count(id)) << "acknowledged port " << id << " missing";
      EXPECT_EQ(stored[id].fixed_ips.at(0).ToString(), ip);
    }
  }

  FakeClock clock_;
  std::filesystem::path dir_;
  testing::EtcdServer etcd_;
  std::unique_ptr<store::Store> store_;
  const RequestContext ctx_{{"alice", {"acme", "web"}, {auth::Role::kMember}}, std::nullopt};
};

TEST_P(ConcurrencyTest, ManyThreadsOneServerNeverShareAnAddress) {
  Run(/*servers=*/1, /*threads=*/16, /*per_thread=*/60, "10.0.0.0/22");
}

TEST_P(ConcurrencyTest, SeveralServersOnOneStoreNeverShareAnAddress) {
  // Each server's allocator proposes the same first free addresses; only the store's
  // create-if-absent decides, and the losers must retry with another address.
  Run(/*servers=*/4, /*threads=*/16, /*per_thread=*/40, "10.0.0.0/22");
}

TEST_P(ConcurrencyTest, FillingASubnetExactlyToCapacity) {
  // A /26 has 61 allocatable addresses (64 minus network, gateway, broadcast).
  Run(/*servers=*/2, /*threads=*/61, /*per_thread=*/1, "10.0.0.0/26");
}

INSTANTIATE_TEST_SUITE_P(Backends, ConcurrencyTest,
                         ::testing::Values(Backend{"sqlite", false}, Backend{"etcd", true}),
                         [](const ::testing::TestParamInfo<Backend>& param_info) {
                           return param_info.param.name;
                         });

}  // namespace
}  // namespace plasmanet
