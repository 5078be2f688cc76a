// kill -9 in the middle of writes: after a restart every acknowledged change is there, nothing
// unacknowledged is half-done, and IPAM carries on without reusing a live address.

#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include <absl/strings/str_cat.h>
#include <absl/time/clock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "service/services.h"
#include "store/sqlite/sqlite_store.h"
#include "store_consistency.h"
#include "subprocess.h"

namespace plasmanet {
namespace {

class CrashTest : public ::testing::Test {
 protected:
  CrashTest() {
    dir_ = std::filesystem::temp_directory_path() / absl::StrCat("plasmanet-crash-", getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  ~CrashTest() override { std::filesystem::remove_all(dir_); }

  // Reads acknowledgements until `wanted` changes were acknowledged, kills the writer with
  // SIGKILL, then reads what it had already written.
  void RunAndKill(int wanted) {
    testing::Child child = testing::Spawn(CRASH_WRITER_PATH, {store_path()}, STDOUT_FILENO);
    ASSERT_GT(child.pid, 0);
    ASSERT_NE(child.output, nullptr);
    const absl::Time deadline = absl::Now() + absl::Seconds(120);
    int seen = 0;
    char line[256];
    bool killed = false;
    while (std::fgets(line, sizeof(line), child.output) != nullptr) {
      Record(line);
      if (!killed && ++seen >= wanted) {
        kill(child.pid, SIGKILL);
        killed = true;
      }
      if (!killed && absl::Now() > deadline) {
        kill(child.pid, SIGKILL);
        killed = true;
        ADD_FAILURE() << "writer acknowledged only " << seen << " changes in time";
      }
    }
    int status = 0;
    waitpid(child.pid, &status, 0);
    fclose(child.output);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "writer ended on its own, status " << status;
  }

  void Record(const std::string& line) {
    std::istringstream in(line);
    std::string what, id, ip;
    in >> what >> id >> ip;
    if (what == "CREATED") {
      live_[id] = ip;
    } else if (what == "DELETING") {
      // A delete in flight when the writer dies may or may not have committed.
      live_.erase(id);
      in_flight_.insert(id);
    } else if (what == "DELETED") {
      in_flight_.erase(id);
      deleted_.insert(id);
    }
  }

  // Opens the store as a restarted daemon would and checks it against the acknowledgements.
  void Verify() {
    auto store = store::sqlite::SqliteStore::Open(store_path());
    ASSERT_TRUE(store.ok()) << store.status();
    std::map<std::string, model::Port> ports;
    EXPECT_EQ(testing::CheckPortKeys(**store, &ports), std::vector<std::string>{});
    for (const auto& [id, ip] : live_) {
      ASSERT_TRUE(ports.count(id)) << "acknowledged port " << id << " lost";
      EXPECT_EQ(ports[id].fixed_ips.at(0).ToString(), ip);
    }
    for (const std::string& id : deleted_) {
      EXPECT_FALSE(ports.count(id)) << "acknowledged delete of " << id << " undone";
    }
    // Whatever happened to the deletes in flight, it happened whole (CheckPortKeys above).
    for (const std::string& id : in_flight_) {
      if (!ports.count(id)) deleted_.insert(id);
    }
    in_flight_.clear();
    // IPAM resumes from the store: a new port never gets a live address.
    service::Services services(**store, RealClock::Get());
    const service::RequestContext ctx{{"t", {"acme", "web"}, {auth::Role::kMember}}, std::nullopt};
    std::set<std::string> used;
    for (const auto& [id, port] : ports) used.insert(port.fixed_ips.at(0).ToString());
    for (int i = 0; i < 20; ++i) {
      absl::StatusOr<model::Port> fresh =
          services.ports.Create(ctx, {.subnet_id = ports.begin()->second.subnet_id});
      ASSERT_TRUE(fresh.ok()) << fresh.status();
      EXPECT_TRUE(used.insert(fresh->fixed_ips.at(0).ToString()).second)
          << "address reused after restart: " << fresh->fixed_ips.at(0).ToString();
      live_[fresh->meta.id] = fresh->fixed_ips.at(0).ToString();
    }
  }

  std::string store_path() const { return (dir_ / "store.db").string(); }

  std::filesystem::path dir_;
  std::map<std::string, std::string> live_;  // acknowledged, not deleted: port id -> address
  std::set<std::string> deleted_;
  std::set<std::string> in_flight_;  // deletes sent but not acknowledged
};

TEST_F(CrashTest, AcknowledgedWritesSurviveSigkillAndIpamStaysConsistent) {
  // Three crashes at different depths, each followed by a restart on the same store.
  for (int wanted : {200, 500, 350}) {
    SCOPED_TRACE(absl::StrCat("kill after ", wanted, " acknowledgements"));
    RunAndKill(wanted);
    Verify();
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(live_.size(), 100u);
}

}  // namespace
}  // namespace plasmanet
