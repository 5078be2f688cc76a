// VpcApi: plasmanet.v1.VpcService over the service layer. Thread-safe.
#pragma once

#include "api/grpc_call.h"
#include "auth/token_file.h"
#include "plasmanet/v1/api.grpc.pb.h"
#include "service/services.h"

namespace plasmanet::api {

class VpcApi final : public v1::VpcService::Service {
 public:
  // `deps` must outlive this object.
  explicit VpcApi(const ApiDeps& deps)
      : deps_(deps), services_(deps.services), tokens_(deps.tokens) {}

  grpc::Status CreateVpc(grpc::ServerContext* context, const v1::CreateVpcRequest* request,
                         v1::Vpc* response) override;
  grpc::Status GetVpc(grpc::ServerContext* context, const v1::GetVpcRequest* request,
                      v1::Vpc* response) override;
  grpc::Status ListVpcs(grpc::ServerContext* context, const v1::ListVpcsRequest* request,
                        v1::ListVpcsResponse* response) override;
  grpc::Status UpdateVpc(grpc::ServerContext* context, const v1::UpdateVpcRequest* request,
                         v1::Vpc* response) override;
  grpc::Status DeleteVpc(grpc::ServerContext* context, const v1::DeleteVpcRequest* request,
                         v1::DeleteResponse* response) override;

 private:
  const ApiDeps& deps_;
  service::Services& services_;
  const auth::Authenticator& tokens_;
};

}  // namespace plasmanet::api
