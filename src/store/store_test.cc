// The Store contract, run against every backend: SQLite, and etcd (a real one-member etcd per
// test, which starts in about 0.2 s). Revisions are counted from the store's revision when the
// test opened it (rev0_): a new SQLite store starts at 0, a new etcd at 1.

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

#include "store/etcd/etcd_store.h"
#include "store/sqlite/sqlite_store.h"
#include "testing/etcd_server.h"
#include "testing/status_matchers.h"

namespace plasmanet::store {
namespace {

using ::plasmanet::testing::IsOk;
using ::plasmanet::testing::StatusIs;
using ::testing::HasSubstr;

// Where a test's store lives: a directory, and for etcd a server of its own.
struct BackendEnv {
  std::string dir;
  std::string etcd_url;  // "etcd:http://127.0.0.1:<port>" when the backend needs etcd
};

// A backend under test: opens (or reopens) a store on the same data.
struct Backend {
  std::string name;
  bool needs_etcd = false;
  std::function<StorePtr(const BackendEnv& env, int64_t retained)> open;
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
    env_.dir = dir_.string();
    if (GetParam().needs_etcd) {
      etcd_ = std::make_unique<testing::EtcdServer>();
      ASSERT_THAT(etcd_->Start(), IsOk());
      env_.etcd_url = etcd_->store_url();
    }
    Reopen();
    absl::StatusOr<int64_t> revision = store_->CurrentRevision();
    ASSERT_THAT(revision, IsOk());
    rev0_ = *revision;
  }
  void TearDown() override {
    store_.reset();
    etcd_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen(int64_t retained = 100'000) {
    store_.reset();
    store_ = GetParam().open(env_, retained);
    ASSERT_NE(store_, nullptr);
  }
  // The store revision `n` commits after the test began.
  int64_t Rev(int64_t n) const { return rev0_ + n; }

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
  BackendEnv env_;
  std::unique_ptr<testing::EtcdServer> etcd_;
  StorePtr store_;
  int64_t rev0_ = 0;
};

TEST_P(StoreTest, PutTracksRevisionsAndVersions) {
  EXPECT_EQ(Put("/a", "1").revision, Rev(1));
  EXPECT_EQ(Put("/b", "x").revision, Rev(2));
  EXPECT_EQ(Put("/a", "2").revision, Rev(3));
  std::optional<KeyValue> a = Get("/a");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->value, "2");
  EXPECT_EQ(a->create_revision, Rev(1));
  EXPECT_EQ(a->mod_revision, Rev(3));
  EXPECT_EQ(a->version, 2);
  EXPECT_EQ(Get("/missing"), std::nullopt);
  EXPECT_EQ(*store_->CurrentRevision(), Rev(3));
}

TEST_P(StoreTest, FailedCompareChangesNothing) {
  Put("/ipam/s1/10.0.0.5", "port-1");
  TxnResult r = MustCommit(Txn{{Compare::Absent("/other"), Compare::Absent("/ipam/s1/10.0.0.5")},
                               {Op::Put("/ports/p2", "x"), Op::Put("/ipam/s1/10.0.0.5", "p2")}});
  EXPECT_FALSE(r.succeeded);
  EXPECT_EQ(r.failed_compare, 1);
  EXPECT_EQ(r.revision, Rev(1));
  EXPECT_EQ(Get("/ports/p2"), std::nullopt);
  EXPECT_EQ(Get("/ipam/s1/10.0.0.5")->value, "port-1");
  EXPECT_EQ(*store_->CurrentRevision(), Rev(1));
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
  EXPECT_EQ(MustCommit(Txn{{}, {Op::Delete("/a")}}).revision, Rev(2));
  EXPECT_EQ(Get("/a"), std::nullopt);
  TxnResult noop = MustCommit(Txn{{}, {Op::Delete("/a")}});
  EXPECT_TRUE(noop.succeeded);
  EXPECT_EQ(noop.revision, Rev(2));
  // A transaction of compares only changes nothing either.
  EXPECT_EQ(MustCommit(Txn{{Compare::Absent("/a")}, {}}).revision, Rev(2));
  EXPECT_EQ(*store_->CurrentRevision(), Rev(2));
  // Recreated keys start a new life: version 1, new create_revision.
  Put("/a", "again");
  EXPECT_EQ(Get("/a")->version, 1);
  EXPECT_EQ(Get("/a")->create_revision, Rev(3));
}

TEST_P(StoreTest, RangePaginatesInKeyOrderWithinPrefix) {
  for (const char* k : {"/p/c", "/p/a", "/p/e", "/p/b", "/p/d", "/q/a", "/o/z"}) Put(k, k);
  absl::StatusOr<RangeResult> page1 = store_->Range({.prefix = "/p/", .limit = 2});
  ASSERT_THAT(page1, IsOk());
  ASSERT_EQ(page1->kvs.size(), 2u);
  EXPECT_EQ(page1->kvs[0].key, "/p/a");
  EXPECT_EQ(page1->kvs[1].key, "/p/b");
  EXPECT_TRUE(page1->more);
  EXPECT_EQ(page1->revision, Rev(7));
  absl::StatusOr<RangeResult> page2 =
      store_->Range({.prefix = "/p/", .start_after = "/p/b", .limit = 10});
  ASSERT_THAT(page2, IsOk());
  ASSERT_EQ(page2->kvs.size(), 3u);
  EXPECT_EQ(page2->kvs[2].key, "/p/e");
  EXPECT_FALSE(page2->more);
  EXPECT_EQ(store_->Range({.prefix = ""})->kvs.size(), 7u);
  // A page token past the prefix, or before it, is no problem.
  EXPECT_TRUE(store_->Range({.prefix = "/p/", .start_after = "/q/"})->kvs.empty());
  EXPECT_EQ(store_->Range({.prefix = "/p/", .start_after = "/a"})->kvs.size(), 5u);
}

TEST_P(StoreTest, WatchDeliversChangesUnderPrefixInOrder) {
  Put("/ports/p0", "before");
  absl::StatusOr<std::unique_ptr<Watcher>> w = store_->Watch("/ports/", Rev(1));
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
  EXPECT_EQ(events[0].kv.mod_revision, Rev(2));
  EXPECT_EQ(events[0].kv.create_revision, Rev(2));
  EXPECT_EQ(events[0].kv.version, 1);
  EXPECT_EQ(events[1].kv.key, "/ports/p2");
  EXPECT_EQ(events[1].type, Event::Type::kPut);
  EXPECT_EQ(events[2].kv.key, "/ports/p1");
  EXPECT_EQ(events[2].type, Event::Type::kDelete);
  EXPECT_EQ(events[2].kv.mod_revision, Rev(4));
  EXPECT_EQ(events[2].kv.value, "a");  // the value it had, so a watcher knows what went
}

TEST_P(StoreTest, WatchWakesForCommitFromAnotherThread) {
  absl::StatusOr<std::unique_ptr<Watcher>> w = store_->Watch("/x/", Rev(0));
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
  absl::StatusOr<std::unique_ptr<Watcher>> early = store_->Watch("/", Rev(1));
  ASSERT_THAT(early, IsOk());
  ASSERT_THAT(store_->Compact(Rev(3)), IsOk());
  EXPECT_THAT(store_->Watch("/", Rev(2)),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("compacted")));
  // A watcher opened before the compaction either still delivers the history it was promised
  // (etcd may have sent it already) or fails with OUT_OF_RANGE (SQLite reads lazily); it never
  // skips a change.
  std::vector<Event> delivered;
  absl::Status early_status;
  while (delivered.size() < 4) {
    absl::StatusOr<std::vector<Event>> batch = (*early)->Next(absl::Seconds(1));
    if (!batch.ok()) {
      early_status = batch.status();
      break;
    }
    if (batch->empty()) break;
    delivered.insert(delivered.end(), batch->begin(), batch->end());
  }
  if (!early_status.ok()) {
    EXPECT_THAT(early_status, StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("compacted")));
  } else {
    ASSERT_EQ(delivered.size(), 4u);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(delivered[i].kv.mod_revision, Rev(2 + i));
  }
  absl::StatusOr<std::unique_ptr<Watcher>> ok = store_->Watch("/", Rev(3));
  ASSERT_THAT(ok, IsOk());
  absl::StatusOr<std::vector<Event>> events = (*ok)->Next(absl::Seconds(1));
  ASSERT_THAT(events, IsOk());
  EXPECT_EQ(events->size(), 2u);
  // The current revision can be compacted too; nothing beyond it.
  EXPECT_THAT(store_->Compact(Rev(5)), IsOk());
  EXPECT_THAT(store_->Compact(Rev(6)),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("current revision")));
  // Compacting an older revision again is harmless.
  EXPECT_THAT(store_->Compact(Rev(2)), IsOk());
}

