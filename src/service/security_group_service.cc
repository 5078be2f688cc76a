#include "service/security_group_service.h"

#include <absl/strings/str_join.h>

namespace plasmanet::service {

using auth::Kind;
using keys::Relation;
using store::Compare;
using store::Op;

namespace {

// Index entry for a rule referencing another group. Self-references are not indexed: they go
// away with the group itself.
std::optional<std::string> ReferenceKey(const model::SecurityGroup& group,
                                        const model::SecurityGroupRule& rule) {
  if (rule.remote_group_id.empty() || rule.remote_group_id == group.meta.id) {
    return std::nullopt;
  }
  return keys::Child(Relation::kGroupReferences, rule.remote_group_id, rule.id);
}

}  // namespace

absl::StatusOr<model::SecurityGroup> SecurityGroupService::Create(
    const RequestContext& ctx, const model::SecurityGroupSpec& spec) {
  PN_ASSIGN_OR_RETURN(std::optional<model::SecurityGroup> replay,
                      core_.Replay<model::SecurityGroup>(ctx, "CreateSecurityGroup"));
  if (replay.has_value()) return *replay;
  PN_ASSIGN_OR_RETURN(auth::Scope scope, auth::ResolveCreateScope(ctx.principal, ctx.scope));
  PN_RETURN_IF_ERROR(auth::CheckWrite(ctx.principal, Kind::kSecurityGroup, scope));
  PN_ASSIGN_OR_RETURN(model::SecurityGroup group, model::BuildSecurityGroup(spec));
  if (group.meta.name == model::kDefaultGroupName) {
    return InvalidField("security_group.name",
                        "'default' is reserved for the project's default group");
  }
  core_.StampNew(group.meta, scope);
  group.rules = model::AllowAllEgressRules();
  for (model::SecurityGroupRule& rule : group.rules) rule.id = core_.ids().NewId();

  PN_RETURN_IF_ERROR(core_.Insert(ctx, "CreateSecurityGroup", Kind::kSecurityGroup, group));
  return group;
}

absl::StatusOr<model::SecurityGroup> SecurityGroupService::Update(
    const RequestContext& ctx, const std::string& id, const std::string& etag,
    const SecurityGroupUpdate& update) {
  return core_.Update<model::SecurityGroup>(
      ctx, "UpdateSecurityGroup", Kind::kSecurityGroup, id, etag,
      [&](model::SecurityGroup& group) -> absl::StatusOr<store::Txn> {
        if (update.meta.name.has_value() &&
            (group.is_default != (*update.meta.name == model::kDefaultGroupName))) {
          return InvalidField("security_group.name",
                              "the name 'default' belongs to the project's default group");
        }
        PN_RETURN_IF_ERROR(ServiceCore::ApplyMeta(Kind::kSecurityGroup, update.meta, group.meta));
        if (update.description.has_value()) {
          PN_RETURN_IF_ERROR(model::ValidateText("security_group.description", *update.description,
                                                 model::kMaxDescriptionBytes));
          group.description = *update.description;
        }
        if (update.log.has_value()) {
          group.log = *update.log;
        }
        return store::Txn{};
      });
}

absl::StatusOr<model::SecurityGroup> SecurityGroupService::Get(const RequestContext& ctx,
                                                               const std::string& id) {
  return core_.LoadVisible<model::SecurityGroup>(ctx.principal, Kind::kSecurityGroup, id,
                                                 "security_group_id");
}

absl::StatusOr<ListPage<model::SecurityGroup>> SecurityGroupService::List(
    const RequestContext& ctx, const ListOptions& options, const std::string& name) {
  if (!ctx.principal.platform_wide() && options.page_token.empty()) {
    PN_RETURN_IF_ERROR(
        core_
            .RetryOnConflict<bool>(
                "create default security group",
                [&]() -> absl::StatusOr<std::optional<bool>> {
                  PN_ASSIGN_OR_RETURN(DefaultGroupPlan plan, PlanDefaultGroup(ctx.principal.scope));
                  if (plan.ops.empty()) return std::optional<bool>(true);
                  PN_ASSIGN_OR_RETURN(
                      store::TxnResult r,
                      core_.store().Commit({std::move(plan.compares), std::move(plan.ops)}));
                  return r.succeeded ? std::optional<bool>(true) : std::nullopt;
                })
            .status());
  }
  return core_.List<model::SecurityGroup>(ctx.principal, Kind::kSecurityGroup, options,
                                          NameIs<model::SecurityGroup>(name));
}

absl::StatusOr<DefaultGroupPlan> SecurityGroupService::PlanDefaultGroup(const auth::Scope& scope,
                                                                        bool fresh) {
  DefaultGroupPlan plan;
  const std::string pointer = keys::DefaultGroup(scope);
  std::shared_ptr<const std::string> known = fresh ? nullptr : default_groups_.Find(pointer);
  if (known == nullptr) {
    PN_ASSIGN_OR_RETURN(std::optional<store::KeyValue> existing, core_.store().Get(pointer));
    if (existing.has_value()) {
      known = std::make_shared<const std::string>(std::move(existing->value));
      default_groups_.Put(pointer, known);
    }
  }
  if (known != nullptr) {
    plan.group_id = *known;
    plan.compares.push_back(Compare::Exists(keys::Object(Kind::kSecurityGroup, plan.group_id)));
    return plan;
  }
  model::SecurityGroup group;
  core_.StampNew(group.meta, scope);
  group.meta.name = std::string(model::kDefaultGroupName);
  group.description = "Default group: all egress; ingress only from members of this group";
  group.is_default = true;
  group.rules = model::DefaultGroupRules(group.meta.id);
  for (model::SecurityGroupRule& rule : group.rules) rule.id = core_.ids().NewId();
  plan.group_id = group.meta.id;
  // Two first requests of a project race here; the pointer's absence decides the winner.
  plan.compares.push_back(Compare::Absent(pointer));
  plan.ops.push_back(Op::Put(pointer, group.meta.id));
  plan.ops.push_back(
      Op::Put(keys::Object(Kind::kSecurityGroup, group.meta.id), model::Encode(group)));
  plan.ops.push_back(Op::Put(keys::ScopeEntry(scope, Kind::kSecurityGroup, group.meta.id), ""));
  return plan;
}

absl::StatusOr<model::SecurityGroup> SecurityGroupService::LoadWritable(const RequestContext& ctx,
                                                                        const std::string& id) {
  PN_ASSIGN_OR_RETURN(model::SecurityGroup group, Get(ctx, id));
  PN_RETURN_IF_ERROR(auth::CheckWrite(ctx.principal, Kind::kSecurityGroup,
                                      {group.meta.org_id, group.meta.project_id}));
  return group;
}

absl::Status SecurityGroupService::Delete(const RequestContext& ctx, const std::string& id) {
  PN_ASSIGN_OR_RETURN(std::optional<std::monostate> replay,
                      core_.Replay<std::monostate>(ctx, "DeleteSecurityGroup"));
  if (replay.has_value()) return absl::OkStatus();
  PN_ASSIGN_OR_RETURN(model::SecurityGroup group, LoadWritable(ctx, id));
  if (group.is_default) {
    return absl::FailedPreconditionError("the project's default security group cannot be deleted");
  }
  const auth::Scope scope{group.meta.org_id, group.meta.project_id};
  const std::string references = keys::Children(Relation::kGroupReferences, id);
  store::Txn txn;
  txn.compares.push_back(
      Compare::ModRevisionIs(keys::Object(Kind::kSecurityGroup, id), group.meta.revision));
  txn.compares.push_back(Compare::PrefixEmpty(keys::Children(Relation::kGroupPorts, id)));
  txn.compares.push_back(Compare::PrefixEmpty(references));
  txn.ops.push_back(Op::Delete(keys::Object(Kind::kSecurityGroup, id)));
  txn.ops.push_back(Op::Delete(keys::ScopeEntry(scope, Kind::kSecurityGroup, id)));
  core_.AddQuotaDelete(Kind::kSecurityGroup, group.meta, txn.ops);
  for (const model::SecurityGroupRule& rule : group.rules) {
    if (std::optional<std::string> ref = ReferenceKey(group, rule))
      txn.ops.push_back(Op::Delete(*ref));
  }
  PN_ASSIGN_OR_RETURN(store::TxnResult result,
                      core_.Commit(ctx, "DeleteSecurityGroup", std::move(txn)));
  if (result.failed_compare == 1) {
    // Name a few of the ports, so the caller knows what to detach first.
    constexpr int kNamed = 5;
    PN_ASSIGN_OR_RETURN(store::RangeResult members,
                        core_.store().Range({.prefix = keys::Children(Relation::kGroupPorts, id),
                                             .limit = kNamed}));
    std::vector<std::string> ports;
    for (const store::KeyValue& kv : members.kvs) {
      ports.push_back(kv.key.substr(kv.key.rfind('/') + 1));
    }
    return absl::FailedPreconditionError(
        absl::StrCat("security group ", id, " still has member ports: ", absl::StrJoin(ports, ", "),
                     members.more ? ", ..." : ""));
  }
  if (result.failed_compare == 2) {
    PN_ASSIGN_OR_RETURN(store::RangeResult refs,
                        core_.store().Range({.prefix = references, .limit = 1}));
    return absl::FailedPreconditionError(
        absl::StrCat("security group ", id, " is referenced by rules of group ",
                     refs.kvs.empty() ? std::string("(gone)") : refs.kvs[0].value));
  }
  if (!result.succeeded) {
    return absl::AbortedError(
        absl::StrCat("security group ", id, " changed during the delete; retry"));
  }
  if (!ctx.validate_only) core_.ReleaseQuota(Kind::kSecurityGroup, group.meta);
  return absl::OkStatus();
}

absl::StatusOr<model::SecurityGroup> SecurityGroupService::AddRule(
    const RequestContext& ctx, const std::string& group_id,
    const model::SecurityGroupRuleSpec& spec) {
  return AddRules(ctx, group_id, {spec});
}

absl::StatusOr<model::SecurityGroup> SecurityGroupService::AddRules(
    const RequestContext& ctx, const std::string& group_id,
    const std::vector<model::SecurityGroupRuleSpec>& specs) {
  if (specs.empty()) {
    return FieldError(absl::StatusCode::kInvalidArgument, "rule", "no rule to add");
  }
  return core_.RetryOnConflict<model::SecurityGroup>(
      "add security group rules", [&] { return TryAddRules(ctx, group_id, specs); });
}

absl::StatusOr<std::optional<model::SecurityGroup>> SecurityGroupService::TryAddRules(
    const RequestContext& ctx, const std::string& group_id,
    const std::vector<model::SecurityGroupRuleSpec>& specs) {
  PN_ASSIGN_OR_RETURN(std::optional<model::SecurityGroup> replay,
                      core_.Replay<model::SecurityGroup>(ctx, "AddSecurityGroupRule"));
  if (replay.has_value()) return replay;
  PN_ASSIGN_OR_RETURN(model::SecurityGroup group, LoadWritable(ctx, group_id));
  // With one rule the messages are those of a single add; with several, each names its rule.
  auto which = [&](size_t i) {
    return specs.size() == 1 ? std::string() : absl::StrCat("rules[", i, "]: ");
  };
  store::Txn txn;
  const size_t existing_rules = group.rules.size();
  for (size_t i = 0; i < specs.size(); ++i) {
    absl::StatusOr<model::SecurityGroupRule> built = model::BuildSecurityGroupRule(specs[i]);
    if (!built.ok()) {
      absl::Status named(built.status().code(), which(i) + std::string(built.status().message()));
      built.status().ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
        named.SetPayload(url, payload);
      });
      return named;
    }
    model::SecurityGroupRule rule = *std::move(built);
    if (!rule.remote_group_id.empty() && rule.remote_group_id != group.meta.id) {
      absl::StatusOr<model::SecurityGroup> remote = Get(ctx, rule.remote_group_id);
      if (!remote.ok() || remote->meta.org_id != group.meta.org_id ||
          remote->meta.project_id != group.meta.project_id) {
        return FieldError(
            absl::StatusCode::kNotFound, "rule.remote_group_id",
            absl::StrCat(which(i), "security group ", rule.remote_group_id, " not found"));
      }
      txn.compares.push_back(Compare::Exists(keys::Object(Kind::kSecurityGroup, remote->meta.id)));
    }
    for (size_t j = 0; j < group.rules.size(); ++j) {
      const model::SecurityGroupRule& existing = group.rules[j];
      if (!existing.SameMatch(rule)) continue;
      if (j < existing_rules) {
        return absl::AlreadyExistsError(absl::StrCat(which(i), "security group ", group_id,
                                                     " already has this rule as ", existing.id));
      }
      return absl::AlreadyExistsError(
          absl::StrCat(which(i), "the same rule as rules[", j - existing_rules, "]"));
    }
    if (group.rules.size() >= model::kMaxRulesPerGroup) {
      return absl::FailedPreconditionError(absl::StrCat(which(i), "security group ", group_id,
                                                        " has the maximum of ",
                                                        model::kMaxRulesPerGroup, " rules"));
    }
    rule.id = core_.ids().NewId();
    if (std::optional<std::string> ref = ReferenceKey(group, rule)) {
      txn.ops.push_back(Op::Put(*ref, group_id));
    }
    group.rules.push_back(std::move(rule));
  }
  group.meta.updated_at = core_.clock().Now();
  txn.compares.push_back(
      Compare::ModRevisionIs(keys::Object(Kind::kSecurityGroup, group_id), group.meta.revision));
  txn.ops.push_back(Op::Put(keys::Object(Kind::kSecurityGroup, group_id), model::Encode(group)));
  PN_ASSIGN_OR_RETURN(store::TxnResult result, core_.Commit(ctx, "AddSecurityGroupRule",
                                                            std::move(txn), model::Encode(group)));
  if (!result.succeeded) {
    return std::optional<model::SecurityGroup>();
  }
  group.meta.revision = result.revision;
  return std::optional<model::SecurityGroup>(std::move(group));
}

