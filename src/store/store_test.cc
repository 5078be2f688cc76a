// The Store contract, run against every backend (today: sqlite; etcd joins in issue #10).

#include "store/store.h"

#include <atomic>
#include <filesystem>
#include <functional>
#include <set>
#include <thread>

#include <absl/strings/str_cat.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "store/sqlite/sqlite_store.h"
#include "testing/status_matchers.h"

namespace plasmanet::store {
namespace {

using ::plasmanet::testing::IsOk;
using ::plasmanet::testing::StatusIs;
using ::testing::HasSubstr;

// A backend under test: opens (or reopens) a store on the same data.
struct Backend {
  std::string name;
  std::function<StorePtr(const std::string& dir, int64_t retained)> open;
};

// Names the backend in test listings instead of dumping its bytes.
void PrintTo(const Backend& backend, std::ostream* os) { *os << backend.name; }

class StoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("plasmanet-store-test-", getpid(), "-",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen(int64_t retained = 100'000) {
    store_.reset();
    store_ = GetParam().open(dir_.string(), retained);
    ASSERT_NE(store_, nullptr);
  }

  TxnResult MustCommit(Txn txn) {
    absl::StatusOr<TxnResult> r = store_->Commit(std::move(txn));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : TxnResult{};
  }
  TxnResult Put(const std::string& k, const std::string& v) {
    return MustCommit(Txn{{}, {Op::Put(k, v)}});
  }
  std::optional<KeyValue> Get(const std::string& k) { return *store_->Get(k); }

  std::filesystem::path dir_;
  StorePtr store_;
};

TEST_P(StoreTest, PutTracksRevisionsAndVersions) {
  EXPECT_EQ(Put("/a", "1").revision, 1);
  EXPECT_EQ(Put("/b", "x").revision, 2);
  EXPECT_EQ(Put("/a", "2").revision, 3);
  std::optional<KeyValue> a = Get("/a");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->value, "2");
  EXPECT_EQ(a->create_revision, 1);
  EXPECT_EQ(a->mod_revision, 3);
  EXPECT_EQ(a->version, 2);
  EXPECT_EQ(Get("/missing"), std::nullopt);
  EXPECT_EQ(*store_->CurrentRevision(), 3);
}

TEST_P(StoreTest, FailedCompareChangesNothing) {
  Put("/ipam/s1/10.0.0.5", "port-1");
  TxnResult r = MustCommit(Txn{{Compare::Absent("/other"), Compare::Absent("/ipam/s1/10.0.0.5")},
                               {Op::Put("/ports/p2", "x"), Op::Put("/ipam/s1/10.0.0.5", "p2")}});
  EXPECT_FALSE(r.succeeded);
  EXPECT_EQ(r.failed_compare, 1);
  EXPECT_EQ(r.revision, 1);
  EXPECT_EQ(Get("/ports/p2"), std::nullopt);
  EXPECT_EQ(Get("/ipam/s1/10.0.0.5")->value, "port-1");
  EXPECT_EQ(*store_->CurrentRevision(), 1);
}

TEST_P(StoreTest, ModRevisionCompareGuardsReadModifyWrite) {
  const int64_t rev = Put("/vpc", "v1").revision;
  EXPECT_TRUE(
      MustCommit(Txn{{Compare::ModRevisionIs("/vpc", rev)}, {Op::Put("/vpc", "v2")}}).succeeded);
  // A writer that read the old revision loses.
  EXPECT_FALSE(
      MustCommit(Txn{{Compare::ModRevisionIs("/vpc", rev)}, {Op::Put("/vpc", "v3")}}).succeeded);
  EXPECT_EQ(Get("/vpc")->value, "v2");
  // A missing key has mod_revision 0: ModRevisionIs(rev) fails for it.
  EXPECT_FALSE(MustCommit(Txn{{Compare::ModRevisionIs("/gone", rev)}, {}}).succeeded);
}

TEST_P(StoreTest, PrefixComparesCoverEveryKeyAndEmptyPrefixes) {
  EXPECT_TRUE(MustCommit(Txn{{Compare::PrefixEmpty("/idx/vpc1/")}, {}}).succeeded);
  const int64_t rev = Put("/idx/vpc1/s1", "").revision;
  Put("/idx/vpc10", "");  // shares the text prefix "/idx/vpc1" but not "/idx/vpc1/"
  EXPECT_FALSE(MustCommit(Txn{{Compare::PrefixEmpty("/idx/vpc1/")}, {}}).succeeded);
  EXPECT_TRUE(MustCommit(Txn{{Compare::PrefixEmpty("/idx/vpc2/")}, {}}).succeeded);

  EXPECT_TRUE(MustCommit(Txn{{Compare::PrefixUnchangedSince("/idx/vpc1/", rev)}, {}}).succeeded);
  Put("/idx/vpc1/s2", "");
  EXPECT_FALSE(MustCommit(Txn{{Compare::PrefixUnchangedSince("/idx/vpc1/", rev)}, {}}).succeeded);
}

TEST_P(StoreTest, DeleteRemovesAndMissingDeleteIsNoChange) {
  Put("/a", "1");
  EXPECT_EQ(MustCommit(Txn{{}, {Op::Delete("/a")}}).revision, 2);
  EXPECT_EQ(Get("/a"), std::nullopt);
  TxnResult noop = MustCommit(Txn{{}, {Op::Delete("/a")}});
  EXPECT_TRUE(noop.succeeded);
  EXPECT_EQ(noop.revision, 2);
  // Recreated keys start a new life: version 1, new create_revision.
  Put("/a", "again");
  EXPECT_EQ(Get("/a")->version, 1);
  EXPECT_EQ(Get("/a")->create_revision, 3);
}

TEST_P(StoreTest, RangePaginatesInKeyOrderWithinPrefix) {
  for (const char* k : {"/p/c", "/p/a", "/p/e", "/p/b", "/p/d", "/q/a", "/o/z"}) Put(k, k);
  absl::StatusOr<RangeResult> page1 = store_->Range({.prefix = "/p/", .limit = 2});
  ASSERT_THAT(page1, IsOk());
  ASSERT_EQ(page1->kvs.size(), 2u);
  EXPECT_EQ(page1->kvs[0].key, "/p/a");
  EXPECT_EQ(page1->kvs[1].key, "/p/b");
  EXPECT_TRUE(page1->more);
  EXPECT_EQ(page1->revision, 7);
  absl::StatusOr<RangeResult> page2 =
      store_->Range({.prefix = "/p/", .start_after = "/p/b", .limit = 10});
  ASSERT_THAT(page2, IsOk());
  ASSERT_EQ(page2->kvs.size(), 3u);
  EXPECT_EQ(page2->kvs[2].key, "/p/e");
  EXPECT_FALSE(page2->more);
  EXPECT_EQ(store_->Range({.prefix = ""})->kvs.size(), 7u);
}

TEST_P(StoreTest, WatchDeliversChangesUnderPrefixInOrder) {
  Put("/ports/p0", "before");
  absl::StatusOr<std::unique_ptr<Watcher>> w = store_->Watch("/ports/", 1);
  ASSERT_THAT(w, IsOk());
  Put("/ports/p1", "a");
  Put("/subnets/s1", "ignored");
  MustCommit(Txn{{}, {Op::Put("/ports/p2", "b"), Op::Delete("/ports/p1")}});

  std::vector<Event> events;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (events.size() < 3 && absl::Now() < deadline) {
    absl::StatusOr<std::vector<Event>> batch = (*w)->Next(absl::Seconds(1));
    ASSERT_THAT(batch, IsOk());
    events.insert(events.end(), batch->begin(), batch->end());
  }
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].kv.key, "/ports/p1");
  EXPECT_EQ(events[0].kv.mod_revision, 2);
  EXPECT_EQ(events[1].kv.key, "/ports/p2");
  EXPECT_EQ(events[1].type, Event::Type::kPut);
  EXPECT_EQ(events[2].kv.key, "/ports/p1");
  EXPECT_EQ(events[2].type, Event::Type::kDelete);
  EXPECT_EQ(events[2].kv.mod_revision, 4);
  EXPECT_EQ(events[2].kv.value, "a");  // the value it had, so a watcher knows what went
}