TEST_P(StoreTest, AutomaticCompactionKeepsRecentHistory) {
  Reopen(/*retained=*/10);
  for (int i = 0; i < 30; ++i) Put("/k", absl::StrCat(i));
  EXPECT_THAT(store_->Watch("/", Rev(5)),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("compacted")));
  EXPECT_THAT(store_->Watch("/", Rev(25)), IsOk());
}

// Every kind of compare, alone between one that holds and one that fails: failed_compare names
// it exactly when it fails, and the next one when it holds. Services tell conflicts apart by it.
TEST_P(StoreTest, FailedCompareIsExactForEveryKindOfCompare) {
  Put("/a", "1");    // Rev(1)
  Put("/a", "2");    // Rev(2): /a created 1, modified 2, version 2
  Put("/p/x", "1");  // Rev(3)
  Put("/p/y", "1");  // Rev(4): /p/y created 4, modified 4, version 1
  Put("/p/x", "2");  // Rev(5): /p/x created 3, modified 5, version 2
  using T = Compare::Target;
  using O = Compare::Op;
  const auto c = [](std::string key, bool prefix, T target, O op, int64_t value) {
    return Compare{std::move(key), prefix, target, op, value};
  };
  const struct {
    Compare compare;
    bool holds;
  } cases[] = {
      {c("/a", false, T::kVersion, O::kEqual, 2), true},
      {c("/a", false, T::kVersion, O::kEqual, 1), false},
      {c("/a", false, T::kVersion, O::kLess, 3), true},
      {c("/a", false, T::kVersion, O::kLess, 2), false},
      {c("/a", false, T::kVersion, O::kGreater, 1), true},
      {c("/a", false, T::kVersion, O::kGreater, 2), false},
      {c("/a", false, T::kCreateRevision, O::kEqual, Rev(1)), true},
      {c("/a", false, T::kCreateRevision, O::kLess, Rev(1)), false},
      {c("/a", false, T::kCreateRevision, O::kGreater, Rev(0)), true},
      {c("/a", false, T::kModRevision, O::kEqual, Rev(2)), true},
      {c("/a", false, T::kModRevision, O::kEqual, Rev(1)), false},
      {c("/a", false, T::kModRevision, O::kGreater, Rev(2)), false},
      {c("/a", false, T::kModRevision, O::kLess, Rev(3)), true},
      // A missing key compares as all zeros.
      {c("/zz", false, T::kVersion, O::kEqual, 0), true},
      {c("/zz", false, T::kCreateRevision, O::kLess, 1), true},
      {c("/zz", false, T::kModRevision, O::kGreater, 0), false},
      // A prefix compare holds only if it holds for every key under it (/p/x and /p/y).
      {c("/p/", true, T::kVersion, O::kEqual, 1), false},
      {c("/p/", true, T::kVersion, O::kEqual, 2), false},
      {c("/p/", true, T::kVersion, O::kGreater, 0), true},
      {c("/p/", true, T::kVersion, O::kGreater, 1), false},
      {c("/p/", true, T::kVersion, O::kLess, 3), true},
      {c("/p/", true, T::kVersion, O::kLess, 2), false},
      {c("/p/", true, T::kCreateRevision, O::kGreater, Rev(2)), true},
      {c("/p/", true, T::kCreateRevision, O::kGreater, Rev(3)), false},
      {c("/p/", true, T::kCreateRevision, O::kLess, Rev(5)), true},
      {c("/p/", true, T::kCreateRevision, O::kLess, Rev(4)), false},
      {c("/p/", true, T::kCreateRevision, O::kEqual, Rev(3)), false},
      {c("/p/", true, T::kModRevision, O::kLess, Rev(6)), true},
      {c("/p/", true, T::kModRevision, O::kLess, Rev(5)), false},
      {c("/p/", true, T::kModRevision, O::kGreater, Rev(3)), true},
      {c("/p/", true, T::kModRevision, O::kGreater, Rev(4)), false},
      {c("/a", true, T::kModRevision, O::kEqual, Rev(2)), true},
      {Compare::PrefixUnchangedSince("/p/", Rev(4)), false},
      {Compare::PrefixUnchangedSince("/p/", Rev(5)), true},
      // An empty prefix compares as one missing key; the empty prefix covers every key.
      {Compare::PrefixEmpty("/none/"), true},
      {Compare::PrefixEmpty("/p/"), false},
      {c("/none/", true, T::kModRevision, O::kGreater, 0), false},
      {c("", true, T::kVersion, O::kGreater, 0), true},
      {c("", true, T::kVersion, O::kEqual, 2), false},
  };
  for (size_t i = 0; i < std::size(cases); ++i) {
    SCOPED_TRACE(absl::StrCat("case ", i, ": key '", cases[i].compare.key, "'"));
    TxnResult r = MustCommit(
        Txn{{Compare::Exists("/a"), cases[i].compare, Compare::Absent("/a")}, {Op::Put("/b", "")}});
    EXPECT_FALSE(r.succeeded);
    EXPECT_EQ(r.failed_compare, cases[i].holds ? 2 : 1);
    EXPECT_EQ(r.revision, Rev(5));
  }
  EXPECT_EQ(Get("/b"), std::nullopt);
}

