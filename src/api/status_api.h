// StatusApi: plasmanet.v1.StatusService, the replica's role and health for operators. The
// daemon supplies the status (it knows the store, the election and the reconciler); this class
// only authenticates and authorizes. Thread-safe if `source` is.
#pragma once

#include <functional>

#include "api/grpc_call.h"
#include "plasmanet/v1/api.grpc.pb.h"

namespace plasmanet::api {

using ReplicaStatusSource = std::function<v1::ReplicaStatus()>;

class StatusApi final : public v1::StatusService::Service {
 public:
  // `deps` must outlive this object. Without a source, every replica reports API_ONLY.
  StatusApi(const ApiDeps& deps, ReplicaStatusSource source)
      : tokens_(deps.tokens), source_(std::move(source)) {}

  grpc::Status GetStatus(grpc::ServerContext* context, const v1::GetStatusRequest* request,
                         v1::ReplicaStatus* response) override;

 private:
  const auth::Authenticator& tokens_;
  const ReplicaStatusSource source_;
};

}  // namespace plasmanet::api
