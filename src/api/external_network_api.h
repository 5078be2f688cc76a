// ExternalNetworkApi: plasmanet.v1.ExternalNetworkService over the service layer. Thread-safe.
#pragma once

#include "auth/token_file.h"
#include "plasmanet/v1/api.grpc.pb.h"
#include "service/services.h"

namespace plasmanet::api {

class ExternalNetworkApi final : public v1::ExternalNetworkService::Service {
 public:
  // `services` and `tokens` must outlive this object.
  ExternalNetworkApi(service::Services& services, const auth::TokenFile& tokens)
      : services_(services), tokens_(tokens) {}

  grpc::Status CreateExternalNetwork(grpc::ServerContext* context,
                                     const v1::CreateExternalNetworkRequest* request,
                                     v1::ExternalNetwork* response) override;
  grpc::Status GetExternalNetwork(grpc::ServerContext* context,
                                  const v1::GetExternalNetworkRequest* request,
                                  v1::ExternalNetwork* response) override;
  grpc::Status ListExternalNetworks(grpc::ServerContext* context,
                                    const v1::ListExternalNetworksRequest* request,
                                    v1::ListExternalNetworksResponse* response) override;
  grpc::Status DeleteExternalNetwork(grpc::ServerContext* context,
                                     const v1::DeleteExternalNetworkRequest* request,
                                     v1::DeleteResponse* response) override;

 private:
  service::Services& services_;
  const auth::TokenFile& tokens_;
};

}  // namespace plasmanet::api
