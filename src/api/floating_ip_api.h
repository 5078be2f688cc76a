// FloatingIpApi: plasmanet.v1.FloatingIpService over the service layer. Thread-safe.
#pragma once

#include "api/grpc_call.h"
#include "auth/token_file.h"
#include "plasmanet/v1/api.grpc.pb.h"
#include "service/services.h"

namespace plasmanet::api {

class FloatingIpApi final : public v1::FloatingIpService::Service {
 public:
  // `deps` must outlive this object.
  explicit FloatingIpApi(const ApiDeps& deps)
      : deps_(deps), services_(deps.services), tokens_(deps.tokens) {}

  grpc::Status CreateFloatingIp(grpc::ServerContext* context,
                                const v1::CreateFloatingIpRequest* request,
                                v1::FloatingIp* response) override;
  grpc::Status GetFloatingIp(grpc::ServerContext* context, const v1::GetFloatingIpRequest* request,
                             v1::FloatingIp* response) override;
  grpc::Status ListFloatingIps(grpc::ServerContext* context,
                               const v1::ListFloatingIpsRequest* request,
                               v1::ListFloatingIpsResponse* response) override;
  grpc::Status UpdateFloatingIp(grpc::ServerContext* context,
                                const v1::UpdateFloatingIpRequest* request,
                                v1::FloatingIp* response) override;
  grpc::Status DeleteFloatingIp(grpc::ServerContext* context,
                                const v1::DeleteFloatingIpRequest* request,
                                v1::DeleteResponse* response) override;

 private:
  const ApiDeps& deps_;
  service::Services& services_;
  const auth::Authenticator& tokens_;
};

}  // namespace plasmanet::api
