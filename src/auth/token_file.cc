#include "auth/token_file.h"

#include <fstream>
#include <sstream>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <absl/strings/strip.h>

#include "model/meta.h"

namespace plasmanet::auth {

std::optional<Role> ParseRole(absl::string_view name) {
  for (Role r : {Role::kAdmin, Role::kMember, Role::kReader, Role::kService}) {
    if (RoleName(r) == name) return r;
  }
  return std::nullopt;
}

absl::StatusOr<TokenFile> TokenFile::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("token file ", path, " cannot be read"));
  }
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<TokenFile> tokens = Parse(text.str());
  if (!tokens.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("token file ", path, ": ", tokens.status().message()));
  }
  return tokens;
}

absl::StatusOr<TokenFile> TokenFile::Parse(absl::string_view text) {
  TokenFile out;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    if (size_t hash = line.find('#'); hash != absl::string_view::npos) line = line.substr(0, hash);
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (fields.empty()) continue;
    const auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(absl::StrCat("line ", line_number, ": ", why));
    };
    if (fields.size() != 4) return bad("expected TOKEN ORG PROJECT ROLE[,ROLE...]");
    Principal p;
    p.scope = {std::string(fields[1]), std::string(fields[2])};
    const bool org_any = p.scope.org_id == kAnyScope;
    const bool project_any = p.scope.project_id == kAnyScope;
    if (org_any != project_any) return bad("ORG and PROJECT must both be * or both be ids");
    if (!org_any &&
        (!model::IsValidScopeId(p.scope.org_id) || !model::IsValidScopeId(p.scope.project_id))) {
      return bad("ORG and PROJECT must be 1-64 characters of letters, digits, . _ -");
    }
    for (absl::string_view name : absl::StrSplit(fields[3], ',')) {
      std::optional<Role> role = ParseRole(name);
      if (!role.has_value()) return bad(absl::StrCat("unknown role '", name, "'"));
      p.roles.insert(*role);
    }
    const bool platform_role = p.Has(Role::kAdmin) || p.Has(Role::kService);
    if (platform_role != org_any) {
      return bad("admin and service tokens use * * as scope; member and reader tokens a project");
    }
    if (fields[0].size() < 16) return bad("tokens must be at least 16 characters long");
    // The subject in logs: a prefix of the token is enough to tell tokens apart, never all of it.
    p.subject =
        absl::StrCat(p.scope.org_id, "/", p.scope.project_id, "/", fields[0].substr(0, 4), "...");
    if (!out.principals_.emplace(std::string(fields[0]), p).second) return bad("duplicate token");
  }
  return out;
}

std::optional<Principal> TokenFile::Lookup(absl::string_view token) const {
  auto it = principals_.find(token);
  if (it == principals_.end()) return std::nullopt;
  return it->second;
}

}  // namespace plasmanet::auth
