// PortApi: plasmanet.v1.PortService over the service layer. Thread-safe.
#pragma once

#include <atomic>

#include "api/grpc_call.h"
#include "auth/token_file.h"
#include "plasmanet/v1/api.grpc.pb.h"
#include "service/services.h"

namespace plasmanet::api {

class PortApi final : public v1::PortService::Service {
 public:
  // `deps` must outlive this object.
  explicit PortApi(const ApiDeps& deps)
      : deps_(deps), services_(deps.services), tokens_(deps.tokens) {}

  grpc::Status CreatePort(grpc::ServerContext* context, const v1::CreatePortRequest* request,
                          v1::Port* response) override;
  grpc::Status GetPort(grpc::ServerContext* context, const v1::GetPortRequest* request,
                       v1::Port* response) override;
  grpc::Status ListPorts(grpc::ServerContext* context, const v1::ListPortsRequest* request,
                         v1::ListPortsResponse* response) override;
  grpc::Status UpdatePort(grpc::ServerContext* context, const v1::UpdatePortRequest* request,
                          v1::Port* response) override;
  grpc::Status DeletePort(grpc::ServerContext* context, const v1::DeletePortRequest* request,
                          v1::DeleteResponse* response) override;
  grpc::Status WatchPorts(grpc::ServerContext* context, const v1::WatchPortsRequest* request,
                          grpc::ServerWriter<v1::PortEvent>* writer) override;

 private:
  const ApiDeps& deps_;
  service::Services& services_;
  const auth::Authenticator& tokens_;
};

}  // namespace plasmanet::api
