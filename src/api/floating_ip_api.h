// FloatingIpApi: plasmanet.v1.FloatingIpService over the service layer. Thread-safe.
#pragma once

#include "auth/token_file.h"
#include "plasmanet/v1/api.grpc.pb.h"
#include "service/services.h"

namespace plasmanet::api {

class FloatingIpApi final : public v1::FloatingIpService::Service {
 public:
  // `services` and `tokens` must outlive this object.
  FloatingIpApi(service::Services& services, const auth::TokenFile& tokens)
      : services_(services), tokens_(tokens) {}

  grpc::Status CreateFloatingIp(grpc::ServerContext* context,
                                const v1::CreateFloatingIpRequest* request,
                                v1::FloatingIp* response) override;
  grpc::Status GetFloatingIp(grpc::ServerContext* context, const v1::GetFloatingIpRequest* request,
                             v1::FloatingIp* response) override;
  grpc::Status ListFloatingIps(grpc::ServerContext* context,
                               const v1::ListFloatingIpsRequest* request,
                               v1::ListFloatingIpsResponse* response) override;
  grpc::Status DeleteFloatingIp(grpc::ServerContext* context,
                                const v1::DeleteFloatingIpRequest* request,
                                v1::DeleteResponse* response) override;

 private:
  service::Services& services_;
  const auth::TokenFile& tokens_;
};

}  // namespace plasmanet::api
