// FloatingIpService: addresses of an external network owned by a project, optionally mapped
// onto a port's IPv4 address. Thread-safe.
#pragma once

#include <string>

#include <absl/status/statusor.h>

#include "model/floating_ip.h"
#include "service/service_core.h"

namespace plasmanet::service {

// Associating (port_id set), moving, or disassociating (port_id empty) a floating IP.
struct FloatingIpUpdate {
  MetaUpdate meta;
  std::optional<std::string> port_id;
  std::optional<std::string> fixed_ip_address;  // empty: the port's IPv4 address
};

class FloatingIpService {
 public:
  explicit FloatingIpService(ServiceCore& core) : core_(core) {}

  // NOT_FOUND for an unknown network or a port the caller cannot see; ALREADY_EXISTS for a
  // requested address in use or a port address that already has a floating IP;
  // RESOURCE_EXHAUSTED when the pools are empty; FAILED_PRECONDITION when the port's VPC has no
  // gateway on the floating IP's external network.
  absl::StatusOr<model::FloatingIp> Create(const RequestContext& ctx,
                                           const model::FloatingIpSpec& spec);
  absl::StatusOr<model::FloatingIp> Get(const RequestContext& ctx, const std::string& id);
  // `port_id`: only floating IPs mapped to that port (empty: all).
  absl::StatusOr<ListPage<model::FloatingIp>> List(const RequestContext& ctx,
                                                   const ListOptions& options,
                                                   const std::string& port_id = "");
  absl::StatusOr<model::FloatingIp> Update(const RequestContext& ctx, const std::string& id,
                                           const std::string& etag, const FloatingIpUpdate& update);
  absl::Status Delete(const RequestContext& ctx, const std::string& id);

 private:
  absl::StatusOr<std::optional<model::FloatingIp>> TryCreate(const RequestContext& ctx,
                                                             const model::FloatingIpSpec& spec);

  // Where a floating IP maps to: a port's address, NATed by the router of the port's VPC.
  struct Target {
    IpAddress fixed_ip;
    std::string vpc_id;
    int64_t vpc_revision = 0;  // the commit compares it: a gateway change meanwhile conflicts
  };
  // Checks that `port_id` is a port of `scope` the caller sees with the address `fixed_ip`
  // (empty: its IPv4 one), and that its VPC has a gateway on `network_id`
  // (FAILED_PRECONDITION otherwise: the router could not NAT the address).
  absl::StatusOr<Target> SelectTarget(const RequestContext& ctx, const auth::Scope& scope,
                                      const std::string& network_id, const std::string& port_id,
                                      const std::string& fixed_ip);
  // Adds the compares and index keys of mapping floating IP `fip_id` onto `target`.
  absl::Status AddMapping(const std::string& fip_id, const std::string& port_id,
                          const Target& target, store::Txn& txn);

  ServiceCore& core_;
};

}  // namespace plasmanet::service
