#include "api/external_network_api.h"

#include "api/convert.h"
#include "api/grpc_call.h"

namespace plasmanet::api {

grpc::Status ExternalNetworkApi::CreateExternalNetwork(
    grpc::ServerContext* context, const v1::CreateExternalNetworkRequest* request,
    v1::ExternalNetwork* response) {
  return ServeMutation(
      context, deps_, "CreateExternalNetwork", *request, [&] { return response->metadata().id(); },
      [&](const auth::Principal& who) -> absl::Status {
        PN_ASSIGN_OR_RETURN(
            model::ExternalNetwork created,
            services_.external_networks.Create(MutationContext(who, *request),
                                               ToSpec(request->external_network())));
        *response = ToProto(created);
        return absl::OkStatus();
      });
}

grpc::Status ExternalNetworkApi::GetExternalNetwork(grpc::ServerContext* context,
                                                    const v1::GetExternalNetworkRequest* request,
                                                    v1::ExternalNetwork* response) {
  return Serve(context, tokens_, [&](const auth::Principal& who) -> absl::Status {
    PN_ASSIGN_OR_RETURN(model::ExternalNetwork found,
                        services_.external_networks.Get({who, std::nullopt}, request->id()));
    *response = ToProto(found);
    return absl::OkStatus();
  });
}

grpc::Status ExternalNetworkApi::ListExternalNetworks(
    grpc::ServerContext* context, const v1::ListExternalNetworksRequest* request,
    v1::ListExternalNetworksResponse* response) {
  return Serve(context, tokens_, [&](const auth::Principal& who) -> absl::Status {
    const service::ListOptions options = ListOptionsOf(request->page_size(), request->page_token(),
                                                       request->scope(), request->has_scope());
    PN_ASSIGN_OR_RETURN(
        service::ListPage<model::ExternalNetwork> page,
        services_.external_networks.List({who, std::nullopt}, options, request->name()));
    for (const model::ExternalNetwork& item : page.items)
      *response->add_external_networks() = ToProto(item);
    response->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  });
}

grpc::Status ExternalNetworkApi::UpdateExternalNetwork(
    grpc::ServerContext* context, const v1::UpdateExternalNetworkRequest* request,
    v1::ExternalNetwork* response) {
  return ServeMutation(
      context, deps_, "UpdateExternalNetwork", *request,
      [&] { return request->external_network().metadata().id(); },
      [&](const auth::Principal& who) -> absl::Status {
        const v1::ExternalNetwork& r = request->external_network();
        PN_ASSIGN_OR_RETURN(std::set<std::string> paths, MaskPaths(request->update_mask(), {}));
        PN_ASSIGN_OR_RETURN(model::ExternalNetwork updated,
                            services_.external_networks.Update(
                                MutationContext(who, *request), r.metadata().id(),
                                r.metadata().etag(), MetaUpdateOf(paths, r.metadata())));
        *response = ToProto(updated);
        return absl::OkStatus();
      });
}

grpc::Status ExternalNetworkApi::DeleteExternalNetwork(
    grpc::ServerContext* context, const v1::DeleteExternalNetworkRequest* request,
    v1::DeleteResponse*) {
  return ServeMutation(
      context, deps_, "DeleteExternalNetwork", *request, [&] { return request->id(); },
      [&](const auth::Principal& who) -> absl::Status {
        return services_.external_networks.Delete(MutationContext(who, *request), request->id());
      });
}

}  // namespace plasmanet::api
