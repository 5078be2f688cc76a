#include "api/vpc_api.h"

#include "api/convert.h"
#include "api/grpc_call.h"

namespace plasmanet::api {

grpc::Status VpcApi::CreateVpc(grpc::ServerContext* context, const v1::CreateVpcRequest* request,
                               v1::Vpc* response) {
  return ServeMutation(
      context, deps_, "CreateVpc", *request, [&] { return response->metadata().id(); },
      [&](const auth::Principal& who) -> absl::Status {
        PN_ASSIGN_OR_RETURN(
            model::Vpc created,
            services_.vpcs.Create(MutationContext(who, *request), ToSpec(request->vpc())));
        *response = ToProto(created);
        return absl::OkStatus();
      });
}

grpc::Status VpcApi::GetVpc(grpc::ServerContext* context, const v1::GetVpcRequest* request,
                            v1::Vpc* response) {
  return Serve(context, tokens_, [&](const auth::Principal& who) -> absl::Status {
    PN_ASSIGN_OR_RETURN(model::Vpc found, services_.vpcs.Get({who, std::nullopt}, request->id()));
    *response = ToProto(found);
    return absl::OkStatus();
  });
}

grpc::Status VpcApi::ListVpcs(grpc::ServerContext* context, const v1::ListVpcsRequest* request,
                              v1::ListVpcsResponse* response) {
  return Serve(context, tokens_, [&](const auth::Principal& who) -> absl::Status {
    const service::ListOptions options = ListOptionsOf(request->page_size(), request->page_token(),
                                                       request->scope(), request->has_scope());
    PN_ASSIGN_OR_RETURN(service::ListPage<model::Vpc> page,
                        services_.vpcs.List({who, std::nullopt}, options, request->name()));
    for (const model::Vpc& item : page.items) *response->add_vpcs() = ToProto(item);
    response->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  });
}

grpc::Status VpcApi::UpdateVpc(grpc::ServerContext* context, const v1::UpdateVpcRequest* request,
                               v1::Vpc* response) {
  return ServeMutation(
      context, deps_, "UpdateVpc", *request, [&] { return request->vpc().metadata().id(); },
      [&](const auth::Principal& who) -> absl::Status {
        const v1::Vpc& r = request->vpc();
        PN_ASSIGN_OR_RETURN(std::set<std::string> paths,
                            MaskPaths(request->update_mask(), {"gateway", "static_routes"}));
        service::VpcUpdate update{.meta = MetaUpdateOf(paths, r.metadata())};
        if (paths.count("gateway")) update.gateway = GatewaySpec(r);
        if (paths.count("static_routes")) update.static_routes = StaticRoutes(r.static_routes());
        PN_ASSIGN_OR_RETURN(model::Vpc updated,
                            services_.vpcs.Update(MutationContext(who, *request), r.metadata().id(),
                                                  r.metadata().etag(), update));
        *response = ToProto(updated);
        return absl::OkStatus();
      });
}

grpc::Status VpcApi::DeleteVpc(grpc::ServerContext* context, const v1::DeleteVpcRequest* request,
                               v1::DeleteResponse*) {
  return ServeMutation(
      context, deps_, "DeleteVpc", *request, [&] { return request->id(); },
      [&](const auth::Principal& who) -> absl::Status {
        return services_.vpcs.Delete(MutationContext(who, *request), request->id());
      });
}

}  // namespace plasmanet::api
