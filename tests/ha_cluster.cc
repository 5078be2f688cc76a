#include "ha_cluster.h"

#include <filesystem>
#include <fstream>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>

#include "testing/process.h"
#include "testing/wait.h"

namespace plasmanet::testing {

HaCluster::HaCluster(HaClusterOptions options) : options_(std::move(options)) {}

HaCluster::~HaCluster() {
  channels_.clear();
  for (auto& replica : replicas_) replica->Kill();
  if (!dir_.empty()) std::filesystem::remove_all(dir_);
}

absl::Status HaCluster::Start() {
  absl::StatusOr<std::string> dir = MakeTempDir("plasmanet-ha");
  if (!dir.ok()) return dir.status();
  dir_ = *dir;
  std::ofstream(dir_ + "/tokens") << kAdminToken << " * * admin\n"
                                  << kTenantToken << " acme web member\n";
  if (absl::Status s = etcd_.Start(); !s.ok()) return s;
  if (options_.with_ovn) {
    if (absl::Status s = nb_.Start(); !s.ok()) return s;
  }
  for (int i = 0; i < options_.replicas; ++i) {
    if (options_.proxied) {
      const std::string url = etcd_.member_url(i % etcd_.size());
      const int port = std::stoi(url.substr(url.rfind(':') + 1));
      absl::StatusOr<std::unique_ptr<TcpProxy>> proxy = TcpProxy::Start("127.0.0.1", port);
      if (!proxy.ok()) return proxy.status();
      proxies_.push_back(std::move(*proxy));
    }
    replicas_.push_back(
        std::make_unique<PlasmanetdProcess>(absl::StrCat(dir_, "/replica", i, ".log")));
    channels_.push_back(nullptr);
  }
  for (int i = 0; i < options_.replicas; ++i) {
    if (absl::Status s = StartReplica(i); !s.ok()) return s;
  }
  return absl::OkStatus();
}

std::vector<std::string> HaCluster::Flags(int i) const {
  const std::string etcd = options_.proxied ? absl::StrCat("http://127.0.0.1:", proxies_[i]->port())
                                            : etcd_.client_urls();
  std::vector<std::string> flags = {
      "--store",
      absl::StrCat("etcd:", etcd, "?timeout=", options_.etcd_timeout),
      "--tokens",
      dir_ + "/tokens",
      "--audit-log",
      absl::StrCat(dir_, "/audit", i, ".log"),
      "--replica-name",
      absl::StrCat("replica-", i),
      "--leader-lease-ttl",
      absl::StrCat(options_.leader_lease_ttl_seconds),
      "--shutdown-grace",
      "1",
      "--quota-ports",
      "1000000",
  };
  if (options_.with_ovn) flags.insert(flags.end(), {"--ovn-nb", nb_.remotes()});
  return flags;
}

absl::Status HaCluster::StartReplica(int i) {
  channels_[i] = nullptr;
  return replicas_[i]->Start(Flags(i));
}

void HaCluster::KillReplica(int i) {
  channels_[i] = nullptr;
  replicas_[i]->Kill();
}

absl::Status HaCluster::StopReplica(int i) {
  channels_[i] = nullptr;
  return replicas_[i]->Stop();
}

std::shared_ptr<grpc::Channel> HaCluster::Channel(int i) {
  if (channels_[i] == nullptr) {
    channels_[i] = grpc::CreateChannel(address(i), grpc::InsecureChannelCredentials());
  }
  return channels_[i];
}

absl::StatusOr<v1::ReplicaStatus> HaCluster::Status(int i) {
  if (!running(i)) return absl::UnavailableError(absl::StrCat("replica ", i, " is not running"));
  auto stub = v1::StatusService::NewStub(Channel(i));
  grpc::ClientContext context;
  context.AddMetadata("authorization", absl::StrCat("Bearer ", kAdminToken));
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::ReplicaStatus status;
  grpc::Status result = stub->GetStatus(&context, v1::GetStatusRequest(), &status);
  if (!result.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(result.error_code()), result.error_message());
  }
  return status;
}

absl::StatusOr<int> HaCluster::WaitForLeader(absl::Duration timeout, std::optional<int> except) {
  int leader = -1;
  const bool found = WaitFor(
      [&] {
        leader = -1;
        std::string name;
        for (int i = 0; i < replicas(); ++i) {
          if (!running(i) || i == except) continue;
          absl::StatusOr<v1::ReplicaStatus> status = Status(i);
          if (status.ok() && status->role() == v1::ReplicaStatus::LEADER) {
            if (leader >= 0) return false;  // two at once: not settled (never expected)
            leader = i;
            name = status->replica();
          }
        }
        if (leader < 0) return false;
        for (int i = 0; i < replicas(); ++i) {
          if (!running(i) || i == leader) continue;
          absl::StatusOr<v1::ReplicaStatus> status = Status(i);
          if (!status.ok() || status->leader() != name) return false;
        }
        return true;
      },
      timeout, absl::Milliseconds(20));
  if (!found) {
    return absl::DeadlineExceededError(
        absl::StrCat("no settled leader within ", absl::FormatDuration(timeout), "\n", Logs()));
  }
  return leader;
}

std::string HaCluster::Logs() const {
  std::string out;
  // Only the replicas made so far: Start may have failed before it made any.
  for (size_t i = 0; i < replicas_.size(); ++i) {
    absl::StrAppend(&out, "--- replica ", i, " ---\n", replicas_[i]->LogTail(2000));
  }
  return out;
}

}  // namespace plasmanet::testing
