// Leader election against real etcd: one leader among replicas, hand-over on resignation, a
// leader cut off from etcd standing down before its lease can run out, and the store fence.

#include "election/leader_election.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/etcd/etcd_options.h"
#include "store/etcd/etcd_store.h"
#include "testing/etcd_cluster.h"
#include "testing/etcd_server.h"
#include "testing/status_matchers.h"
#include "testing/wait.h"

namespace plasmanet::election {
namespace {

using ::plasmanet::testing::IsOk;
using ::plasmanet::testing::StatusIs;
using ::plasmanet::testing::WaitFor;
using ::testing::HasSubstr;

// One replica's election, recording what its callbacks were told and when.
class Replica {
 public:
  Replica(const std::string& etcd_urls, const std::string& name,
          absl::Duration ttl = absl::Seconds(2)) {
    absl::StatusOr<store::etcd::EtcdOptions> options = store::etcd::ParseEtcdUrl(absl::StrCat(
        etcd_urls, etcd_urls.find('?') == std::string::npos ? "?" : "&", "timeout=1s"));
    EXPECT_THAT(options, IsOk());
    absl::StatusOr<std::shared_ptr<store::etcd::EtcdClient>> client =
        store::etcd::EtcdClient::Connect(*options);
    EXPECT_THAT(client, IsOk());
    client_ = *client;
    election_ = std::make_unique<LeaderElection>(
        client_,
        LeaderElectionOptions{.replica = name, .ttl = ttl, .poll = absl::Milliseconds(100)},
        LeaderElectionCallbacks{.elected =
                                    [this](const LeaderTerm& term) {
                                      std::lock_guard lock(mu_);
                                      leading_ = true;
                                      epochs_.push_back(term.epoch);
                                      elected_at_ = absl::Now();
                                    },
                                .deposed =
                                    [this](const std::string& why) {
                                      std::lock_guard lock(mu_);
                                      leading_ = false;
                                      reasons_.push_back(why);
                                      deposed_at_ = absl::Now();
                                    }});
  }
  ~Replica() {
    election_.reset();
    client_->Shutdown();
  }

  void Start() { election_->Start(); }
  void Stop() { election_->Stop(); }
  LeaderElection& election() { return *election_; }
  store::etcd::EtcdClient& client() { return *client_; }

  bool leading() const {
    std::lock_guard lock(mu_);
    return leading_;
  }
  std::vector<int64_t> epochs() const {
    std::lock_guard lock(mu_);
    return epochs_;
  }
  std::vector<std::string> reasons() const {
    std::lock_guard lock(mu_);
    return reasons_;
  }
  absl::Time elected_at() const {
    std::lock_guard lock(mu_);
    return elected_at_;
  }
  absl::Time deposed_at() const {
    std::lock_guard lock(mu_);
    return deposed_at_;
  }

 private:
  std::shared_ptr<store::etcd::EtcdClient> client_;
  std::unique_ptr<LeaderElection> election_;
  mutable std::mutex mu_;
  bool leading_ = false;
  std::vector<int64_t> epochs_;
  std::vector<std::string> reasons_;
  absl::Time elected_at_ = absl::InfinitePast();
  absl::Time deposed_at_ = absl::InfinitePast();
};

// The replicas leading right now.
int Leaders(const std::vector<std::unique_ptr<Replica>>& replicas) {
  int leaders = 0;
  for (const auto& r : replicas) leaders += r->leading() ? 1 : 0;
  return leaders;
}

class LeaderElectionTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_THAT(etcd_.Start(), IsOk()); }
  std::string Urls() const { return etcd_.client_url(); }

  testing::EtcdServer etcd_;
};

TEST_F(LeaderElectionTest, OneReplicaLeadsAndAResignationHandsOverAtOnce) {
  std::vector<std::unique_ptr<Replica>> replicas;
  for (int i = 0; i < 3; ++i) {
    replicas.push_back(std::make_unique<Replica>(Urls(), absl::StrCat("replica-", i)));
    replicas.back()->Start();
  }
  ASSERT_TRUE(WaitFor([&] { return Leaders(replicas) == 1; }, absl::Seconds(5)));
  Replica* leader = nullptr;
  for (auto& r : replicas) {
    if (r->leading()) leader = r.get();
  }
  const int64_t first_epoch = leader->epochs().back();
  // Every replica knows who leads.
  for (auto& r : replicas) {
    ASSERT_TRUE(
        WaitFor([&] { return r->election().status().epoch == first_epoch; }, absl::Seconds(2)));
    EXPECT_EQ(r->election().status().leader_replica, leader->election().status().leader_replica);
  }
  // Never two at once, over several renewals.
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(Leaders(replicas), 1);
    absl::SleepFor(absl::Milliseconds(100));
  }

  // Resigning revokes the lease: another replica leads within a poll or two, not a TTL.
  const absl::Time stopped = absl::Now();
  leader->Stop();
  EXPECT_THAT(leader->reasons(), ::testing::ElementsAre("stopping"));
  ASSERT_TRUE(WaitFor([&] { return Leaders(replicas) == 1; }, absl::Seconds(5)));
  Replica* next = nullptr;
  for (auto& r : replicas) {
    if (r->leading()) next = r.get();
  }
  ASSERT_NE(next, leader);
  EXPECT_LT(next->elected_at() - stopped, absl::Seconds(1));
  EXPECT_GT(next->epochs().back(), first_epoch) << "epochs grow from term to term";
}

