// Authorization decisions: may this principal see or change objects of this kind in this scope?
//
// Two rules shape the answers:
//   - Objects outside what a principal may see do not exist for it: the service layer answers
//     NOT_FOUND, never PERMISSION_DENIED, so one tenant cannot probe another's ids.
//   - PERMISSION_DENIED is only for a principal that can see the scope but lacks the role for the
//     action (a reader creating a port, a member creating an external network).
//
// Pure functions of their arguments; thread-safe.
#pragma once

#include <optional>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include "auth/principal.h"

namespace plasmanet::auth {

enum class Kind { kVpc, kSubnet, kPort, kSecurityGroup, kExternalNetwork, kFloatingIp };

absl::string_view KindName(Kind kind);  // "vpc", "subnet", ...

// True if `principal` may read objects of `kind` in `scope`. External networks are readable by
// every principal.
bool CanRead(const Principal& principal, Kind kind, const Scope& scope);

// OK if `principal` may create, change or delete objects of `kind` in `scope`. NOT_FOUND when
// it cannot even read there; PERMISSION_DENIED when it can read but not write.
absl::Status CheckWrite(const Principal& principal, Kind kind, const Scope& scope);

// The scope a create lands in: the principal's own project, or `requested` for platform-wide
// principals (who must name one). INVALID_ARGUMENT for a platform-wide principal without one or
// with a malformed one; PERMISSION_DENIED for a project principal naming another project.
absl::StatusOr<Scope> ResolveCreateScope(const Principal& principal,
                                         const std::optional<Scope>& requested);

}  // namespace plasmanet::auth
