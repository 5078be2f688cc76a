#include "api/api_server.h"

#include <chrono>
#include <fstream>
#include <sstream>

#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include "common/logging.h"
#include "common/status_macros.h"

namespace plasmanet::api {
namespace {

// Threads kept waiting for calls after a burst; more than the concurrent callers we expect
// (a VM service's workers), so a busy server does not start a thread per call.
constexpr int kMaxIdleCallThreads = 64;

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

ApiServer::ApiServer(service::Services& services, const auth::Authenticator& tokens,
                     AuditLog& audit, ReplicaStatusSource replica_status)
    : deps_{services, tokens, audit, stopping_},
      vpcs_(deps_),
      subnets_(deps_),
      ports_(deps_),
      security_groups_(deps_),
      external_networks_(deps_),
      floating_ips_(deps_),
      status_(deps_, std::move(replica_status)) {}

ApiServer::~ApiServer() {
  if (server_ != nullptr) Shutdown(absl::ZeroDuration());
}

absl::StatusOr<std::unique_ptr<ApiServer>> ApiServer::Start(service::Services& services,
                                                            const auth::Authenticator& tokens,
                                                            AuditLog& audit,
                                                            const ApiServerOptions& options) {
  std::unique_ptr<ApiServer> server(new ApiServer(services, tokens, audit, options.replica_status));
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return absl::InvalidArgumentError("TLS needs both a certificate and a key");
  }
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (!options.tls_cert_file.empty()) {
    PN_ASSIGN_OR_RETURN(std::string cert, ReadFile(options.tls_cert_file));
    PN_ASSIGN_OR_RETURN(std::string key, ReadFile(options.tls_key_file));
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({key, cert});
    credentials = grpc::SslServerCredentials(ssl);
  }
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, credentials, &server->port_);
  builder.SetMaxReceiveMessageSize(options.max_request_bytes);
  // The synchronous server runs each call on a thread that polls for the next one when done,
  // and ends threads beyond MAX_POLLERS idle pollers. gRPC's default of 2 made every call of a
  // concurrent burst end its thread and the next call start one (clone, stack mmap/munmap, TLB
  // shootdowns): 18% of plasmanetd's CPU per port at 32 clients (api_bench --without-ovn).
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MIN_POLLERS, 2);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
                              kMaxIdleCallThreads);
  builder.RegisterService(&server->vpcs_);
  builder.RegisterService(&server->subnets_);
  builder.RegisterService(&server->ports_);
  builder.RegisterService(&server->security_groups_);
  builder.RegisterService(&server->external_networks_);
  builder.RegisterService(&server->floating_ips_);
  builder.RegisterService(&server->status_);
  server->server_ = builder.BuildAndStart();
  const bool unix_socket = absl::StartsWith(options.listen, "unix:");
  if (server->server_ == nullptr || (!unix_socket && server->port_ == 0)) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen));
  }
  server->server_->GetHealthCheckService()->SetServingStatus(true);
  LOG_INFO("api listening address={} port={} tls={}", options.listen, server->port_,
           !options.tls_cert_file.empty());
  return server;
}

void ApiServer::Shutdown(absl::Duration grace) {
  if (server_ == nullptr) return;
  stopping_ = true;  // ends watch streams, which would otherwise hold shutdown for the grace
  server_->GetHealthCheckService()->SetServingStatus(false);
  server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(grace));
  server_->Wait();
  server_.reset();
  LOG_INFO("api stopped");
}

}  // namespace plasmanet::api