TEST_F(LeaderElectionTest, TheFenceHoldsForTheCurrentTermOnly) {
  auto store = store::etcd::EtcdStore::Open(Urls());
  ASSERT_THAT(store, IsOk());
  Replica a(Urls(), "a");
  a.Start();
  ASSERT_TRUE(WaitFor([&] { return a.leading(); }, absl::Seconds(5)));
  const int64_t epoch = a.epochs().back();
  const std::string key = LeaderElectionOptions().key;
  absl::StatusOr<store::TxnResult> fenced = (*store)->Commit(
      {{LeaderElection::Fence(key, epoch)}, {store::Op::Put("/v1/fenced", "first")}});
  ASSERT_THAT(fenced, IsOk());
  EXPECT_TRUE(fenced->succeeded);

  // A new term (a resigns, b is elected): the old epoch's writes are refused.
  Replica b(Urls(), "b");
  b.Start();
  a.Stop();
  ASSERT_TRUE(WaitFor([&] { return b.leading(); }, absl::Seconds(5)));
  fenced = (*store)->Commit(
      {{LeaderElection::Fence(key, epoch)}, {store::Op::Put("/v1/fenced", "late")}});
  ASSERT_THAT(fenced, IsOk());
  EXPECT_FALSE(fenced->succeeded);
  EXPECT_EQ((*(*store)->Get("/v1/fenced"))->value, "first");
}

TEST_F(LeaderElectionTest, DeletingTheKeyByHandForcesANewTerm) {
  Replica a(Urls(), "a");
  a.Start();
  ASSERT_TRUE(WaitFor([&] { return a.leading(); }, absl::Seconds(5)));
  const int64_t epoch = a.epochs().back();
  ASSERT_THAT(etcd_.Etcdctl({"del", LeaderElectionOptions().key}), IsOk());
  // Noticed at the next renewal (ttl/3), then a new campaign.
  ASSERT_TRUE(WaitFor([&] { return a.epochs().size() == 2 && a.leading(); }, absl::Seconds(5)));
  EXPECT_THAT(a.reasons(), ::testing::ElementsAre(HasSubstr("deleted or replaced")));
  EXPECT_GT(a.epochs().back(), epoch);
}

TEST_F(LeaderElectionTest, AKeyWithoutALeaseDoesNotBlockTheElection) {
  // As after copying a store that held a leader key into a new etcd.
  ASSERT_THAT(etcd_.Etcdctl({"put", LeaderElectionOptions().key, "copied-replica"}), IsOk());
  Replica a(Urls(), "a");
  a.Start();
  ASSERT_TRUE(WaitFor([&] { return a.leading(); }, absl::Seconds(5)));
  EXPECT_EQ(a.election().status().leader_replica, "a");
}

TEST_F(LeaderElectionTest, BadOptionsAreRefused) {
  EXPECT_THAT(LeaderElection::Validate({.replica = ""}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("needs a name")));
  EXPECT_THAT(LeaderElection::Validate({.replica = "a", .ttl = absl::Seconds(1)}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at least 2")));
  EXPECT_THAT(LeaderElection::Validate({.replica = "a", .ttl = absl::Milliseconds(2500)}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("whole seconds")));
  EXPECT_THAT(LeaderElection::Validate(
                  {.replica = "a", .ttl = absl::Seconds(3), .margin = absl::Seconds(1)}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("margin")));
  EXPECT_THAT(LeaderElection::Validate({.replica = "a"}), IsOk());
}

// A leader that loses etcd must stop acting as leader before its lease can run out, so before
// any other replica can be elected. Replica a talks to one member only, b to the other two;
// killing a's member cuts a off while b keeps the quorum. a's member is a Raft follower: when
// etcd's Raft leader dies, its successor restarts every lease's TTL from its own election, which
// would add etcd's election and up to a TTL to b's wait (the bound below would not hold).
TEST(LeaderElectionClusterTest, ALeaderCutOffFromEtcdStandsDownBeforeAnotherIsElected) {
  testing::EtcdCluster etcd;
  ASSERT_THAT(etcd.Start(), IsOk());
  absl::StatusOr<int> raft_leader = etcd.RaftLeader();
  ASSERT_THAT(raft_leader, IsOk());
  const int cut_member = (*raft_leader + 1) % etcd.size();
  const int other_1 = (cut_member + 1) % etcd.size();
  const int other_2 = (cut_member + 2) % etcd.size();
  Replica a(etcd.member_url(cut_member), "a", absl::Seconds(3));
  a.Start();
  ASSERT_TRUE(WaitFor([&] { return a.leading(); }, absl::Seconds(5)));
  Replica b(absl::StrCat(etcd.member_url(other_1), ",", etcd.member_url(other_2)), "b",
            absl::Seconds(3));
  b.Start();
  ASSERT_TRUE(
      WaitFor([&] { return b.election().status().leader_replica == "a"; }, absl::Seconds(5)));

  const absl::Time cut = absl::Now();
  ASSERT_THAT(etcd.Kill(cut_member), IsOk());
  ASSERT_TRUE(WaitFor([&] { return !a.leading(); }, absl::Seconds(5)));
  ASSERT_TRUE(WaitFor([&] { return b.leading(); }, absl::Seconds(10))) << etcd.LogTails();
  EXPECT_THAT(a.reasons(), ::testing::ElementsAre(HasSubstr("not renewed in time")));
  // a stood down first, within its lease; b took over once the lease ran out, well within the
  // TTL plus a poll and a renewal's worth of margin.
  EXPECT_LT(a.deposed_at(), b.elected_at());
  EXPECT_LT(a.deposed_at() - cut, absl::Seconds(3));
  EXPECT_LT(b.elected_at() - cut, absl::Seconds(3) + absl::Seconds(2));
  EXPECT_GT(b.epochs().back(), a.epochs().back());
}

}  // namespace
}  // namespace plasmanet::election
