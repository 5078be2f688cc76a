// The OVN Northbound harness against the real ovsdb-server: a standalone server survives a
// crash, wipes clean and serves SSL; a three-member cluster fails over and takes its old
// leader back. Each test owns its directory and ports, so two runs can share the machine.

#include "testing/ovsdb_server.h"

#include <filesystem>
#include <fstream>
#include <string>

#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <absl/time/clock.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testing/nbctl.h"
#include "testing/ovsdb_cluster.h"
#include "testing/process.h"
#include "testing/status_matchers.h"
#include "testing/wait.h"

namespace plasmanet::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(WaitForTest, ReturnsAsSoonAsTheConditionHoldsAndFalseAtTheDeadline) {
  int calls = 0;
  EXPECT_TRUE(WaitFor([&] { return ++calls == 3; }, absl::Seconds(5), absl::Milliseconds(1)));
  EXPECT_EQ(calls, 3);

  const absl::Time start = absl::Now();
  EXPECT_FALSE(WaitFor([] { return false; }, absl::Milliseconds(50)));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(50));
}

TEST(MakeDaemonDirTest, SweepsDaemonsLeftByADeadTestProcessAndNothingElse) {
  // A directory as a crashed test leaves it: its owner is gone, its daemon still runs.
  const pid_t dead_owner = fork();
  if (dead_owner == 0) _exit(0);
  ASSERT_GT(dead_owner, 0);
  waitpid(dead_owner, nullptr, 0);
  absl::StatusOr<std::string> orphan = MakeTempDir("plasmanet-sweep-test-");
  ASSERT_THAT(orphan, IsOk());
  std::ofstream(*orphan + "/owner.pid") << dead_owner << "\n";
  const pid_t daemon = fork();
  if (daemon == 0) {
    // Its command line names its directory, as ovsdb-server's does (--pidfile=DIR/...).
    execlp("sleep", "sleep", "60", (*orphan + "/marker").c_str(), nullptr);
    _exit(127);
  }
  ASSERT_GT(daemon, 0);
  std::ofstream(*orphan + "/daemon.pid") << daemon << "\n";
  ASSERT_TRUE(WaitFor([&] { return IsAlive(daemon); }, absl::Seconds(5)));
  // A pid file naming a live process that is NOT running from the directory: left alone.
  std::ofstream(*orphan + "/unrelated.pid") << getpid() << "\n";

  absl::StatusOr<std::string> fresh = MakeDaemonDir("plasmanet-sweep-test-");
  ASSERT_THAT(fresh, IsOk());
  waitpid(daemon, nullptr, 0);  // reap it: we are its parent here
  EXPECT_FALSE(IsAlive(daemon));
  EXPECT_FALSE(std::filesystem::exists(*orphan));
  // The new directory is owned by this (live) process: a second sweep keeps it.
  absl::StatusOr<std::string> another = MakeDaemonDir("plasmanet-sweep-test-");
  ASSERT_THAT(another, IsOk());
  EXPECT_TRUE(std::filesystem::exists(*fresh));
  std::filesystem::remove_all(*fresh);
  std::filesystem::remove_all(*another);
}

TEST(RunProgramTest, CapturesBothStreamsAndTheExitCode) {
  absl::StatusOr<ProcessResult> result = RunProgram("sh", {"-c", "echo out; echo err >&2; exit 3"});
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->exit_code, 3);
  EXPECT_EQ(result->stdout_text, "out\n");
  EXPECT_EQ(result->stderr_text, "err\n");

  EXPECT_THAT(RunProgram("sh", {"-c", "sleep 5"}, absl::Milliseconds(100)),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("still running")));
  EXPECT_THAT(RunProgram("plasmanet-no-such-program", {}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("plasmanet-no-such-program")));
}

TEST(OvsdbServerTest, LogicalSwitchAddedWithNbctlIsListed) {
  OvsdbServer nb({.tcp = true});
  ASSERT_THAT(nb.Start(), IsOk());
  EXPECT_THAT(nb.unix_remote(), HasSubstr(nb.dir()));
  EXPECT_TRUE(absl::StartsWith(nb.tcp_remote(), "tcp:127.0.0.1:")) << nb.tcp_remote();

  ASSERT_THAT(RunNbctl(nb.unix_remote(), {"ls-add", "sw0"}), IsOk());
  absl::StatusOr<std::string> listed = RunNbctl(nb.tcp_remote(), {"ls-list"});
  ASSERT_THAT(listed, IsOk());
  EXPECT_THAT(*listed, HasSubstr("(sw0)"));

  EXPECT_THAT(RunNbctl(nb.unix_remote(), {"ls-add", "sw0"}),
              StatusIs(absl::StatusCode::kUnknown, HasSubstr("already exists")));
}

TEST(OvsdbServerTest, DataSurvivesKillAndRestartOnTheSameRemotes) {
  OvsdbServer nb({.tcp = true});
  ASSERT_THAT(nb.Start(), IsOk());
  ASSERT_THAT(RunNbctl(nb.unix_remote(), {"ls-add", "sw0"}), IsOk());
  const pid_t first = nb.pid();
  const std::string tcp = nb.tcp_remote();

  ASSERT_THAT(nb.Kill(), IsOk());
  EXPECT_FALSE(IsAlive(first));
  EXPECT_FALSE(nb.running());
  EXPECT_THAT(RunNbctl(tcp, {"ls-list"}, {.timeout = absl::Seconds(1)}),
              StatusIs(absl::StatusCode::kUnknown, HasSubstr("Connection refused")));

  ASSERT_THAT(nb.Restart(), IsOk());
  EXPECT_NE(nb.pid(), first);
  EXPECT_EQ(nb.tcp_remote(), tcp);
  absl::StatusOr<std::string> listed = RunNbctl(tcp, {"ls-list"});
  ASSERT_THAT(listed, IsOk());
  EXPECT_THAT(*listed, HasSubstr("(sw0)"));
}

