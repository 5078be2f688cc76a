// What every RPC handler does around its use case: authenticate the caller from the
// `authorization: Bearer TOKEN` metadata, run the use case, and turn its absl::Status into a
// gRPC status (the codes are the same; the field of a field error also goes out as the
// `plasmanet-field` trailer, so clients need not parse messages).
//
//   grpc::Status CreateVpc(grpc::ServerContext* ctx, const v1::CreateVpcRequest* req,
//                          v1::Vpc* resp) override {
//     return Serve(ctx, tokens_, [&](const auth::Principal& who) -> absl::Status { ... });
//   }
//
// Thread-safe.
#pragma once

#include <atomic>
#include <set>
#include <string>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <google/protobuf/field_mask.pb.h>
#include <grpcpp/grpcpp.h>

#include "api/audit_log.h"
#include "auth/authenticator.h"
#include "auth/principal.h"
#include "auth/token_file.h"
#include "plasmanet/v1/api.pb.h"
#include "service/service_core.h"
#include "service/services.h"

namespace plasmanet::api {

inline constexpr char kFieldTrailer[] = "plasmanet-field";

// The principal behind the call's bearer token. UNAUTHENTICATED if there is none, it is not
// a bearer token, or the token is unknown.
absl::StatusOr<auth::Principal> Authenticate(const grpc::ServerContext& context,
                                             const auth::Authenticator& authenticator);

// The gRPC status for `status`, adding the field trailer to `context` when there is one.
grpc::Status ToGrpcStatus(grpc::ServerContext* context, const absl::Status& status);

// What every API service needs. Owned by ApiServer; outlives the services.
struct ApiDeps {
  service::Services& services;
  const auth::Authenticator& tokens;
  AuditLog& audit;
  const std::atomic<bool>& stopping;  // the server is shutting down
};

// Authenticates, then runs `body(principal)` and returns its status in gRPC form.
template <typename Body>
grpc::Status Serve(grpc::ServerContext* context, const auth::Authenticator& tokens, Body&& body) {
  absl::StatusOr<auth::Principal> principal = Authenticate(*context, tokens);
  if (!principal.ok()) {
    return ToGrpcStatus(context, principal.status());
  }
  return ToGrpcStatus(context, body(*principal));
}

// Serve for calls that change something: also writes the audit line, naming the object
// `object()` returns once the body ran (the new id for a create).
template <typename Request, typename Object, typename Body>
grpc::Status ServeMutation(grpc::ServerContext* context, const ApiDeps& deps,
                           absl::string_view method, const Request& request, Object&& object,
                           Body&& body) {
  AuditEntry entry{nullptr, method, "", request.request_id(), request.validate_only()};
  absl::StatusOr<auth::Principal> principal = Authenticate(*context, deps.tokens);
  if (!principal.ok()) {
    deps.audit.Record(entry, principal.status());
    return ToGrpcStatus(context, principal.status());
  }
  entry.principal = &*principal;
  const absl::Status status = body(*principal);
  const std::string id = object();
  entry.object = id;
  deps.audit.Record(entry, status);
  return ToGrpcStatus(context, status);
}

// The request context of a mutation: principal, the scope it names (if its request has one),
// request_id and validate_only.
template <typename Request>
service::RequestContext MutationContext(const auth::Principal& principal, const Request& request) {
  service::RequestContext ctx{principal, std::nullopt, request.request_id(),
                              request.validate_only()};
  if constexpr (requires { request.has_scope(); }) {
    if (request.has_scope()) {
      ctx.scope = auth::Scope{request.scope().org_id(), request.scope().project_id()};
    }
  }
  return ctx;
}

// The paths of an update mask, checked against the fields a kind lets callers change.
// INVALID_ARGUMENT naming update_mask for an empty mask or an unknown path. "name" and
// "labels" may also be written "metadata.name" and "metadata.labels".
absl::StatusOr<std::set<std::string>> MaskPaths(const google::protobuf::FieldMask& mask,
                                                const std::set<std::string>& allowed);

// The name/labels part of an update, from the mask's paths and the request's metadata.
service::MetaUpdate MetaUpdateOf(const std::set<std::string>& paths, const v1::Metadata& metadata);

// List options from the common list request fields.
service::ListOptions ListOptionsOf(int32_t page_size, const std::string& page_token,
                                   const v1::Scope& scope, bool has_scope);

}  // namespace plasmanet::api