TEST_P(StoreTest, StateAndRevisionSurviveReopen) {
  Put("/a", "1");
  Put("/b", "2");
  MustCommit(Txn{{}, {Op::Delete("/a")}});
  Reopen();
  EXPECT_EQ(*store_->CurrentRevision(), Rev(3));
  EXPECT_EQ(Get("/a"), std::nullopt);
  EXPECT_EQ(Get("/b")->value, "2");
  EXPECT_EQ(Put("/c", "3").revision, Rev(4));
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
  EXPECT_EQ(*all.begin(), Rev(1));
  EXPECT_EQ(*all.rbegin(), Rev(kThreads * kPerThread));
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
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("expected sqlite:PATH or etcd:http://HOST:PORT")));
  EXPECT_THAT(OpenStore("sqlite:"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("path is required")));
  EXPECT_THAT(OpenStore("sqlite:/nonexistent-dir/x/y.db"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("cannot open")));
  EXPECT_THAT(OpenStore("etcd:"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no endpoint")));
  EXPECT_THAT(OpenStore("etcd:ftp://127.0.0.1:2379"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown scheme 'ftp'")));
}

TEST(OpenStoreTest, OpensEtcdUrls) {
  testing::EtcdServer etcd;
  ASSERT_THAT(etcd.Start(), IsOk());
  absl::StatusOr<StorePtr> store = OpenStore(etcd.store_url());
  ASSERT_THAT(store, IsOk());
  EXPECT_THAT((*store)->CurrentRevision(), IsOk());
}

StorePtr OpenSqlite(const BackendEnv& env, int64_t retained) {
  auto s = sqlite::SqliteStore::Open(env.dir + "/store.db", {.retained_revisions = retained});
  EXPECT_THAT(s, IsOk());
  return s.ok() ? std::move(*s) : nullptr;
}

StorePtr OpenEtcd(const BackendEnv& env, int64_t retained) {
  auto s =
      etcd::EtcdStore::Open(absl::StrCat(env.etcd_url.substr(5), "?retained-revisions=", retained));
  EXPECT_THAT(s, IsOk());
  return s.ok() ? std::move(*s) : nullptr;
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest,
                         ::testing::Values(Backend{"sqlite", false, OpenSqlite},
                                           Backend{"etcd", true, OpenEtcd}),
                         [](const ::testing::TestParamInfo<Backend>& param_info) {
                           return param_info.param.name;
                         });

}  // namespace
}  // namespace plasmanet::store