TEST_P(StoreTest, WatchWakesForCommitFromAnotherThread) {
  absl::StatusOr<std::unique_ptr<Watcher>> w = store_->Watch("/x/", 0);
  ASSERT_THAT(w, IsOk());
  std::thread writer([&] {
    absl::SleepFor(absl::Milliseconds(50));
    Put("/x/1", "v");
  });
  absl::StatusOr<std::vector<Event>> events = (*w)->Next(absl::Seconds(10));
  writer.join();
  ASSERT_THAT(events, IsOk());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].kv.value, "v");
  // Nothing more: Next times out with an empty batch.
  EXPECT_TRUE((*w)->Next(absl::Milliseconds(20))->empty());
}

TEST_P(StoreTest, WatchFromCompactedRevisionIsOutOfRange) {
  for (int i = 0; i < 5; ++i) Put("/k", absl::StrCat(i));
  absl::StatusOr<std::unique_ptr<Watcher>> early = store_->Watch("/", 1);
  ASSERT_THAT(early, IsOk());
  ASSERT_THAT(store_->Compact(3), IsOk());
  EXPECT_THAT(store_->Watch("/", 2),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("compacted")));
  EXPECT_THAT((*early)->Next(absl::Seconds(1)),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("compacted")));
  absl::StatusOr<std::unique_ptr<Watcher>> ok = store_->Watch("/", 3);
  ASSERT_THAT(ok, IsOk());
  absl::StatusOr<std::vector<Event>> events = (*ok)->Next(absl::Seconds(1));
  ASSERT_THAT(events, IsOk());
  EXPECT_EQ(events->size(), 2u);
}

