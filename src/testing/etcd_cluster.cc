#include "testing/etcd_cluster.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <system_error>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>

#include "common/status_macros.h"
#include "testing/ports.h"
#include "testing/process.h"

namespace plasmanet::testing {

EtcdCluster::EtcdCluster(EtcdClusterOptions options) : options_(options) {}

EtcdCluster::~EtcdCluster() {
  members_.clear();  // kills the members before their files go
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

absl::Status EtcdCluster::Start(absl::Duration timeout) {
  const bool first = members_.empty();
  for (int attempt = 1;; ++attempt) {
    if (members_.empty()) {
      PN_RETURN_IF_ERROR(Prepare());
    }
    const absl::Status started = StartMembers(timeout);
    const bool taken = std::any_of(members_.begin(), members_.end(),
                                   [](const auto& m) { return m->PortWasTaken(); });
    if (started.ok() || !first || attempt == 3 || !taken) {
      return started;
    }
    for (auto& member : members_) {
      PN_RETURN_IF_ERROR(member->Kill());
      member->RemoveFiles();
    }
    members_.clear();
  }
}

absl::Status EtcdCluster::Prepare() {
  if (dir_.empty()) {
    PN_ASSIGN_OR_RETURN(dir_, MakeDaemonDir("plasmanet-etcd-"));
  }
  std::set<int> ports;  // PickFreePort may hand out a port twice
  const auto pick = [&]() -> absl::StatusOr<int> {
    while (true) {
      PN_ASSIGN_OR_RETURN(int port, PickFreePort());
      if (ports.insert(port).second) return port;
    }
  };
  std::vector<EtcdMemberConfig> configs;
  std::vector<std::string> peers;
  for (int i = 0; i < options_.size; ++i) {
    EtcdMemberConfig config{.name = absl::StrCat("member", i),
                            .dir = dir_,
                            .heartbeat = options_.heartbeat,
                            .election = options_.election,
                            .max_txn_ops = options_.max_txn_ops};
    PN_ASSIGN_OR_RETURN(config.client_port, pick());
    PN_ASSIGN_OR_RETURN(config.peer_port, pick());
    peers.push_back(absl::StrCat(config.name, "=http://127.0.0.1:", config.peer_port));
    configs.push_back(std::move(config));
  }
  for (EtcdMemberConfig& config : configs) {
    config.initial_cluster = absl::StrJoin(peers, ",");
    config.cluster_token = absl::StrCat("plasmanet-test-", configs[0].peer_port);
    members_.push_back(std::make_unique<EtcdMember>(std::move(config)));
  }
  return absl::OkStatus();
}

absl::Status EtcdCluster::StartMembers(absl::Duration timeout) {
  // All members first: a new cluster forms only once a quorum of them runs.
  for (auto& member : members_) {
    if (!member->running()) {
      PN_RETURN_IF_ERROR(member->Start(timeout));
    }
  }
  for (auto& member : members_) {
    PN_RETURN_IF_ERROR(member->WaitForLeader(timeout));
  }
  return absl::OkStatus();
}

absl::Status EtcdCluster::Kill(int i) { return members_[i]->Kill(); }

absl::Status EtcdCluster::Stop(int i) { return members_[i]->Stop(); }

absl::Status EtcdCluster::Restart(int i, absl::Duration timeout) {
  PN_RETURN_IF_ERROR(members_[i]->Stop());
  PN_RETURN_IF_ERROR(members_[i]->Start(timeout));
  return members_[i]->WaitForLeader(timeout);
}

absl::StatusOr<int> EtcdCluster::RaftLeader() const {
  for (int i = 0; i < size(); ++i) {
    if (!members_[i]->running()) continue;
    PN_ASSIGN_OR_RETURN(const bool leads, members_[i]->IsRaftLeader());
    if (leads) return i;
  }
  return absl::UnavailableError("no running etcd member is the Raft leader");
}

std::string EtcdCluster::client_urls() const {
  return absl::StrJoin(members_, ",", [](std::string* out, const std::unique_ptr<EtcdMember>& m) {
    out->append(m->client_url());
  });
}

std::string EtcdCluster::LogTails() const {
  std::string out;
  for (const auto& member : members_) {
    absl::StrAppend(&out, "--- ", member->config().name, " (", member->log_path(), "):\n",
                    member->LogTail(1500), "\n");
  }
  return out;
}

}  // namespace plasmanet::testing
