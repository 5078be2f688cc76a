#include "testing/etcd_member.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

#include <absl/strings/str_cat.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include "common/status_macros.h"
#include "etcd/etcdserverpb/rpc.grpc.pb.h"
#include "testing/ports.h"
#include "testing/process.h"
#include "testing/wait.h"

namespace plasmanet::testing {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A channel to the member's client port, with its client certificate under TLS.
std::shared_ptr<grpc::Channel> ClientChannel(const EtcdMember& member) {
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (member.tls()) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ReadAll(member.config().client_tls.ca_cert);
    ssl.pem_private_key = ReadAll(member.config().client_tls.private_key);
    ssl.pem_cert_chain = ReadAll(member.config().client_tls.certificate);
    credentials = grpc::SslCredentials(ssl);
  }
  return grpc::CreateChannel(absl::StrCat("127.0.0.1:", member.config().client_port), credentials);
}

}  // namespace

EtcdMember::EtcdMember(EtcdMemberConfig config) : config_(std::move(config)) {}

EtcdMember::~EtcdMember() { Kill().IgnoreError(); }  // nothing more a destructor can do

std::string EtcdMember::Path(const char* suffix) const {
  return absl::StrCat(config_.dir, "/", config_.name, suffix);
}

std::string EtcdMember::client_url() const {
  return absl::StrCat(tls() ? "https" : "http", "://127.0.0.1:", config_.client_port);
}

std::string EtcdMember::peer_url() const {
  return absl::StrCat("http://127.0.0.1:", config_.peer_port);
}

bool EtcdMember::running() const { return pid_ > 0 && IsAlive(pid_); }

std::vector<std::string> EtcdMember::Args() const {
  std::vector<std::string> args{
      "--name=" + config_.name,
      "--data-dir=" + Path(".etcd"),
      "--listen-client-urls=" + client_url(),
      "--advertise-client-urls=" + client_url(),
      "--listen-peer-urls=" + peer_url(),
      "--initial-advertise-peer-urls=" + peer_url(),
      "--initial-cluster=" + config_.initial_cluster,
      "--initial-cluster-state=new",  // ignored once the data directory exists
      "--initial-cluster-token=" + config_.cluster_token,
      absl::StrCat("--heartbeat-interval=", absl::ToInt64Milliseconds(config_.heartbeat)),
      absl::StrCat("--election-timeout=", absl::ToInt64Milliseconds(config_.election)),
      absl::StrCat("--max-txn-ops=", config_.max_txn_ops),
      "--logger=zap",
      "--log-outputs=stderr",
  };
  if (tls()) {
    args.insert(args.end(),
                {"--cert-file=" + config_.server_tls.certificate,
                 "--key-file=" + config_.server_tls.private_key,
                 "--trusted-ca-file=" + config_.server_tls.ca_cert, "--client-cert-auth"});
  }
  return args;
}

absl::Status EtcdMember::Start(absl::Duration timeout) {
  if (running()) {
    return absl::FailedPreconditionError(
        absl::StrCat("etcd ", config_.name, " already running as pid ", pid_));
  }
  PN_ASSIGN_OR_RETURN(pid_, SpawnDaemon(kEtcdPath, Args(), log_path(), Path(".pid")));
  const std::string remote = absl::StrCat("tcp:127.0.0.1:", config_.client_port);
  if (!WaitFor([&] { return AcceptsConnections(remote) || !running(); }, timeout) || !running()) {
    return absl::DeadlineExceededError(absl::StrCat("etcd ", config_.name, " not accepting on ",
                                                    client_url(), "; log tail:\n", LogTail()));
  }
  return absl::OkStatus();
}

absl::Status EtcdMember::Stop() {
  if (pid_ <= 0) {
    return absl::OkStatus();
  }
  PN_RETURN_IF_ERROR(SignalAndWait(pid_, SIGTERM));
  pid_ = -1;
  return absl::OkStatus();
}

absl::Status EtcdMember::Kill() {
  if (pid_ <= 0) {
    return absl::OkStatus();
  }
  PN_RETURN_IF_ERROR(SignalAndWait(pid_, SIGKILL));
  pid_ = -1;
  return absl::OkStatus();
}

absl::Status EtcdMember::WaitForLeader(absl::Duration timeout) const {
  auto stub = etcdserverpb::Maintenance::NewStub(ClientChannel(*this));
  std::string last = "no answer";
  const bool ready = WaitFor(
      [&] {
        if (!running()) return true;
        grpc::ClientContext context;
        context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Milliseconds(500)));
        etcdserverpb::StatusResponse status;
        const grpc::Status rpc = stub->Status(&context, etcdserverpb::StatusRequest(), &status);
        last = rpc.ok() ? absl::StrCat("leader=", status.leader()) : rpc.error_message();
        return rpc.ok() && status.leader() != 0;
      },
      timeout, absl::Milliseconds(20));
  if (!running()) {
    return absl::InternalError(
        absl::StrCat("etcd ", config_.name, " exited; log tail:\n", LogTail()));
  }
  if (!ready) {
    return absl::DeadlineExceededError(absl::StrCat("etcd ", config_.name, " has no leader after ",
                                                    absl::FormatDuration(timeout), " (", last,
                                                    "); log tail:\n", LogTail()));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> EtcdMember::IsRaftLeader() const {
  auto stub = etcdserverpb::Maintenance::NewStub(ClientChannel(*this));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
  etcdserverpb::StatusResponse status;
  const grpc::Status rpc = stub->Status(&context, etcdserverpb::StatusRequest(), &status);
  if (!rpc.ok()) {
    return absl::UnavailableError(
        absl::StrCat("etcd ", config_.name, " Status: ", rpc.error_message()));
  }
  return status.leader() != 0 && status.leader() == status.header().member_id();
}

bool EtcdMember::PortWasTaken() const {
  return ReadAll(log_path()).find("address already in use") != std::string::npos;
}

void EtcdMember::RemoveFiles() const {
  std::error_code ignored;
  std::filesystem::remove_all(Path(".etcd"), ignored);
  std::filesystem::remove(log_path(), ignored);
  std::filesystem::remove(Path(".pid"), ignored);
}

std::string EtcdMember::LogTail(size_t bytes) const {
  const std::string log = ReadAll(log_path());
  return log.size() > bytes ? log.substr(log.size() - bytes) : log;
}

}  // namespace plasmanet::testing
