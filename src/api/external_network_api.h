// ExternalNetworkApi: plasmanet.v1.ExternalNetworkService over the service layer. Thread-safe.
#pragma once

#include "api/grpc_call.h"
#include "auth/token_file.h"
#include "plasmanet/v1/api.grpc.pb.h"
#include "service/services.h"

namespace plasmanet::api {

class ExternalNetworkApi final : public v1::ExternalNetworkService::Service {
 public:
  // `deps` must outlive this object.
  explicit ExternalNetworkApi(const ApiDeps& deps)
      : deps_(deps), services_(deps.services), tokens_(deps.tokens) {}

  grpc::Status CreateExternalNetwork(grpc::ServerContext* context,
                                     const v1::CreateExternalNetworkRequest* request,
                                     v1::ExternalNetwork* response) override;
  grpc::Status GetExternalNetwork(grpc::ServerContext* context,
                                  const v1::GetExternalNetworkRequest* request,
                                  v1::ExternalNetwork* response) override;
  grpc::Status ListExternalNetworks(grpc::ServerContext* context,
                                    const v1::ListExternalNetworksRequest* request,
                                    v1::ListExternalNetworksResponse* response) override;
  grpc::Status UpdateExternalNetwork(grpc::ServerContext* context,
                                     const v1::UpdateExternalNetworkRequest* request,
                                     v1::ExternalNetwork* response) override;
  grpc::Status DeleteExternalNetwork(grpc::ServerContext* context,
                                     const v1::DeleteExternalNetworkRequest* request,
                                     v1::DeleteResponse* response) override;

 private:
  const ApiDeps& deps_;
  service::Services& services_;
  const auth::Authenticator& tokens_;
};

}  // namespace plasmanet::api
