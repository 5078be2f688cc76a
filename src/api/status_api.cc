#include "api/status_api.h"

namespace plasmanet::api {

grpc::Status StatusApi::GetStatus(grpc::ServerContext* context, const v1::GetStatusRequest*,
                                  v1::ReplicaStatus* response) {
  return Serve(context, tokens_, [&](const auth::Principal& who) -> absl::Status {
    if (!who.Has(auth::Role::kAdmin) && !who.Has(auth::Role::kService)) {
      return absl::PermissionDeniedError("the replica status is for admin and service principals");
    }
    if (source_) {
      *response = source_();
    } else {
      response->set_role(v1::ReplicaStatus::API_ONLY);
    }
    return absl::OkStatus();
  });
}

}  // namespace plasmanet::api
