// Principal: who is calling, in which scope, with which roles. Built by the API layer from a
// verified token (issue #3); the service layer only consumes it.
//
// A principal whose org and project are "*" is platform-wide (admins, the VM service).
#pragma once

#include <set>
#include <string>

#include <absl/strings/string_view.h>

namespace plasmanet::auth {

enum class Role {
  kAdmin,    // everything, in every project
  kMember,   // read and write in its own project
  kReader,   // read in its own project
  kService,  // the VM service: read everything, create/delete/bind ports in any project
};

absl::string_view RoleName(Role role);

inline constexpr absl::string_view kAnyScope = "*";

// An org/project pair that objects live in.
struct Scope {
  std::string org_id;
  std::string project_id;
  friend bool operator==(const Scope&, const Scope&) = default;
};

struct Principal {
  std::string subject;  // for the audit log: who this is
  Scope scope;
  std::set<Role> roles;

  bool Has(Role role) const { return roles.count(role) > 0; }
  bool platform_wide() const { return scope.org_id == kAnyScope && scope.project_id == kAnyScope; }
};

}  // namespace plasmanet::auth
