// SecurityGroupApi: plasmanet.v1.SecurityGroupService over the service layer. Thread-safe.
#pragma once

#include "api/grpc_call.h"
#include "auth/token_file.h"
#include "plasmanet/v1/api.grpc.pb.h"
#include "service/services.h"

namespace plasmanet::api {

class SecurityGroupApi final : public v1::SecurityGroupService::Service {
 public:
  // `deps` must outlive this object.
  explicit SecurityGroupApi(const ApiDeps& deps)
      : deps_(deps), services_(deps.services), tokens_(deps.tokens) {}

  grpc::Status CreateSecurityGroup(grpc::ServerContext* context,
                                   const v1::CreateSecurityGroupRequest* request,
                                   v1::SecurityGroup* response) override;
  grpc::Status GetSecurityGroup(grpc::ServerContext* context,
                                const v1::GetSecurityGroupRequest* request,
                                v1::SecurityGroup* response) override;
  grpc::Status ListSecurityGroups(grpc::ServerContext* context,
                                  const v1::ListSecurityGroupsRequest* request,
                                  v1::ListSecurityGroupsResponse* response) override;
  grpc::Status UpdateSecurityGroup(grpc::ServerContext* context,
                                   const v1::UpdateSecurityGroupRequest* request,
                                   v1::SecurityGroup* response) override;
  grpc::Status DeleteSecurityGroup(grpc::ServerContext* context,
                                   const v1::DeleteSecurityGroupRequest* request,
                                   v1::DeleteResponse* response) override;
  grpc::Status AddSecurityGroupRule(grpc::ServerContext* context,
                                    const v1::AddSecurityGroupRuleRequest* request,
                                    v1::SecurityGroup* response) override;
  grpc::Status RemoveSecurityGroupRule(grpc::ServerContext* context,
                                       const v1::RemoveSecurityGroupRuleRequest* request,
                                       v1::SecurityGroup* response) override;

 private:
  const ApiDeps& deps_;
  service::Services& services_;
  const auth::Authenticator& tokens_;
};

}  // namespace plasmanet::api