TEST_P(StoreTest, AutomaticCompactionKeepsRecentHistory) {
  Reopen(/*retained=*/10);
  for (int i = 0; i < 30; ++i) Put("/k", absl::StrCat(i));
  EXPECT_THAT(store_->Watch("/", 5),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("compacted")));
  EXPECT_THAT(store_->Watch("/", 25), IsOk());
}

TEST_P(StoreTest, StateAndRevisionSurviveReopen) {
  Put("/a", "1");
  Put("/b", "2");
  MustCommit(Txn{{}, {Op::Delete("/a")}});
  Reopen();
  EXPECT_EQ(*store_->CurrentRevision(), 3);
  EXPECT_EQ(Get("/a"), std::nullopt);
  EXPECT_EQ(Get("/b")->value, "2");
  EXPECT_EQ(Put("/c", "3").revision, 4);
}

TEST_P(StoreTest, ConcurrentCreateIfAbsentHasExactlyOneWinner) {
  constexpr int kThreads = 16;
  std::atomic<int> winners{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      absl::StatusOr<TxnResult> r = store_->Commit(Txn{
          {Compare::Absent("/ipam/s/10.0.0.9")}, {Op::Put("/ipam/s/10.0.0.9", absl::StrCat(t))}});
      ASSERT_TRUE(r.ok()) << r.status();
      if (r->succeeded) ++winners;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(winners.load(), 1);
  EXPECT_EQ(Get("/ipam/s/10.0.0.9")->version, 1);
}

TEST_P(StoreTest, ConcurrentWritersGetDistinctContiguousRevisions) {
  constexpr int kThreads = 16;
  constexpr int kPerThread = 40;
  std::vector<std::vector<int64_t>> revisions(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        absl::StatusOr<TxnResult> r =
            store_->Commit(Txn{{}, {Op::Put(absl::StrCat("/w/", t, "/", i), "v")}});
        ASSERT_TRUE(r.ok() && r->succeeded);
        revisions[t].push_back(r->revision);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<int64_t> all;
  for (const auto& v : revisions) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(*all.begin(), 1);
  EXPECT_EQ(*all.rbegin(), kThreads * kPerThread);
}

TEST(SqliteStoreTest, ConcurrentCommitsShareFsyncs) {
  const std::string dir = absl::StrCat(std::filesystem::temp_directory_path().string(),
                                       "/plasmanet-group-commit-", getpid());
  std::filesystem::create_directories(dir);
  auto store = sqlite::SqliteStore::Open(dir + "/db");
  ASSERT_THAT(store, IsOk());
  constexpr int kThreads = 32;
  constexpr int kPerThread = 20;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        ASSERT_TRUE((*store)->Commit(Txn{{}, {Op::Put(absl::StrCat("/g/", t, "/", i), "")}}).ok());
      }
    });
  }
  for (std::thread& t : threads) t.join();
  // Group commit: fewer SQLite commits (and so fsyncs) than transactions.
  EXPECT_LT((*store)->commits_for_test(), kThreads * kPerThread);
  EXPECT_EQ(*(*store)->CurrentRevision(), kThreads * kPerThread);
  store->reset();
  std::filesystem::remove_all(dir);
}

