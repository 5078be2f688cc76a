#include "auth/authorizer.h"

#include <absl/strings/str_cat.h>

#include "common/errors.h"
#include "model/meta.h"

namespace plasmanet::auth {
namespace {

bool InScope(const Principal& p, const Scope& scope) {
  return p.platform_wide() || p.scope == scope;
}

}  // namespace

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAdmin:
      return "admin";
    case Role::kMember:
      return "member";
    case Role::kReader:
      return "reader";
    case Role::kService:
      return "service";
  }
  return "unknown";
}

absl::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kVpc:
      return "vpc";
    case Kind::kSubnet:
      return "subnet";
    case Kind::kPort:
      return "port";
    case Kind::kSecurityGroup:
      return "security_group";
    case Kind::kExternalNetwork:
      return "external_network";
    case Kind::kFloatingIp:
      return "floating_ip";
  }
  return "unknown";
}

bool CanRead(const Principal& p, Kind kind, const Scope& scope) {
  if (p.Has(Role::kAdmin) || p.Has(Role::kService) || kind == Kind::kExternalNetwork) {
    return !p.roles.empty();
  }
  return InScope(p, scope) && (p.Has(Role::kMember) || p.Has(Role::kReader));
}

absl::Status CheckWrite(const Principal& p, Kind kind, const Scope& scope) {
  if (!CanRead(p, kind, scope)) {
    return absl::NotFoundError(absl::StrCat(KindName(kind), " not found"));
  }
  if (p.Has(Role::kAdmin)) {
    return absl::OkStatus();
  }
  if (kind == Kind::kExternalNetwork) {
    return absl::PermissionDeniedError("only admins may change external networks");
  }
  if (kind == Kind::kPort && p.Has(Role::kService)) {
    return absl::OkStatus();
  }
  if (p.Has(Role::kMember) && InScope(p, scope)) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat("principal ", p.subject, " may not change ", KindName(kind), " objects"));
}

absl::StatusOr<Scope> ResolveCreateScope(const Principal& p,
                                         const std::optional<Scope>& requested) {
  if (!p.platform_wide()) {
    if (requested.has_value() && !(*requested == p.scope)) {
      return absl::PermissionDeniedError("a project principal creates only in its own project");
    }
    return p.scope;
  }
  if (!requested.has_value()) {
    return InvalidField("scope", "platform-wide principals must name the org and project");
  }
  if (!model::IsValidScopeId(requested->org_id)) {
    return InvalidField("scope.org_id", "must be 1-64 characters of letters, digits, . _ -");
  }
  if (!model::IsValidScopeId(requested->project_id)) {
    return InvalidField("scope.project_id", "must be 1-64 characters of letters, digits, . _ -");
  }
  return *requested;
}

}  // namespace plasmanet::auth