absl::StatusOr<model::SecurityGroup> SecurityGroupService::RemoveRule(const RequestContext& ctx,
                                                                      const std::string& group_id,
                                                                      const std::string& rule_id) {
  return core_.RetryOnConflict<model::SecurityGroup>(
      "remove security group rule", [&] { return TryRemoveRule(ctx, group_id, rule_id); });
}

absl::StatusOr<std::optional<model::SecurityGroup>> SecurityGroupService::TryRemoveRule(
    const RequestContext& ctx, const std::string& group_id, const std::string& rule_id) {
  PN_ASSIGN_OR_RETURN(std::optional<model::SecurityGroup> replay,
                      core_.Replay<model::SecurityGroup>(ctx, "RemoveSecurityGroupRule"));
  if (replay.has_value()) return replay;
  PN_ASSIGN_OR_RETURN(model::SecurityGroup group, LoadWritable(ctx, group_id));
  auto it = std::find_if(group.rules.begin(), group.rules.end(),
                         [&](const model::SecurityGroupRule& r) { return r.id == rule_id; });
  if (it == group.rules.end()) {
    return FieldError(absl::StatusCode::kNotFound, "rule_id",
                      absl::StrCat("security group ", group_id, " has no rule ", rule_id));
  }
  store::Txn txn;
  if (std::optional<std::string> ref = ReferenceKey(group, *it)) {
    txn.ops.push_back(Op::Delete(*ref));
  }
  group.rules.erase(it);
  group.meta.updated_at = core_.clock().Now();
  txn.compares.push_back(
      Compare::ModRevisionIs(keys::Object(Kind::kSecurityGroup, group_id), group.meta.revision));
  txn.ops.push_back(Op::Put(keys::Object(Kind::kSecurityGroup, group_id), model::Encode(group)));
  PN_ASSIGN_OR_RETURN(store::TxnResult result, core_.Commit(ctx, "RemoveSecurityGroupRule",
                                                            std::move(txn), model::Encode(group)));
  if (!result.succeeded) {
    return std::optional<model::SecurityGroup>();
  }
  group.meta.revision = result.revision;
  return std::optional<model::SecurityGroup>(std::move(group));
}

}  // namespace plasmanet::service
