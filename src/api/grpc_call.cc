#include "api/grpc_call.h"

#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>

#include "common/errors.h"

namespace plasmanet::api {

absl::StatusOr<auth::Principal> Authenticate(const grpc::ServerContext& context,
                                             const auth::Authenticator& authenticator) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return absl::UnauthenticatedError("missing 'authorization: Bearer TOKEN' metadata");
  }
  const absl::string_view value(it->second.data(), it->second.size());
  constexpr absl::string_view kBearer = "Bearer ";
  if (!absl::StartsWith(value, kBearer)) {
    return absl::UnauthenticatedError("the authorization metadata is not a bearer token");
  }
  return authenticator.Authenticate(value.substr(kBearer.size()));
}

grpc::Status ToGrpcStatus(grpc::ServerContext* context, const absl::Status& status) {
  if (status.ok()) {
    return grpc::Status::OK;
  }
  if (std::optional<std::string> field = ErrorField(status)) {
    context->AddTrailingMetadata(kFieldTrailer, *field);
  }
  // absl::StatusCode values are the gRPC codes by design.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

absl::StatusOr<std::set<std::string>> MaskPaths(const google::protobuf::FieldMask& mask,
                                                const std::set<std::string>& allowed) {
  if (mask.paths_size() == 0) {
    return InvalidField("update_mask", "name the fields to change");
  }
  std::set<std::string> paths;
  for (std::string path : mask.paths()) {
    if (path == "metadata.name") path = "name";
    if (path == "metadata.labels") path = "labels";
    if (path != "name" && path != "labels" && !allowed.count(path)) {
      return InvalidField("update_mask", absl::StrCat("'", path, "' cannot be updated"));
    }
    paths.insert(path);
  }
  return paths;
}

service::MetaUpdate MetaUpdateOf(const std::set<std::string>& paths, const v1::Metadata& metadata) {
  service::MetaUpdate update;
  if (paths.count("name")) update.name = metadata.name();
  if (paths.count("labels")) {
    update.labels = model::Labels(metadata.labels().begin(), metadata.labels().end());
  }
  return update;
}

service::ListOptions ListOptionsOf(int32_t page_size, const std::string& page_token,
                                   const v1::Scope& scope, bool has_scope) {
  service::ListOptions options{.page_size = page_size, .page_token = page_token};
  if (has_scope) {
    options.scope = auth::Scope{scope.org_id(), scope.project_id()};
  }
  return options;
}

}  // namespace plasmanet::api
