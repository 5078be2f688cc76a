// SubnetApi: plasmanet.v1.SubnetService over the service layer. Thread-safe.
#pragma once

#include "auth/token_file.h"
#include "plasmanet/v1/api.grpc.pb.h"
#include "service/services.h"

namespace plasmanet::api {

class SubnetApi final : public v1::SubnetService::Service {
 public:
  // `services` and `tokens` must outlive this object.
  SubnetApi(service::Services& services, const auth::TokenFile& tokens)
      : services_(services), tokens_(tokens) {}

  grpc::Status CreateSubnet(grpc::ServerContext* context, const v1::CreateSubnetRequest* request,
                            v1::Subnet* response) override;
  grpc::Status GetSubnet(grpc::ServerContext* context, const v1::GetSubnetRequest* request,
                         v1::Subnet* response) override;
  grpc::Status ListSubnets(grpc::ServerContext* context, const v1::ListSubnetsRequest* request,
                           v1::ListSubnetsResponse* response) override;
  grpc::Status DeleteSubnet(grpc::ServerContext* context, const v1::DeleteSubnetRequest* request,
                            v1::DeleteResponse* response) override;

 private:
  service::Services& services_;
  const auth::TokenFile& tokens_;
};

}  // namespace plasmanet::api