TEST(SqliteStoreTest, WalIsCopiedBackInTheBackgroundAndStaysBounded) {
  const std::string dir = absl::StrCat(std::filesystem::temp_directory_path().string(),
                                       "/plasmanet-checkpoint-", getpid());
  std::filesystem::create_directories(dir);
  auto store = sqlite::SqliteStore::Open(dir + "/db");
  ASSERT_THAT(store, IsOk());
  // 3,000 transactions of one 2 KB value each: at least one WAL frame (page) apiece, three
  // times the checkpoint threshold of 1,000 frames.
  const std::string value(2048, 'v');
  for (int i = 0; i < 3000; ++i) {
    ASSERT_THAT((*store)->Commit(Txn{{}, {Op::Put(absl::StrCat("/c/", i), value)}}), IsOk());
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while ((*store)->checkpoints_for_test() == 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_GT((*store)->checkpoints_for_test(), 0);
  // The log restarts from its start once it reaches 4,000 frames, so the file never grows much
  // past that. Without restarts it would hold every frame: about 28,000 (9 a transaction).
  EXPECT_LT(std::filesystem::file_size(dir + "/db-wal"), 5000u * (4096u + 24u));
  // The database file holds what was committed even before the store closes.
  EXPECT_EQ((*(*store)->Get("/c/2999"))->value, value);
  store->reset();
  std::filesystem::remove_all(dir);
}

TEST(SqliteStoreTest, SecondOpenOfTheSameFileIsRefusedUntilClosed) {
  const std::string path = absl::StrCat(std::filesystem::temp_directory_path().string(),
                                        "/plasmanet-lock-", getpid(), ".db");
  auto first = sqlite::SqliteStore::Open(path);
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(sqlite::SqliteStore::Open(path),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("in use")));
  first->reset();
  EXPECT_THAT(sqlite::SqliteStore::Open(path), IsOk());
  for (const char* suffix : {"", "-wal", "-shm", ".lock"}) std::filesystem::remove(path + suffix);
}

TEST(OpenStoreTest, RefusesUnknownKinds) {
  EXPECT_THAT(OpenStore("postgres://x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected sqlite:PATH")));
  EXPECT_THAT(OpenStore("sqlite:"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("path is required")));
  EXPECT_THAT(OpenStore("sqlite:/nonexistent-dir/x/y.db"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("cannot open")));
}

INSTANTIATE_TEST_SUITE_P(
    Backends, StoreTest,
    ::testing::Values(Backend{"sqlite",
                              [](const std::string& dir, int64_t retained) -> StorePtr {
                                auto s = sqlite::SqliteStore::Open(
                                    dir + "/store.db", {.retained_revisions = retained});
                                return s.ok() ? std::move(*s) : nullptr;
                              }}),
    [](const ::testing::TestParamInfo<Backend>& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace plasmanet::store
