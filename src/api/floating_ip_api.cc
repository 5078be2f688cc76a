#include "api/floating_ip_api.h"

#include "api/convert.h"
#include "api/grpc_call.h"

namespace plasmanet::api {

grpc::Status FloatingIpApi::CreateFloatingIp(grpc::ServerContext* context,
                                             const v1::CreateFloatingIpRequest* request,
                                             v1::FloatingIp* response) {
  return ServeMutation(
      context, deps_, "CreateFloatingIp", *request, [&] { return response->metadata().id(); },
      [&](const auth::Principal& who) -> absl::Status {
        PN_ASSIGN_OR_RETURN(model::FloatingIp created,
                            services_.floating_ips.Create(MutationContext(who, *request),
                                                          ToSpec(request->floating_ip())));
        *response = ToProto(created);
        return absl::OkStatus();
      });
}

grpc::Status FloatingIpApi::GetFloatingIp(grpc::ServerContext* context,
                                          const v1::GetFloatingIpRequest* request,
                                          v1::FloatingIp* response) {
  return Serve(context, tokens_, [&](const auth::Principal& who) -> absl::Status {
    PN_ASSIGN_OR_RETURN(model::FloatingIp found,
                        services_.floating_ips.Get({who, std::nullopt}, request->id()));
    *response = ToProto(found);
    return absl::OkStatus();
  });
}

grpc::Status FloatingIpApi::ListFloatingIps(grpc::ServerContext* context,
                                            const v1::ListFloatingIpsRequest* request,
                                            v1::ListFloatingIpsResponse* response) {
  return Serve(context, tokens_, [&](const auth::Principal& who) -> absl::Status {
    const service::ListOptions options = ListOptionsOf(request->page_size(), request->page_token(),
                                                       request->scope(), request->has_scope());
    PN_ASSIGN_OR_RETURN(
        service::ListPage<model::FloatingIp> page,
        services_.floating_ips.List({who, std::nullopt}, options, request->port_id()));
    for (const model::FloatingIp& item : page.items) *response->add_floating_ips() = ToProto(item);
    response->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  });
}

grpc::Status FloatingIpApi::UpdateFloatingIp(grpc::ServerContext* context,
                                             const v1::UpdateFloatingIpRequest* request,
                                             v1::FloatingIp* response) {
  return ServeMutation(
      context, deps_, "UpdateFloatingIp", *request,
      [&] { return request->floating_ip().metadata().id(); },
      [&](const auth::Principal& who) -> absl::Status {
        const v1::FloatingIp& r = request->floating_ip();
        PN_ASSIGN_OR_RETURN(std::set<std::string> paths,
                            MaskPaths(request->update_mask(), {"port_id", "fixed_ip_address"}));
        PN_ASSIGN_OR_RETURN(
            model::FloatingIp updated,
            services_.floating_ips.Update(
                MutationContext(who, *request), r.metadata().id(), r.metadata().etag(), [&] {
                  service::FloatingIpUpdate u{.meta = MetaUpdateOf(paths, r.metadata())};
                  if (paths.count("port_id")) u.port_id = r.port_id();
                  if (paths.count("fixed_ip_address")) u.fixed_ip_address = r.fixed_ip_address();
                  return u;
                }()));
        *response = ToProto(updated);
        return absl::OkStatus();
      });
}

grpc::Status FloatingIpApi::DeleteFloatingIp(grpc::ServerContext* context,
                                             const v1::DeleteFloatingIpRequest* request,
                                             v1::DeleteResponse*) {
  return ServeMutation(
      context, deps_, "DeleteFloatingIp", *request, [&] { return request->id(); },
      [&](const auth::Principal& who) -> absl::Status {
        return services_.floating_ips.Delete(MutationContext(who, *request), request->id());
      });
}

}  // namespace plasmanet::api
