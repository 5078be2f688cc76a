// FloatingIpService: addresses of an external network owned by a project, optionally mapped
// onto a port's IPv4 address. Thread-safe.
#pragma once

#include <string>

#include <absl/status/statusor.h>

#include "model/floating_ip.h"
#include "service/service_core.h"

namespace plasmanet::service {

class FloatingIpService {
 public:
  explicit FloatingIpService(ServiceCore& core) : core_(core) {}

  // NOT_FOUND for an unknown network or a port the caller cannot see; ALREADY_EXISTS for a
  // requested address in use or a port address that already has a floating IP;
  // RESOURCE_EXHAUSTED when the pools are empty.
  absl::StatusOr<model::FloatingIp> Create(const RequestContext& ctx,
                                           const model::FloatingIpSpec& spec);
  absl::StatusOr<model::FloatingIp> Get(const RequestContext& ctx, const std::string& id);
  // `port_id`: only floating IPs mapped to that port (empty: all).
  absl::StatusOr<ListPage<model::FloatingIp>> List(const RequestContext& ctx,
                                                   const ListOptions& options,
                                                   const std::string& port_id = "");
  absl::Status Delete(const RequestContext& ctx, const std::string& id);

 private:
  absl::StatusOr<std::optional<model::FloatingIp>> TryCreate(const RequestContext& ctx,
                                                             const model::FloatingIpSpec& spec);

  ServiceCore& core_;
};

}  // namespace plasmanet::service
