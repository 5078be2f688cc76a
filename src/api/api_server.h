// ApiServer: the gRPC server of plasmanet.v1, with the standard health service
// (grpc.health.v1) and server reflection so grpcurl-style tools work.
//
//   PN_ASSIGN_OR_RETURN(auto server, ApiServer::Start(services, tokens, {.listen =
//   "127.0.0.1:0"})); server->port();                         // the bound port
//   server->Shutdown(absl::Seconds(10));    // refuse new calls, let running ones finish
//
// Thread-safe.
#pragma once

#include <memory>
#include <string>

#include <absl/status/statusor.h>
#include <absl/time/time.h>
#include <grpcpp/grpcpp.h>

#include "api/external_network_api.h"
#include "api/floating_ip_api.h"
#include "api/port_api.h"
#include "api/security_group_api.h"
#include "api/status_api.h"
#include "api/subnet_api.h"
#include "api/vpc_api.h"

namespace plasmanet::api {

struct ApiServerOptions {
  // "HOST:PORT" (port 0 picks a free one) or "unix:PATH".
  std::string listen = "127.0.0.1:7070";
  // Requests above this size are refused with RESOURCE_EXHAUSTED before any handler runs.
  int max_request_bytes = 1 << 20;
  // PEM files; when both are set the API is served over TLS only.
  std::string tls_cert_file;
  std::string tls_key_file;
  // What StatusService.GetStatus reports (the daemon's view of store, election and OVN).
  ReplicaStatusSource replica_status;
};

class ApiServer {
 public:
  // `services`, `tokens` and `audit` must outlive the server. UNAVAILABLE if the address
  // cannot be bound.
  static absl::StatusOr<std::unique_ptr<ApiServer>> Start(service::Services& services,
                                                          const auth::Authenticator& tokens,
                                                          AuditLog& audit,
                                                          const ApiServerOptions& options);
  ~ApiServer();

  int port() const { return port_; }
  // Stops accepting calls, waits up to `grace` for running ones, then cancels the rest.
  void Shutdown(absl::Duration grace);

 private:
  ApiServer(service::Services& services, const auth::Authenticator& tokens, AuditLog& audit,
            ReplicaStatusSource replica_status);

  std::atomic<bool> stopping_{false};  // before the services that read it
  ApiDeps deps_;
  VpcApi vpcs_;
  SubnetApi subnets_;
  PortApi ports_;
  SecurityGroupApi security_groups_;
  ExternalNetworkApi external_networks_;
  FloatingIpApi floating_ips_;
  StatusApi status_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace plasmanet::api
