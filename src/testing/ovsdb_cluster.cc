#include "testing/ovsdb_cluster.h"

#include <filesystem>
#include <system_error>

#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/strings/str_split.h>
#include <absl/strings/strip.h>

#include "common/status_macros.h"
#include "testing/ports.h"
#include "testing/process.h"
#include "testing/wait.h"

namespace plasmanet::testing {
namespace {

constexpr char kDatabaseName[] = "OVN_Northbound";

absl::Status RunOvsdbTool(const std::vector<std::string>& args) {
  PN_ASSIGN_OR_RETURN(ProcessResult result, RunProgram("ovsdb-tool", args, absl::Seconds(30)));
  if (result.exit_code != 0) {
    return absl::UnknownError(absl::StrCat("ovsdb-tool ", absl::StrJoin(args, " "), " exited with ",
                                           result.exit_code, ": ", result.stderr_text));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ClusterMemberStatus> ParseClusterStatus(absl::string_view text) {
  ClusterMemberStatus parsed;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (absl::ConsumePrefix(&line, "Status: ")) {
      parsed.status = std::string(line);
    } else if (absl::ConsumePrefix(&line, "Role: ")) {
      parsed.role = std::string(line);
    } else if (absl::ConsumePrefix(&line, "Leader: ")) {
      parsed.leader = std::string(line);
    }
  }
  if (parsed.status.empty() || parsed.role.empty() || parsed.leader.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cluster/status lacks a Status, Role or Leader line: ", text));
  }
  return parsed;
}

OvsdbCluster::OvsdbCluster(OvsdbClusterOptions options) : options_(std::move(options)) {}

OvsdbCluster::~OvsdbCluster() {
  members_.clear();  // stops every member before its files go
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

std::string OvsdbCluster::RaftAddress(int i) const {
  return absl::StrCat("tcp:127.0.0.1:", raft_ports_[i]);
}

std::string OvsdbCluster::member_remote(int i) const {
  return absl::StrCat("tcp:127.0.0.1:", client_ports_[i]);
}

std::string OvsdbCluster::remotes() const {
  std::vector<std::string> all;
  for (int i = 0; i < size(); ++i) {
    all.push_back(member_remote(i));
  }
  return absl::StrJoin(all, ",");
}

absl::Status OvsdbCluster::Create() {
  PN_ASSIGN_OR_RETURN(dir_, MakeDaemonDir("plasmanet-ovsdb-cluster-"));
  for (int i = 0; i < size(); ++i) {
    PN_ASSIGN_OR_RETURN(int raft_port, PickFreePort());
    PN_ASSIGN_OR_RETURN(int client_port, PickFreePort());
    raft_ports_.push_back(raft_port);
    client_ports_.push_back(client_port);
  }

  // Member 0 founds the cluster; the others join through every earlier address.
  for (int i = 0; i < size(); ++i) {
    const std::string db = absl::StrCat(dir_, "/member", i, ".db");
    if (i == 0) {
      PN_RETURN_IF_ERROR(RunOvsdbTool(
          {absl::StrCat("--election-timer=", absl::ToInt64Milliseconds(options_.election_timer)),
           "create-cluster", db, options_.schema, RaftAddress(0)}));
    } else {
      std::vector<std::string> args{"join-cluster", db, kDatabaseName, RaftAddress(i)};
      for (int j = 0; j < size(); ++j) {
        if (j != i) {
          args.push_back(RaftAddress(j));
        }
      }
      PN_RETURN_IF_ERROR(RunOvsdbTool(args));
    }
    members_.push_back(std::make_unique<OvsdbDaemon>(OvsdbDaemonConfig{
        .db_path = db,
        .run_dir = dir_,
        .name = absl::StrCat("member", i),
        .extra_args = {absl::StrCat("--remote=ptcp:", client_ports_[i], ":127.0.0.1")},
        .ready_remotes = {member_remote(i)}}));
  }
  return absl::OkStatus();
}

absl::Status OvsdbCluster::Start(absl::Duration timeout) {
  if (members_.empty()) {
    if (absl::Status created = Create(); !created.ok()) {
      // Leave nothing half made, so that a later Start() creates the cluster afresh.
      members_.clear();
      raft_ports_.clear();
      client_ports_.clear();
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
      dir_.clear();
      return created;
    }
  }
  for (int i = 0; i < size(); ++i) {
    if (!running(i)) {
      PN_RETURN_IF_ERROR(Start(i));
    }
  }
  for (int i = 0; i < size(); ++i) {
    PN_RETURN_IF_ERROR(WaitForMember(i, timeout));
  }
  return absl::OkStatus();
}

absl::Status OvsdbCluster::Start(int i) { return members_[i]->Start(); }

absl::Status OvsdbCluster::Stop(int i) { return members_[i]->Stop(); }

absl::Status OvsdbCluster::Kill(int i) { return members_[i]->Kill(); }

absl::StatusOr<ClusterMemberStatus> OvsdbCluster::MemberStatus(int i) const {
  PN_ASSIGN_OR_RETURN(std::string text, members_[i]->Appctl({"cluster/status", kDatabaseName}));
  return ParseClusterStatus(text);
}

absl::StatusOr<int> OvsdbCluster::WaitForLeader(absl::Duration timeout) {
  int leader = -1;
  const bool found = WaitFor(
      [&] {
        for (int i = 0; i < size(); ++i) {
          if (!running(i)) {
            continue;
          }
          absl::StatusOr<ClusterMemberStatus> status = MemberStatus(i);
          if (status.ok() && status->role == "leader") {
            leader = i;
            return true;
          }
        }
        return false;
      },
      timeout, absl::Milliseconds(50));
  if (!found) {
    return absl::DeadlineExceededError(
        absl::StrCat("no cluster member became leader within ", absl::FormatDuration(timeout)));
  }
  return leader;
}

absl::Status OvsdbCluster::WaitForMember(int i, absl::Duration timeout) {
  absl::StatusOr<ClusterMemberStatus> last = absl::UnavailableError("member not running");
  const bool joined = WaitFor(
      [&] {
        if (!running(i)) {
          return false;
        }
        last = MemberStatus(i);
        return last.ok() && last->status == "cluster member" && last->leader != "unknown";
      },
      timeout, absl::Milliseconds(50));
  if (!joined) {
    return absl::DeadlineExceededError(absl::StrCat(
        "member ", i, " not a cluster member with a known leader within ",
        absl::FormatDuration(timeout), "; last status: ",
        last.ok() ? absl::StrCat(last->status, ", role ", last->role, ", leader ", last->leader)
                  : last.status().ToString()));
  }
  return absl::OkStatus();
}

}  // namespace plasmanet::testing