TEST(OvsdbServerTest, WipeLeavesAnEmptyDatabaseOnTheSameRemote) {
  OvsdbServer nb;
  ASSERT_THAT(nb.Start(), IsOk());
  const std::string remote = nb.unix_remote();
  ASSERT_THAT(RunNbctl(remote, {"ls-add", "sw0"}), IsOk());
  ASSERT_THAT(RunNbctl(remote, {"lr-add", "lr0"}), IsOk());

  ASSERT_THAT(nb.Wipe(), IsOk());
  EXPECT_EQ(nb.unix_remote(), remote);
  absl::StatusOr<std::string> switches = RunNbctl(remote, {"ls-list"});
  absl::StatusOr<std::string> routers = RunNbctl(remote, {"lr-list"});
  ASSERT_THAT(switches, IsOk());
  ASSERT_THAT(routers, IsOk());
  EXPECT_THAT(*switches, IsEmpty());
  EXPECT_THAT(*routers, IsEmpty());
}

TEST(OvsdbServerTest, SslRemoteServesAClientWithACertificateFromTheTestCa) {
  OvsdbServer nb({.ssl = true});
  ASSERT_THAT(nb.Start(), IsOk());
  ASSERT_TRUE(absl::StartsWith(nb.ssl_remote(), "ssl:127.0.0.1:")) << nb.ssl_remote();

  ASSERT_THAT(RunNbctl(nb.ssl_remote(), {"ls-add", "secure"}, {.ssl = nb.client_ssl()}), IsOk());
  absl::StatusOr<std::string> listed = RunNbctl(nb.unix_remote(), {"ls-list"});
  ASSERT_THAT(listed, IsOk());
  EXPECT_THAT(*listed, HasSubstr("(secure)"));

  EXPECT_THAT(RunNbctl(nb.ssl_remote(), {"ls-list"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("NbctlOptions::ssl")));
}

TEST(OvsdbServerTest, StopRemovesTheProcessAndDestructorRemovesTheDirectory) {
  std::string dir;
  pid_t pid = -1;
  {
    OvsdbServer nb;
    ASSERT_THAT(nb.Start(), IsOk());
    EXPECT_THAT(nb.Start(), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("running")));
    dir = nb.dir();
    pid = nb.pid();
    EXPECT_TRUE(IsAlive(pid));
  }
  EXPECT_FALSE(IsAlive(pid));
  EXPECT_FALSE(std::filesystem::exists(dir));
}

TEST(ParseClusterStatusTest, ReadsRoleStatusAndLeader) {
  absl::StatusOr<ClusterMemberStatus> parsed = ParseClusterStatus(
      "b760\nName: OVN_Northbound\nStatus: cluster member\nRole: follower\nTerm: 2\n"
      "Leader: e91c\nVote: unknown\n");
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->status, "cluster member");
  EXPECT_EQ(parsed->role, "follower");
  EXPECT_EQ(parsed->leader, "e91c");
  EXPECT_THAT(ParseClusterStatus("Name: OVN_Northbound\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Role")));
}

TEST(OvsdbClusterTest, NewLeaderTakesOverAndTheKilledLeaderRejoins) {
  OvsdbCluster nb;
  ASSERT_THAT(nb.Start(), IsOk());
  absl::StatusOr<int> leader = nb.WaitForLeader(absl::Seconds(10));
  ASSERT_THAT(leader, IsOk());
  ASSERT_THAT(RunNbctl(nb.remotes(), {"ls-add", "sw0"}), IsOk());

  ASSERT_THAT(nb.Kill(*leader), IsOk());
  absl::StatusOr<int> successor = nb.WaitForLeader(absl::Seconds(10));
  ASSERT_THAT(successor, IsOk());
  EXPECT_NE(*successor, *leader);
  for (int i = 0; i < nb.size(); ++i) {
    if (i == *leader) {
      continue;
    }
    SCOPED_TRACE(absl::StrCat("member ", i));
    absl::StatusOr<std::string> listed = RunNbctl(nb.member_remote(i), {"ls-list"});
    ASSERT_THAT(listed, IsOk());
    EXPECT_THAT(*listed, HasSubstr("(sw0)"));
  }
  // A write while the old leader is down commits on the remaining majority.
  ASSERT_THAT(RunNbctl(nb.remotes(), {"ls-add", "sw1"}, {.leader_only = true}), IsOk());

  ASSERT_THAT(nb.Start(*leader), IsOk());
  ASSERT_THAT(nb.WaitForMember(*leader, absl::Seconds(10)), IsOk());
  // The rejoined member catches up on the write it missed.
  EXPECT_TRUE(WaitFor(
      [&] {
        absl::StatusOr<std::string> listed = RunNbctl(nb.member_remote(*leader), {"ls-list"});
        return listed.ok() && absl::StrContains(*listed, "(sw1)");
      },
      absl::Seconds(10), absl::Milliseconds(50)));
}

}  // namespace
}  // namespace plasmanet::testing
