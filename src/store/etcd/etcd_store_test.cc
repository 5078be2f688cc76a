// What the etcd backend adds to the Store contract (store_test.cc runs the contract itself on
// etcd): etcd's limits turned into clear errors, failover between members of a real three-member
// cluster, watches that survive a member's crash, quorum loss, authentication, TLS, and the
// lease calls leader election will use. Every test runs real etcd processes.

#include "store/etcd/etcd_store.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "testing/etcd_cluster.h"
#include "testing/etcd_server.h"
#include "testing/ports.h"
#include "testing/status_matchers.h"
#include "testing/wait.h"

namespace plasmanet::store::etcd {
namespace {

using ::plasmanet::testing::EtcdCluster;
using ::plasmanet::testing::EtcdServer;
using ::plasmanet::testing::IsOk;
using ::plasmanet::testing::StatusIs;
using ::plasmanet::testing::WaitFor;
using ::testing::_;
using ::testing::AllOf;
using ::testing::HasSubstr;

std::unique_ptr<EtcdStore> MustOpen(const std::string& url) {
  absl::StatusOr<std::unique_ptr<EtcdStore>> store = EtcdStore::Open(url.substr(5));
  EXPECT_THAT(store, IsOk());
  return store.ok() ? *std::move(store) : nullptr;
}

// Reads a watcher until it has delivered `count` events or `timeout` passes.
std::vector<Event> Collect(Watcher& watcher, size_t count, absl::Duration timeout) {
  std::vector<Event> events;
  const absl::Time deadline = absl::Now() + timeout;
  while (events.size() < count && absl::Now() < deadline) {
    absl::StatusOr<std::vector<Event>> batch = watcher.Next(absl::Milliseconds(200));
    if (!batch.ok()) {
      ADD_FAILURE() << "watch failed: " << batch.status();
      break;
    }
    events.insert(events.end(), batch->begin(), batch->end());
  }
  return events;
}

class EtcdStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(etcd_.Start(), IsOk());
    store_ = MustOpen(etcd_.store_url());
    ASSERT_NE(store_, nullptr);
  }

  EtcdServer etcd_;
  std::unique_ptr<EtcdStore> store_;
};

TEST_F(EtcdStoreTest, TxnOverTheOpLimitIsRefusedAndChangesNothing) {
  const int64_t before = *store_->CurrentRevision();
  Txn puts;
  for (int i = 0; i <= testing::kTestEtcdMaxTxnOps; ++i) {
    puts.ops.push_back(Op::Put(absl::StrCat("/many/", i), "v"));
  }
  EXPECT_THAT(store_->Commit(puts),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("129 puts/deletes"), HasSubstr("max-txn-ops=128"))));
  // Prefix equality compares take two reads each to locate a failure: 65 of them need 130.
  Txn compares;
  for (int i = 0; i < 65; ++i) compares.compares.push_back(Compare::PrefixEmpty("/c/"));
  EXPECT_THAT(store_->Commit(compares),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("130 reads")));
  // A URL that claims a higher limit than the cluster's: etcd refuses, and the message says
  // which flag to look at.
  std::unique_ptr<EtcdStore> optimistic = MustOpen(etcd_.store_url() + "?max-txn-ops=1000");
  EXPECT_THAT(optimistic->Commit(puts),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("too many operations"), HasSubstr("--max-txn-ops"))));
  EXPECT_EQ(*store_->CurrentRevision(), before);
  EXPECT_TRUE(store_->Range({.prefix = "/many/"})->kvs.empty());
  // Exactly at the limit is fine.
  puts.ops.pop_back();
  EXPECT_THAT(store_->Commit(puts), IsOk());
}

