// SecurityGroupService: groups and their rules, and the per-project default group.
//
// A rule that names a remote group records an index entry under that group, so the remote group
// cannot be deleted while referenced. Thread-safe.
#pragma once

#include <string>
#include <vector>

#include <absl/status/statusor.h>

#include "model/security_group.h"
#include "service/service_core.h"

namespace plasmanet::service {

// What a transaction must contain to use the project's default group, creating it if needed.
struct DefaultGroupPlan {
  std::string group_id;
  std::vector<store::Compare> compares;  // guards the creation (or the existence)
  std::vector<store::Op> ops;            // empty when the group already exists
};

struct SecurityGroupUpdate {
  MetaUpdate meta;
  std::optional<std::string> description;
  std::optional<bool> log;
};

class SecurityGroupService {
 public:
  explicit SecurityGroupService(ServiceCore& core) : core_(core) {}

  // A new group starts with allow-all egress rules for IPv4 and IPv6.
  absl::StatusOr<model::SecurityGroup> Create(const RequestContext& ctx,
                                              const model::SecurityGroupSpec& spec);
  absl::StatusOr<model::SecurityGroup> Get(const RequestContext& ctx, const std::string& id);
  // Lists the caller's groups. For a project principal this also creates the project's default
  // group if it does not exist yet, so it can be edited before the first port.
  absl::StatusOr<ListPage<model::SecurityGroup>> List(const RequestContext& ctx,
                                                      const ListOptions& options,
                                                      const std::string& name = "");
  // Name, labels, description. The name "default" stays the default group's.
  absl::StatusOr<model::SecurityGroup> Update(const RequestContext& ctx, const std::string& id,
                                              const std::string& etag,
                                              const SecurityGroupUpdate& update);
  // FAILED_PRECONDITION for the default group, a group with member ports, or a group that
  // another group's rules reference.
  absl::Status Delete(const RequestContext& ctx, const std::string& id);

  // Adds one rule; returns the group with it. ALREADY_EXISTS for a duplicate; NOT_FOUND for a
  // remote group the caller cannot see or of another project; FAILED_PRECONDITION at the limit.
  absl::StatusOr<model::SecurityGroup> AddRule(const RequestContext& ctx,
                                               const std::string& group_id,
                                               const model::SecurityGroupRuleSpec& spec);
  // Adds several rules in one transaction, all or none; the errors of AddRule, and
  // ALREADY_EXISTS for two equal rules in `specs`. Messages about specs[i] start "rules[i]: ".
  absl::StatusOr<model::SecurityGroup> AddRules(
      const RequestContext& ctx, const std::string& group_id,
      const std::vector<model::SecurityGroupRuleSpec>& specs);
  // NOT_FOUND naming rule_id if the group has no such rule.
  absl::StatusOr<model::SecurityGroup> RemoveRule(const RequestContext& ctx,
                                                  const std::string& group_id,
                                                  const std::string& rule_id);

  // The default group of `scope`: how to use it in a transaction, creating it if absent. The
  // group's id comes from a cache unless `fresh`: the plan's compare guards that it exists.
  absl::StatusOr<DefaultGroupPlan> PlanDefaultGroup(const auth::Scope& scope, bool fresh = true);

 private:
  absl::StatusOr<std::optional<model::SecurityGroup>> TryAddRules(
      const RequestContext& ctx, const std::string& group_id,
      const std::vector<model::SecurityGroupRuleSpec>& specs);
  absl::StatusOr<std::optional<model::SecurityGroup>> TryRemoveRule(const RequestContext& ctx,
                                                                    const std::string& group_id,
                                                                    const std::string& rule_id);
  absl::StatusOr<model::SecurityGroup> LoadWritable(const RequestContext& ctx,
                                                    const std::string& id);

  ServiceCore& core_;
  // Default group ids by project (pointer key): a project's default group is never deleted or
  // replaced, so an entry only goes stale if the store is edited by hand (the guard catches it).
  ReadCache<std::string> default_groups_{4096};
};

}  // namespace plasmanet::service
