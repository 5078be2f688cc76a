#include "api/port_api.h"

#include "api/convert.h"
#include "api/grpc_call.h"

namespace plasmanet::api {

grpc::Status PortApi::CreatePort(grpc::ServerContext* context, const v1::CreatePortRequest* request,
                                 v1::Port* response) {
  return ServeMutation(
      context, deps_, "CreatePort", *request, [&] { return response->metadata().id(); },
      [&](const auth::Principal& who) -> absl::Status {
        PN_ASSIGN_OR_RETURN(
            model::Port created,
            services_.ports.Create(MutationContext(who, *request), ToSpec(*request)));
        *response = ToProto(created);
        return absl::OkStatus();
      });
}

grpc::Status PortApi::GetPort(grpc::ServerContext* context, const v1::GetPortRequest* request,
                              v1::Port* response) {
  return Serve(context, tokens_, [&](const auth::Principal& who) -> absl::Status {
    PN_ASSIGN_OR_RETURN(model::Port found, services_.ports.Get({who, std::nullopt}, request->id()));
    *response = ToProto(found);
    return absl::OkStatus();
  });
}

grpc::Status PortApi::ListPorts(grpc::ServerContext* context, const v1::ListPortsRequest* request,
                                v1::ListPortsResponse* response) {
  return Serve(context, tokens_, [&](const auth::Principal& who) -> absl::Status {
    const service::ListOptions options = ListOptionsOf(request->page_size(), request->page_token(),
                                                       request->scope(), request->has_scope());
    PN_ASSIGN_OR_RETURN(service::ListPage<model::Port> page,
                        services_.ports.List({who, std::nullopt}, options,
                                             {.subnet_id = request->subnet_id(),
                                              .vpc_id = request->vpc_id(),
                                              .device_id = request->device_id(),
                                              .name = request->name()}));
    for (const model::Port& item : page.items) *response->add_ports() = ToProto(item);
    response->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  });
}

grpc::Status PortApi::UpdatePort(grpc::ServerContext* context, const v1::UpdatePortRequest* request,
                                 v1::Port* response) {
  return ServeMutation(
      context, deps_, "UpdatePort", *request, [&] { return request->port().metadata().id(); },
      [&](const auth::Principal& who) -> absl::Status {
        const v1::Port& r = request->port();
        PN_ASSIGN_OR_RETURN(
            std::set<std::string> paths,
            MaskPaths(request->update_mask(),
                      {"security_group_ids", "port_security_enabled", "allowed_address_pairs",
                       "device_id", "device_owner", "extra_dhcp_options"}));
        PN_ASSIGN_OR_RETURN(
            model::Port updated,
            services_.ports.Update(
                MutationContext(who, *request), r.metadata().id(), r.metadata().etag(), [&] {
                  service::PortUpdate u{.meta = MetaUpdateOf(paths, r.metadata())};
                  if (paths.count("security_group_ids")) {
                    u.security_group_ids = std::vector<std::string>(r.security_group_ids().begin(),
                                                                    r.security_group_ids().end());
                  }
                  if (paths.count("port_security_enabled"))
                    u.port_security_enabled = r.port_security_enabled();
                  if (paths.count("allowed_address_pairs")) {
                    u.allowed_address_pairs.emplace();
                    for (const v1::AllowedAddressPair& pair : r.allowed_address_pairs()) {
                      u.allowed_address_pairs->push_back({pair.ip_address(), pair.mac_address()});
                    }
                  }
                  if (paths.count("device_id")) u.device_id = r.device_id();
                  if (paths.count("device_owner")) u.device_owner = r.device_owner();
                  if (paths.count("extra_dhcp_options")) {
                    u.extra_dhcp_options = model::DhcpOptionMap(r.extra_dhcp_options().begin(),
                                                                r.extra_dhcp_options().end());
                  }
                  return u;
                }()));
        *response = ToProto(updated);
        return absl::OkStatus();
      });
}

grpc::Status PortApi::DeletePort(grpc::ServerContext* context, const v1::DeletePortRequest* request,
                                 v1::DeleteResponse*) {
  return ServeMutation(
      context, deps_, "DeletePort", *request, [&] { return request->id(); },
      [&](const auth::Principal& who) -> absl::Status {
        return services_.ports.Delete(MutationContext(who, *request), request->id());
      });
}

grpc::Status PortApi::WatchPorts(grpc::ServerContext* context, const v1::WatchPortsRequest* request,
                                 grpc::ServerWriter<v1::PortEvent>* writer) {
  return Serve(context, tokens_, [&](const auth::Principal& who) -> absl::Status {
    service::WatchPortsOptions options{.start_revision = request->start_revision(),
                                       .device_id = request->device_id(),
                                       .subnet_id = request->subnet_id()};
    if (request->has_scope()) {
      options.scope = auth::Scope{request->scope().org_id(), request->scope().project_id()};
    }
    const auto emit = [&](const service::PortEvent& event) {
      v1::PortEvent out;
      out.set_type(static_cast<v1::PortEvent::Type>(static_cast<int>(event.type) + 1));
      if (event.type != service::PortEvent::Type::kSynced)
        *out.mutable_port() = ToProto(event.port);
      out.set_revision(event.revision);
      return writer->Write(out);  // false once the client is gone
    };
    PN_RETURN_IF_ERROR(services_.ports.Watch({who, std::nullopt}, options, emit, [&] {
      return context->IsCancelled() || deps_.stopping.load();
    }));
    return deps_.stopping.load() ? absl::UnavailableError(
                                       "the server is shutting down; resume from the last revision")
                                 : absl::OkStatus();
  });
}

}  // namespace plasmanet::api
