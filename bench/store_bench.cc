// Store commit throughput: SQLite with and without group commit, and etcd.
//
// Each iteration commits one transaction (a create-if-absent compare and one put, the shape of
// an IPAM allocation).
//   BM_Commit: a durable SQLite store (WAL, synchronous=FULL). The batch argument is
//     SqliteStoreOptions::max_batch: 1 makes every transaction pay its own fsync (the baseline),
//     512 lets concurrent writers share one.
//   BM_EtcdCommit: a real one-member etcd (3.4, fsync on every Raft batch) on loopback, started
//     afresh for each run, through one EtcdStore shared by all threads as plasmanetd shares it.
// Run them in one invocation and compare the ratios: the machine's fsync latency dominates the
// absolute numbers.

#include <atomic>
#include <filesystem>
#include <memory>

#include <absl/strings/str_cat.h>
#include <benchmark/benchmark.h>
#include <unistd.h>

#include "common/logging.h"
#include "store/etcd/etcd_store.h"
#include "store/sqlite/sqlite_store.h"
#include "testing/etcd_server.h"

namespace plasmanet::store {
namespace {

std::unique_ptr<sqlite::SqliteStore> g_store;
std::filesystem::path g_dir;
std::atomic<int64_t> g_key{0};
int64_t g_commits_before = 0;

void BM_Commit(benchmark::State& state) {
  if (state.thread_index() == 0) {
    g_dir =
        std::filesystem::temp_directory_path() / absl::StrCat("plasmanet-store-bench-", getpid());
    std::filesystem::remove_all(g_dir);
    std::filesystem::create_directories(g_dir);
    auto store = sqlite::SqliteStore::Open((g_dir / "store.db").string(),
                                           {.max_batch = static_cast<size_t>(state.range(0))});
    if (!store.ok()) {
      state.SkipWithError(std::string(store.status().message()).c_str());
      return;
    }
    g_store = std::move(*store);
    g_commits_before = g_store->commits_for_test();
  }
  for (auto _ : state) {
    const std::string key = absl::StrCat("/v1/ipam/bench/", g_key.fetch_add(1));
    absl::StatusOr<TxnResult> r = g_store->Commit(Txn{{Compare::Absent(key)}, {Op::Put(key, "p")}});
    if (!r.ok() || !r->succeeded) {
      state.SkipWithError("commit failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    const int64_t txns = g_key.exchange(0);
    const int64_t commits = g_store->commits_for_test() - g_commits_before;
    state.counters["txn_per_fsync"] =
        benchmark::Counter(commits > 0 ? static_cast<double>(txns) / commits : 0);
    g_store.reset();
    std::filesystem::remove_all(g_dir);
  }
}

BENCHMARK(BM_Commit)
    ->ArgName("max_batch")
    ->Arg(1)
    ->Arg(512)
    ->Threads(1)
    ->Threads(8)
    ->Threads(32)
    ->Threads(128)
    ->UseRealTime()
    ->MinTime(1.0);

std::unique_ptr<testing::EtcdServer> g_etcd;
std::unique_ptr<etcd::EtcdStore> g_etcd_store;

void BM_EtcdCommit(benchmark::State& state) {
  if (state.thread_index() == 0) {
    g_etcd = std::make_unique<testing::EtcdServer>();
    absl::Status started = g_etcd->Start();
    absl::StatusOr<std::unique_ptr<etcd::EtcdStore>> store =
        started.ok() ? etcd::EtcdStore::Open(g_etcd->store_url().substr(5))
                     : absl::StatusOr<std::unique_ptr<etcd::EtcdStore>>(started);
    if (!store.ok()) {
      state.SkipWithError(std::string(store.status().message()).c_str());
      return;
    }
    g_etcd_store = std::move(*store);
  }
  for (auto _ : state) {
    const std::string key = absl::StrCat("/v1/ipam/bench/", g_key.fetch_add(1));
    absl::StatusOr<TxnResult> r =
        g_etcd_store->Commit(Txn{{Compare::Absent(key)}, {Op::Put(key, "p")}});
    if (!r.ok() || !r->succeeded) {
      state.SkipWithError("commit failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    g_key.store(0);
    g_etcd_store.reset();
    g_etcd.reset();
  }
}

BENCHMARK(BM_EtcdCommit)->Threads(1)->Threads(8)->Threads(32)->UseRealTime()->MinTime(1.0);

}  // namespace
}  // namespace plasmanet::store

int main(int argc, char** argv) {
  // Keep the store's open/close lines out of the benchmark table.
  plasmanet::InitLogging("store_bench", plasmanet::LogLevel::kWarn);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