TEST_F(EtcdStoreTest, KeyWrittenTwiceInOneTxnIsRefusedAndChangesNothing) {
  const int64_t before = *store_->CurrentRevision();
  EXPECT_THAT(store_->Commit(Txn{{}, {Op::Put("/k", "1"), Op::Put("/k", "2")}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("writes key '/k' twice")));
  EXPECT_THAT(store_->Commit(Txn{{}, {Op::Put("/k", "1"), Op::Delete("/k")}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("twice")));
  EXPECT_EQ(*store_->CurrentRevision(), before);
  EXPECT_EQ(*store_->Get("/k"), std::nullopt);
  // Two deletes of one key are no conflict for etcd.
  EXPECT_THAT(store_->Commit(Txn{{}, {Op::Delete("/k"), Op::Delete("/k")}}), IsOk());
}

TEST_F(EtcdStoreTest, OversizedTxnIsResourceExhausted) {
  const std::string big(1800 * 1024, 'x');
  EXPECT_THAT(store_->Commit(Txn{{}, {Op::Put("/big", big)}}),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("max-request-bytes=")));
  // Past the local check, etcd's own refusal maps to the same code and names its flag.
  std::unique_ptr<EtcdStore> optimistic =
      MustOpen(etcd_.store_url() + "?max-request-bytes=100000000");
  EXPECT_THAT(optimistic->Commit(Txn{{}, {Op::Put("/big", big)}}),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("--max-request-bytes")));
  EXPECT_EQ(*store_->Get("/big"), std::nullopt);
}

TEST_F(EtcdStoreTest, UnreachableClusterIsUnavailableWithinTheDeadline) {
  absl::StatusOr<int> port = testing::PickFreePort();  // nobody listens there
  ASSERT_THAT(port, IsOk());
  const std::string url = absl::StrCat("http://127.0.0.1:", *port);
  const absl::Time start = absl::Now();
  EXPECT_THAT(EtcdStore::Open(url + "?timeout=1s"),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr("etcd unavailable"), HasSubstr(url))));
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));

  // A store whose only member goes away: calls fail within the deadline, then work again.
  std::unique_ptr<EtcdStore> store = MustOpen(etcd_.store_url() + "?timeout=1s");
  ASSERT_THAT(etcd_.Kill(), IsOk());
  const absl::Time before_commit = absl::Now();
  EXPECT_THAT(store->Commit(Txn{{}, {Op::Put("/a", "1")}}),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr(etcd_.client_url())));
  EXPECT_LT(absl::Now() - before_commit, absl::Seconds(3));
  ASSERT_THAT(etcd_.Start(), IsOk());
  EXPECT_THAT(store->Commit(Txn{{}, {Op::Put("/a", "1")}}), IsOk());
}

TEST_F(EtcdStoreTest, WatchEndsWithCancelledWhenTheStoreCloses) {
  absl::StatusOr<std::unique_ptr<Watcher>> watcher = store_->Watch("/", 0);
  ASSERT_THAT(watcher, IsOk());
  store_.reset();
  EXPECT_THAT((*watcher)->Next(absl::Seconds(5)), StatusIs(absl::StatusCode::kCancelled, _));
}

TEST_F(EtcdStoreTest, WatchResumesAcrossAnEtcdRestartWithoutGapsOrRepeats) {
  absl::StatusOr<std::unique_ptr<Watcher>> watcher = store_->Watch("/w/", 0);
  ASSERT_THAT(watcher, IsOk());
  ASSERT_THAT(store_->Commit(Txn{{}, {Op::Put("/w/1", "a")}}), IsOk());
  ASSERT_EQ(Collect(**watcher, 1, absl::Seconds(10)).size(), 1u);
  // The only member restarts: the stream breaks, and the watcher asks again from where it was.
  ASSERT_THAT(etcd_.Stop(), IsOk());
  ASSERT_THAT(etcd_.Start(), IsOk());
  ASSERT_THAT(store_->Commit(Txn{{}, {Op::Put("/w/2", "b")}}), IsOk());
  ASSERT_THAT(store_->Commit(Txn{{}, {Op::Delete("/w/1")}}), IsOk());
  std::vector<Event> events = Collect(**watcher, 2, absl::Seconds(15));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kv.key, "/w/2");
  EXPECT_EQ(events[1].kv.key, "/w/1");
  EXPECT_EQ(events[1].type, Event::Type::kDelete);
  EXPECT_EQ(events[1].kv.value, "a");
  EXPECT_TRUE((*watcher)->Next(absl::Milliseconds(300))->empty());
}

