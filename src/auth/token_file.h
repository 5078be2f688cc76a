// TokenFile: static bearer tokens loaded from a file given to plasmanetd (--tokens FILE).
//
// One token a line: `TOKEN ORG PROJECT ROLE[,ROLE...]`. `#` starts a comment; blank lines are
// ignored; `*` as ORG and PROJECT makes a platform-wide principal (admin, service). Roles are
// admin, member, reader and service.
//
//   # the VM service, and one tenant's developer
//   s3cr3t-vmc   *    *    service
//   t0k3n-alice  acme web  member
//
// A malformed file is refused whole, naming the line. Immutable after Load; thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>

#include <absl/status/statusor.h>
#include <absl/strings/string_view.h>

#include "auth/principal.h"

namespace plasmanet::auth {

class TokenFile {
 public:
  static absl::StatusOr<TokenFile> Load(const std::string& path);
  static absl::StatusOr<TokenFile> Parse(absl::string_view text);

  // The principal a token stands for, or nullopt for an unknown token.
  std::optional<Principal> Lookup(absl::string_view token) const;
  size_t size() const { return principals_.size(); }

 private:
  std::map<std::string, Principal, std::less<>> principals_;
};

// Parses a role name: admin, member, reader, service.
std::optional<Role> ParseRole(absl::string_view name);

}  // namespace plasmanet::auth
