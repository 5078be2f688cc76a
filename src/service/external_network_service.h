// ExternalNetworkService: provider networks, defined by platform admins and readable by every
// tenant (they pick one for gateways and floating IPs). Thread-safe.
#pragma once

#include <string>

#include <absl/status/statusor.h>

#include "model/external_network.h"
#include "service/service_core.h"

namespace plasmanet::service {

class ExternalNetworkService {
 public:
  explicit ExternalNetworkService(ServiceCore& core) : core_(core) {}

  // PERMISSION_DENIED unless the caller is an admin.
  absl::StatusOr<model::ExternalNetwork> Create(const RequestContext& ctx,
                                                const model::ExternalNetworkSpec& spec);
  absl::StatusOr<model::ExternalNetwork> Get(const RequestContext& ctx, const std::string& id);
  absl::StatusOr<ListPage<model::ExternalNetwork>> List(const RequestContext& ctx,
                                                        const ListOptions& options,
                                                        const std::string& name = "");
  // Name and labels; admins only.
  absl::StatusOr<model::ExternalNetwork> Update(const RequestContext& ctx, const std::string& id,
                                                const std::string& etag, const MetaUpdate& update);
  // FAILED_PRECONDITION while floating IPs are allocated from it.
  absl::Status Delete(const RequestContext& ctx, const std::string& id);

 private:
  ServiceCore& core_;
};

// External networks belong to the platform, not to a tenant.
inline const auth::Scope kPlatformScope{std::string(auth::kAnyScope), std::string(auth::kAnyScope)};

}  // namespace plasmanet::service