// etcd releases without the fix of etcd-io/etcd#18274 (Debian 12's among them) lose a delete's
// tombstone when compacting at the delete's revision, so a watcher lagging exactly there misses
// the delete. Automatic compaction must therefore stop at revisions that only put, even when
// nearly every revision deletes: here ten of every eleven.
TEST_F(EtcdStoreTest, AutomaticCompactionNeverStopsAtARevisionThatDeleted) {
  std::unique_ptr<EtcdStore> store = MustOpen(etcd_.store_url() + "?retained-revisions=10");
  ASSERT_NE(store, nullptr);
  std::set<int64_t> deleting;
  int64_t first = 0;
  int64_t last = 0;
  // Rounds of one transaction putting ten keys, then ten deleting one each; the last round
  // stops after five deletes.
  for (int round = 0; round < 11; ++round) {
    Txn puts;
    for (int i = 0; i < 10; ++i) puts.ops.push_back(Op::Put(absl::StrCat("/c/", i), "v"));
    absl::StatusOr<TxnResult> put = store->Commit(std::move(puts));
    ASSERT_THAT(put, IsOk());
    if (first == 0) first = put->revision;
    for (int i = 0; i < (round == 10 ? 5 : 10); ++i) {
      absl::StatusOr<TxnResult> del = store->Commit(Txn{{}, {Op::Delete(absl::StrCat("/c/", i))}});
      ASSERT_THAT(del, IsOk());
      deleting.insert(del->revision);
      last = del->revision;
    }
  }
  // Compacting to exactly 10 revisions behind the last commit would stop at a delete.
  ASSERT_EQ(deleting.count(last - 10), 1u);
  // The compaction floor: the lowest `after` a watch may start from (Watch fails below it).
  const auto can_watch = [&](int64_t after) { return store->Watch("/c/", after).ok(); };
  int64_t low = first - 1;
  int64_t high = last;
  ASSERT_TRUE(can_watch(high));
  ASSERT_FALSE(can_watch(low)) << "no automatic compaction in " << last - first + 1
                               << " revisions with 10 retained";
  while (high - low > 1) {
    const int64_t mid = low + (high - low) / 2;
    (can_watch(mid) ? high : low) = mid;
  }
  EXPECT_EQ(deleting.count(high), 0u)
      << "compacted at revision " << high << ", which deleted a key";
  // The last commit compacted, unless the floor was within 11 revisions already, at the newest
  // put at or below last - 10; puts come every 11 revisions.
  EXPECT_GE(high, last - 21) << "history kept far beyond the retained revisions";
}

