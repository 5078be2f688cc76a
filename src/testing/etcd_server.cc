#include "testing/etcd_server.h"

#include <filesystem>
#include <system_error>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>

#include "common/status_macros.h"
#include "testing/ports.h"

namespace plasmanet::testing {

EtcdServer::EtcdServer(EtcdServerOptions options) : options_(options) {}

EtcdServer::~EtcdServer() {
  member_.reset();  // kills etcd before its files go
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

absl::Status EtcdServer::Start(absl::Duration timeout) {
  const bool first = member_ == nullptr;
  for (int attempt = 1;; ++attempt) {
    if (member_ == nullptr) {
      PN_RETURN_IF_ERROR(Prepare());
    }
    absl::Status started = member_->Start(timeout);
    if (started.ok()) {
      started = member_->WaitForLeader(timeout);
    }
    if (started.ok() || !first || attempt == 3 || !member_->PortWasTaken()) {
      return started;
    }
    PN_RETURN_IF_ERROR(member_->Kill());
    member_->RemoveFiles();
    member_.reset();
  }
}

absl::Status EtcdServer::Prepare() {
  if (dir_.empty()) {
    PN_ASSIGN_OR_RETURN(dir_, MakeDaemonDir("plasmanet-etcd-"));
  }
  EtcdMemberConfig config{.name = "etcd0", .dir = dir_, .max_txn_ops = options_.max_txn_ops};
  PN_ASSIGN_OR_RETURN(config.client_port, PickFreePort());
  do {
    PN_ASSIGN_OR_RETURN(config.peer_port, PickFreePort());
  } while (config.peer_port == config.client_port);
  config.initial_cluster = absl::StrCat("etcd0=http://127.0.0.1:", config.peer_port);
  config.cluster_token = absl::StrCat("plasmanet-test-", config.peer_port);
  if (options_.tls && pki_.server.empty()) {
    PN_ASSIGN_OR_RETURN(pki_, GenerateTestPki(dir_));
  }
  if (options_.tls) {
    config.server_tls = pki_.server;
    config.client_tls = pki_.client;
  }
  member_ = std::make_unique<EtcdMember>(std::move(config));
  return absl::OkStatus();
}

absl::Status EtcdServer::Stop() { return member_ == nullptr ? absl::OkStatus() : member_->Stop(); }

absl::Status EtcdServer::Kill() { return member_ == nullptr ? absl::OkStatus() : member_->Kill(); }

std::string EtcdServer::store_url() const {
  if (!options_.tls) {
    return "etcd:" + client_url();
  }
  return absl::StrCat("etcd:", client_url(), "?ca=", pki_.client.ca_cert,
                      "&cert=", pki_.client.certificate, "&key=", pki_.client.private_key);
}

absl::StatusOr<std::string> EtcdServer::Etcdctl(const std::vector<std::string>& args,
                                                const std::string& user) const {
  // etcd-client 3.4 still speaks the v2 API unless told otherwise.
  std::vector<std::string> argv{"ETCDCTL_API=3", kEtcdctlPath, "--endpoints=" + client_url(),
                                "--dial-timeout=5s"};
  if (options_.tls) {
    argv.insert(argv.end(), {"--cacert=" + pki_.client.ca_cert, "--cert=" + pki_.client.certificate,
                             "--key=" + pki_.client.private_key});
  }
  if (!user.empty()) {
    argv.push_back("--user=" + user);
  }
  argv.insert(argv.end(), args.begin(), args.end());
  PN_ASSIGN_OR_RETURN(ProcessResult result, RunProgram("env", argv, absl::Seconds(30)));
  if (result.exit_code != 0) {
    return absl::UnknownError(absl::StrCat("etcdctl ", absl::StrJoin(args, " "), " exited with ",
                                           result.exit_code, ": ", result.stderr_text,
                                           result.stdout_text));
  }
  return std::move(result.stdout_text);
}

absl::Status EtcdServer::EnableAuth(const std::string& password) {
  PN_RETURN_IF_ERROR(Etcdctl({"user", "add", "root", "--new-user-password=" + password}).status());
  PN_RETURN_IF_ERROR(Etcdctl({"user", "grant-role", "root", "root"}).status());
  return Etcdctl({"auth", "enable"}).status();
}

absl::Status EtcdServer::AddUser(const std::string& name, const std::string& password,
                                 const std::string& prefix, const std::string& root_password) {
  const std::string root = "root:" + root_password;
  PN_RETURN_IF_ERROR(
      Etcdctl({"user", "add", name, "--new-user-password=" + password}, root).status());
  PN_RETURN_IF_ERROR(Etcdctl({"role", "add", name}, root).status());
  PN_RETURN_IF_ERROR(
      Etcdctl({"role", "grant-permission", name, "--prefix=true", "readwrite", prefix}, root)
          .status());
  return Etcdctl({"user", "grant-role", name, name}, root).status();
}

}  // namespace plasmanet::testing
