// SubnetApi: plasmanet.v1.SubnetService over the service layer. Thread-safe.
#pragma once

#include "api/grpc_call.h"
#include "auth/token_file.h"
#include "plasmanet/v1/api.grpc.pb.h"
#include "service/services.h"

namespace plasmanet::api {

class SubnetApi final : public v1::SubnetService::Service {
 public:
  // `deps` must outlive this object.
  explicit SubnetApi(const ApiDeps& deps)
      : deps_(deps), services_(deps.services), tokens_(deps.tokens) {}

  grpc::Status CreateSubnet(grpc::ServerContext* context, const v1::CreateSubnetRequest* request,
                            v1::Subnet* response) override;
  grpc::Status GetSubnet(grpc::ServerContext* context, const v1::GetSubnetRequest* request,
                         v1::Subnet* response) override;
  grpc::Status ListSubnets(grpc::ServerContext* context, const v1::ListSubnetsRequest* request,
                           v1::ListSubnetsResponse* response) override;
  grpc::Status UpdateSubnet(grpc::ServerContext* context, const v1::UpdateSubnetRequest* request,
                            v1::Subnet* response) override;
  grpc::Status DeleteSubnet(grpc::ServerContext* context, const v1::DeleteSubnetRequest* request,
                            v1::DeleteResponse* response) override;

 private:
  const ApiDeps& deps_;
  service::Services& services_;
  const auth::Authenticator& tokens_;
};

}  // namespace plasmanet::api