TEST_F(EtcdStoreTest, LeaseCallsForLeaderElection) {
  EtcdClient& etcd = *store_->client();
  etcdserverpb::LeaseGrantRequest grant;
  grant.set_ttl(30);
  absl::StatusOr<etcdserverpb::LeaseGrantResponse> lease = etcd.LeaseGrant(grant);
  ASSERT_THAT(lease, IsOk());
  ASSERT_NE(lease->id(), 0);

  // A create-if-absent put bound to the lease, as an election candidate would make it.
  etcdserverpb::TxnRequest campaign;
  etcdserverpb::Compare* absent = campaign.add_compare();
  absent->set_key("/election/leader");
  absent->set_target(etcdserverpb::Compare::CREATE);
  absent->set_create_revision(0);
  etcdserverpb::PutRequest* put = campaign.add_success()->mutable_request_put();
  put->set_key("/election/leader");
  put->set_value("replica-1");
  put->set_lease(lease->id());
  absl::StatusOr<etcdserverpb::TxnResponse> won = etcd.Txn(campaign);
  ASSERT_THAT(won, IsOk());
  EXPECT_TRUE(won->succeeded());

  absl::StatusOr<etcdserverpb::LeaseKeepAliveResponse> renewed =
      etcd.LeaseKeepAliveOnce(lease->id());
  ASSERT_THAT(renewed, IsOk());
  EXPECT_EQ(renewed->ttl(), 30);
  etcdserverpb::LeaseTimeToLiveRequest ttl;
  ttl.set_id(lease->id());
  ttl.set_keys(true);
  absl::StatusOr<etcdserverpb::LeaseTimeToLiveResponse> left = etcd.LeaseTimeToLive(ttl);
  ASSERT_THAT(left, IsOk());
  EXPECT_GT(left->ttl(), 0);
  ASSERT_EQ(left->keys_size(), 1);
  EXPECT_EQ(left->keys(0), "/election/leader");

  // Revoking the lease deletes the key, and a watcher sees the delete.
  absl::StatusOr<std::unique_ptr<Watcher>> watcher =
      store_->Watch("/election/", *store_->CurrentRevision());
  ASSERT_THAT(watcher, IsOk());
  etcdserverpb::LeaseRevokeRequest revoke;
  revoke.set_id(lease->id());
  ASSERT_THAT(etcd.LeaseRevoke(revoke), IsOk());
  EXPECT_EQ(*store_->Get("/election/leader"), std::nullopt);
  std::vector<Event> events = Collect(**watcher, 1, absl::Seconds(10));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, Event::Type::kDelete);
  EXPECT_EQ(events[0].kv.value, "replica-1");
  // A renewal of a revoked lease says it is gone.
  absl::StatusOr<etcdserverpb::LeaseKeepAliveResponse> gone = etcd.LeaseKeepAliveOnce(lease->id());
  ASSERT_THAT(gone, IsOk());
  EXPECT_LE(gone->ttl(), 0);
}

TEST(EtcdAuthTest, UserAndPasswordWithTokenRenewal) {
  EtcdServer etcd;
  ASSERT_THAT(etcd.Start(), IsOk());
  ASSERT_THAT(etcd.EnableAuth("s3cret"), IsOk());
  const std::string dir = etcd.dir();
  std::ofstream(dir + "/password") << "s3cret\n";
  std::ofstream(dir + "/wrong") << "guess\n";

  EXPECT_THAT(
      EtcdStore::Open(absl::StrCat(etcd.client_url(), "?user=root&password-file=", dir, "/wrong")),
      StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("user 'root' was refused")));
  absl::StatusOr<std::unique_ptr<EtcdStore>> anonymous = EtcdStore::Open(etcd.client_url());
  EXPECT_FALSE(anonymous.ok());
  EXPECT_THAT(anonymous.status().message(), HasSubstr("user name"));

  absl::StatusOr<std::unique_ptr<EtcdStore>> store = EtcdStore::Open(
      absl::StrCat(etcd.client_url(), "?user=root&password-file=", dir, "/password"));
  ASSERT_THAT(store, IsOk());
  ASSERT_THAT((*store)->Commit(Txn{{}, {Op::Put("/a", "1")}}), IsOk());
  absl::StatusOr<std::unique_ptr<Watcher>> watcher = (*store)->Watch("/", 0);
  ASSERT_THAT(watcher, IsOk());
  EXPECT_EQ(Collect(**watcher, 1, absl::Seconds(10)).size(), 1u);

  // etcd keeps its simple tokens in memory: after a restart the old token is invalid, and the
  // store authenticates again by itself, for calls and for the watch.
  ASSERT_THAT(etcd.Stop(), IsOk());
  ASSERT_THAT(etcd.Start(), IsOk());
  EXPECT_THAT((*store)->Commit(Txn{{}, {Op::Put("/b", "2")}}), IsOk());
  EXPECT_EQ((*(*store)->Get("/b"))->value, "2");
  std::vector<Event> events = Collect(**watcher, 1, absl::Seconds(15));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kv.key, "/b");

  // What an operator grants PlasmaNET's own user: read-write on the prefix "/". That covers
  // every call the store makes, compaction included.
  ASSERT_THAT(etcd.AddUser("plasmanet", "pn-pass", "/", "s3cret"), IsOk());
  std::ofstream(dir + "/pn-password") << "pn-pass\n";
  absl::StatusOr<std::unique_ptr<EtcdStore>> limited = EtcdStore::Open(
      absl::StrCat(etcd.client_url(), "?user=plasmanet&password-file=", dir, "/pn-password"));
  ASSERT_THAT(limited, IsOk());
  absl::StatusOr<TxnResult> put =
      (*limited)->Commit(Txn{{Compare::Absent("/c")}, {Op::Put("/c", "3")}});
  ASSERT_THAT(put, IsOk());
  EXPECT_TRUE(put->succeeded);
  EXPECT_THAT((*limited)->Watch("/", 0), IsOk());
  EXPECT_THAT((*limited)->Compact(put->revision - 1), IsOk());
  EXPECT_EQ((*limited)->Range({.prefix = "/"})->kvs.size(), 3u);
}

