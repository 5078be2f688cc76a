#include "api/security_group_api.h"

#include "api/convert.h"
#include "api/grpc_call.h"

namespace plasmanet::api {

grpc::Status SecurityGroupApi::CreateSecurityGroup(grpc::ServerContext* context,
                                                   const v1::CreateSecurityGroupRequest* request,
                                                   v1::SecurityGroup* response) {
  return ServeMutation(
      context, deps_, "CreateSecurityGroup", *request, [&] { return response->metadata().id(); },
      [&](const auth::Principal& who) -> absl::Status {
        PN_ASSIGN_OR_RETURN(model::SecurityGroup created,
                            services_.security_groups.Create(MutationContext(who, *request),
                                                             ToSpec(request->security_group())));
        *response = ToProto(created);
        return absl::OkStatus();
      });
}

grpc::Status SecurityGroupApi::GetSecurityGroup(grpc::ServerContext* context,
                                                const v1::GetSecurityGroupRequest* request,
                                                v1::SecurityGroup* response) {
  return Serve(context, tokens_, [&](const auth::Principal& who) -> absl::Status {
    PN_ASSIGN_OR_RETURN(model::SecurityGroup found,
                        services_.security_groups.Get({who, std::nullopt}, request->id()));
    *response = ToProto(found);
    return absl::OkStatus();
  });
}

grpc::Status SecurityGroupApi::ListSecurityGroups(grpc::ServerContext* context,
                                                  const v1::ListSecurityGroupsRequest* request,
                                                  v1::ListSecurityGroupsResponse* response) {
  return Serve(context, tokens_, [&](const auth::Principal& who) -> absl::Status {
    const service::ListOptions options = ListOptionsOf(request->page_size(), request->page_token(),
                                                       request->scope(), request->has_scope());
    PN_ASSIGN_OR_RETURN(
        service::ListPage<model::SecurityGroup> page,
        services_.security_groups.List({who, std::nullopt}, options, request->name()));
    for (const model::SecurityGroup& item : page.items)
      *response->add_security_groups() = ToProto(item);
    response->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  });
}

grpc::Status SecurityGroupApi::UpdateSecurityGroup(grpc::ServerContext* context,
                                                   const v1::UpdateSecurityGroupRequest* request,
                                                   v1::SecurityGroup* response) {
  return ServeMutation(
      context, deps_, "UpdateSecurityGroup", *request,
      [&] { return request->security_group().metadata().id(); },
      [&](const auth::Principal& who) -> absl::Status {
        const v1::SecurityGroup& r = request->security_group();
        PN_ASSIGN_OR_RETURN(std::set<std::string> paths,
                            MaskPaths(request->update_mask(), {"description", "log"}));
        PN_ASSIGN_OR_RETURN(
            model::SecurityGroup updated,
            services_.security_groups.Update(
                MutationContext(who, *request), r.metadata().id(), r.metadata().etag(), [&] {
                  service::SecurityGroupUpdate u{.meta = MetaUpdateOf(paths, r.metadata())};
                  if (paths.count("description")) u.description = r.description();
                  if (paths.count("log")) u.log = r.log();
                  return u;
                }()));
        *response = ToProto(updated);
        return absl::OkStatus();
      });
}

grpc::Status SecurityGroupApi::DeleteSecurityGroup(grpc::ServerContext* context,
                                                   const v1::DeleteSecurityGroupRequest* request,
                                                   v1::DeleteResponse*) {
  return ServeMutation(
      context, deps_, "DeleteSecurityGroup", *request, [&] { return request->id(); },
      [&](const auth::Principal& who) -> absl::Status {
        return services_.security_groups.Delete(MutationContext(who, *request), request->id());
      });
}

grpc::Status SecurityGroupApi::AddSecurityGroupRule(grpc::ServerContext* context,
                                                    const v1::AddSecurityGroupRuleRequest* request,
                                                    v1::SecurityGroup* response) {
  return ServeMutation(
      context, deps_, "AddSecurityGroupRule", *request,
      [&] { return request->security_group_id(); },
      [&](const auth::Principal& who) -> absl::Status {
        std::vector<model::SecurityGroupRuleSpec> specs;
        if (request->has_rule()) specs.push_back(ToSpec(request->rule()));
        for (const v1::SecurityGroupRule& rule : request->rules()) specs.push_back(ToSpec(rule));
        PN_ASSIGN_OR_RETURN(model::SecurityGroup group, services_.security_groups.AddRules(
                                                            MutationContext(who, *request),
                                                            request->security_group_id(), specs));
        *response = ToProto(group);
        return absl::OkStatus();
      });
}

grpc::Status SecurityGroupApi::RemoveSecurityGroupRule(
    grpc::ServerContext* context, const v1::RemoveSecurityGroupRuleRequest* request,
    v1::SecurityGroup* response) {
  return ServeMutation(
      context, deps_, "RemoveSecurityGroupRule", *request,
      [&] { return request->security_group_id(); },
      [&](const auth::Principal& who) -> absl::Status {
        PN_ASSIGN_OR_RETURN(
            model::SecurityGroup group,
            services_.security_groups.RemoveRule(MutationContext(who, *request),
                                                 request->security_group_id(), request->rule_id()));
        *response = ToProto(group);
        return absl::OkStatus();
      });
}

}  // namespace plasmanet::api
