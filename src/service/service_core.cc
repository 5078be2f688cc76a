#include "service/service_core.h"

#include <absl/strings/match.h>

namespace plasmanet::service {

void ServiceCore::StampNew(model::ObjectMeta& meta, const auth::Scope& scope) {
  meta.id = ids_.NewId();
  meta.org_id = scope.org_id;
  meta.project_id = scope.project_id;
  meta.created_at = meta.updated_at = clock_.Now();
}

absl::StatusOr<std::vector<store::KeyValue>> ServiceCore::ScanIds(const auth::Principal& principal,
                                                                  auth::Kind kind,
                                                                  const ListOptions& options,
                                                                  std::string* last_key,
                                                                  bool* more) {
  // Project principals read their scope index; platform-wide ones the whole kind, unless they
  // narrow it to a project. External networks are shared, so everyone reads the whole kind.
  std::string prefix;
  if (kind == auth::Kind::kExternalNetwork) {
    prefix = keys::KindPrefix(kind);
  } else if (!principal.platform_wide()) {
    prefix = keys::ScopePrefix(principal.scope, kind);
  } else if (options.scope.has_value()) {
    prefix = keys::ScopePrefix(*options.scope, kind);
  } else {
    prefix = keys::KindPrefix(kind);
  }
  if (!options.page_token.empty() && !absl::StartsWith(options.page_token, prefix)) {
    return InvalidField("page_token", "does not belong to this listing");
  }
  PN_ASSIGN_OR_RETURN(
      store::RangeResult result,
      store_.Range({.prefix = prefix, .start_after = options.page_token, .limit = kMaxPageSize}));
  *more = result.more;
  *last_key = result.kvs.empty() ? options.page_token : result.kvs.back().key;
  return std::move(result.kvs);
}

}  // namespace plasmanet::service