TEST(EtcdTlsTest, HttpsWithClientCertificates) {
  EtcdServer etcd({.tls = true});
  ASSERT_THAT(etcd.Start(), IsOk());
  absl::StatusOr<std::unique_ptr<EtcdStore>> store = EtcdStore::Open(etcd.store_url().substr(5));
  ASSERT_THAT(store, IsOk());
  ASSERT_THAT((*store)->Commit(Txn{{}, {Op::Put("/tls", "yes")}}), IsOk());
  EXPECT_EQ((*(*store)->Get("/tls"))->value, "yes");
  absl::StatusOr<std::unique_ptr<Watcher>> watcher = (*store)->Watch("/", 0);
  ASSERT_THAT(watcher, IsOk());
  EXPECT_EQ(Collect(**watcher, 1, absl::Seconds(10)).size(), 1u);

  // The server demands a client certificate, and plain http gets nowhere.
  EXPECT_THAT(EtcdStore::Open(absl::StrCat(etcd.client_url(), "?ca=", etcd.client_tls().ca_cert,
                                           "&timeout=1s")),
              StatusIs(absl::StatusCode::kUnavailable, _));
  std::string plain = etcd.client_url();
  plain.replace(0, 5, "http");
  EXPECT_THAT(EtcdStore::Open(plain + "?timeout=1s"), StatusIs(absl::StatusCode::kUnavailable, _));
}

// A three-member cluster: the client is configured with every member.
class EtcdClusterStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_THAT(etcd_.Start(), IsOk()) << etcd_.LogTails(); }

  EtcdCluster etcd_;
};

