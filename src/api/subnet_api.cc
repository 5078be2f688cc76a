#include "api/subnet_api.h"

#include "api/convert.h"
#include "api/grpc_call.h"

namespace plasmanet::api {

grpc::Status SubnetApi::CreateSubnet(grpc::ServerContext* context,
                                     const v1::CreateSubnetRequest* request, v1::Subnet* response) {
  return ServeMutation(
      context, deps_, "CreateSubnet", *request, [&] { return response->metadata().id(); },
      [&](const auth::Principal& who) -> absl::Status {
        PN_ASSIGN_OR_RETURN(
            model::Subnet created,
            services_.subnets.Create(MutationContext(who, *request), ToSpec(request->subnet())));
        *response = ToProto(created);
        return absl::OkStatus();
      });
}

grpc::Status SubnetApi::GetSubnet(grpc::ServerContext* context, const v1::GetSubnetRequest* request,
                                  v1::Subnet* response) {
  return Serve(context, tokens_, [&](const auth::Principal& who) -> absl::Status {
    PN_ASSIGN_OR_RETURN(model::Subnet found,
                        services_.subnets.Get({who, std::nullopt}, request->id()));
    *response = ToProto(found);
    return absl::OkStatus();
  });
}

grpc::Status SubnetApi::ListSubnets(grpc::ServerContext* context,
                                    const v1::ListSubnetsRequest* request,
                                    v1::ListSubnetsResponse* response) {
  return Serve(context, tokens_, [&](const auth::Principal& who) -> absl::Status {
    const service::ListOptions options = ListOptionsOf(request->page_size(), request->page_token(),
                                                       request->scope(), request->has_scope());
    PN_ASSIGN_OR_RETURN(
        service::ListPage<model::Subnet> page,
        services_.subnets.List({who, std::nullopt}, options,
                               {.vpc_id = request->vpc_id(), .name = request->name()}));
    for (const model::Subnet& item : page.items) *response->add_subnets() = ToProto(item);
    response->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  });
}

grpc::Status SubnetApi::UpdateSubnet(grpc::ServerContext* context,
                                     const v1::UpdateSubnetRequest* request, v1::Subnet* response) {
  return ServeMutation(
      context, deps_, "UpdateSubnet", *request, [&] { return request->subnet().metadata().id(); },
      [&](const auth::Principal& who) -> absl::Status {
        const v1::Subnet& r = request->subnet();
        PN_ASSIGN_OR_RETURN(std::set<std::string> paths,
                            MaskPaths(request->update_mask(),
                                      {"dhcp_enabled", "dns_servers", "mtu", "host_routes"}));
        PN_ASSIGN_OR_RETURN(
            model::Subnet updated,
            services_.subnets.Update(
                MutationContext(who, *request), r.metadata().id(), r.metadata().etag(), [&] {
                  service::SubnetUpdate u{.meta = MetaUpdateOf(paths, r.metadata())};
                  if (paths.count("dhcp_enabled")) u.dhcp_enabled = r.dhcp_enabled();
                  if (paths.count("dns_servers")) {
                    u.dns_servers =
                        std::vector<std::string>(r.dns_servers().begin(), r.dns_servers().end());
                  }
                  if (paths.count("mtu")) u.mtu = r.mtu();
                  if (paths.count("host_routes")) u.host_routes = HostRoutes(r.host_routes());
                  return u;
                }()));
        *response = ToProto(updated);
        return absl::OkStatus();
      });
}

grpc::Status SubnetApi::DeleteSubnet(grpc::ServerContext* context,
                                     const v1::DeleteSubnetRequest* request, v1::DeleteResponse*) {
  return ServeMutation(
      context, deps_, "DeleteSubnet", *request, [&] { return request->id(); },
      [&](const auth::Principal& who) -> absl::Status {
        return services_.subnets.Delete(MutationContext(who, *request), request->id());
      });
}

}  // namespace plasmanet::api