TEST_F(EtcdClusterStoreTest, WatchSurvivesTheMemberItUsesCrashingAndMissesNothing) {
  std::unique_ptr<EtcdStore> store = MustOpen(etcd_.store_url());
  ASSERT_NE(store, nullptr);
  const int used = store->client()->preferred_endpoint();
  absl::StatusOr<std::unique_ptr<Watcher>> watcher = store->Watch("/w/", 0);
  ASSERT_THAT(watcher, IsOk());

  int written = 0;
  int ambiguous = 0;
  const auto write = [&](int n) {
    for (int i = 0; i < n; ++i, ++written) {
      const std::string key = absl::StrCat("/w/", written);
      absl::StatusOr<TxnResult> r = store->Commit(Txn{{}, {Op::Put(key, "v")}});
      if (!r.ok() && absl::IsUnavailable(r.status()) &&
          absl::StrContains(r.status().message(), "may or may not have been applied")) {
        // The member died under this very call, before gRPC noticed: what a caller does then
        // is look, and write again only if it did not land.
        ++ambiguous;
        absl::StatusOr<std::optional<KeyValue>> landed = store->Get(key);
        ASSERT_THAT(landed, IsOk());
        if (landed->has_value()) continue;
        r = store->Commit(Txn{{}, {Op::Put(key, "v")}});
      }
      ASSERT_THAT(r, IsOk()) << "write " << written;
    }
  };
  write(20);
  // The member the client (and its watch stream) uses crashes: writes go on through the others.
  ASSERT_THAT(etcd_.Kill(used), IsOk());
  write(20);
  EXPECT_NE(store->client()->preferred_endpoint(), used);
  ASSERT_THAT(etcd_.Restart(used), IsOk()) << etcd_.LogTails();
  write(20);

  // At most the one write in flight when the member died had an unknown outcome.
  EXPECT_LE(ambiguous, 1);

  std::vector<Event> events = Collect(**watcher, written, absl::Seconds(30));
  ASSERT_EQ(events.size(), static_cast<size_t>(written));
  for (int i = 0; i < written; ++i) {
    EXPECT_EQ(events[i].kv.key, absl::StrCat("/w/", i)) << "event " << i;
    if (i > 0) {
      EXPECT_GT(events[i].kv.mod_revision, events[i - 1].kv.mod_revision);
    }
  }
  EXPECT_TRUE((*watcher)->Next(absl::Milliseconds(300))->empty());
}

TEST_F(EtcdClusterStoreTest, QuorumLossIsUnavailableWithinTheDeadlineThenRecovers) {
  std::unique_ptr<EtcdStore> store = MustOpen(etcd_.store_url() + "?timeout=2s");
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->Commit(Txn{{}, {Op::Put("/before", "1")}}), IsOk());
  absl::StatusOr<std::unique_ptr<Watcher>> watcher = store->Watch("/", 0);
  ASSERT_THAT(watcher, IsOk());
  ASSERT_EQ(Collect(**watcher, 1, absl::Seconds(10)).size(), 1u);

  // Two of three members gone: the one left cannot reach a quorum. Writes and (linearizable)
  // reads both fail with UNAVAILABLE naming the endpoints, within the 2 s deadline plus the
  // time to try each endpoint.
  const int kept = store->client()->preferred_endpoint();
  for (int i = 0; i < etcd_.size(); ++i) {
    if (i != kept) {
      ASSERT_THAT(etcd_.Kill(i), IsOk());
    }
  }
  absl::Time start = absl::Now();
  EXPECT_THAT(store->Commit(Txn{{}, {Op::Put("/during", "1")}}),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr("etcd unavailable"), HasSubstr(etcd_.client_urls()))));
  EXPECT_LT(absl::Now() - start, absl::Seconds(4));
  start = absl::Now();
  EXPECT_THAT(store->Get("/before"), StatusIs(absl::StatusCode::kUnavailable, _));
  EXPECT_LT(absl::Now() - start, absl::Seconds(4));

  // The members come back: everything works again, and the watch picks up where it was.
  for (int i = 0; i < etcd_.size(); ++i) {
    if (i != kept) {
      ASSERT_THAT(etcd_.Restart(i), IsOk()) << etcd_.LogTails();
    }
  }
  EXPECT_TRUE(WaitFor(
      [&] {
        return store->Commit(Txn{{}, {Op::Put("/after", "1")}}).ok();
      },
      absl::Seconds(20), absl::Milliseconds(100)));
  EXPECT_EQ((*store->Get("/before"))->value, "1");
  std::vector<Event> events = Collect(**watcher, 1, absl::Seconds(20));
  ASSERT_GE(events.size(), 1u);
  EXPECT_EQ(events.back().kv.key, "/after");
}

}  // namespace
}  // namespace plasmanet::store::etcd
