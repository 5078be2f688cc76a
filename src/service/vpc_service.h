// VpcService: create, read, list, update (gateway, static routes) and delete VPCs. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <absl/status/statusor.h>

#include "model/external_network.h"
#include "model/vpc.h"
#include "service/service_core.h"

namespace plasmanet::service {

// What UpdateVpc may change besides name and labels.
struct VpcUpdate {
  MetaUpdate meta;
  // Set: attach, change or (inner nullopt) clear the gateway.
  std::optional<std::optional<model::VpcGatewaySpec>> gateway;
  std::optional<std::vector<model::StaticRouteSpec>> static_routes;  // set: replace them all
};

class VpcService {
 public:
  explicit VpcService(ServiceCore& core) : core_(core) {}

  // INVALID_ARGUMENT naming the field; PERMISSION_DENIED for readers.
  absl::StatusOr<model::Vpc> Create(const RequestContext& ctx, const model::VpcSpec& spec);
  // NOT_FOUND unless the caller may read it.
  absl::StatusOr<model::Vpc> Get(const RequestContext& ctx, const std::string& id);
  // `name`: only VPCs of that name (empty: all).
  absl::StatusOr<ListPage<model::Vpc>> List(const RequestContext& ctx, const ListOptions& options,
                                            const std::string& name = "");
  // ABORTED if `etag` is given and stale. The gateway's external network must be visible
  // (NOT_FOUND), have a free address (RESOURCE_EXHAUSTED) and, to move or clear it, no floating
  // IP of the VPC may depend on the old one (FAILED_PRECONDITION). A route's next hop must be an
  // address of one of the VPC's subnets (FAILED_PRECONDITION otherwise).
  absl::StatusOr<model::Vpc> Update(const RequestContext& ctx, const std::string& id,
                                    const std::string& etag, const VpcUpdate& update);
  // FAILED_PRECONDITION while the VPC has subnets; its gateway address goes back to the pool.
  absl::Status Delete(const RequestContext& ctx, const std::string& id);

 private:
  // An external address proposed by IPAM for a gateway, to return if the commit fails.
  struct Proposal {
    std::string network_id;
    model::SubnetFamily pool;
    IpAddress address;
  };
  // Turns `vpc.gateway` into `spec`, adding the compares and ops; sets *proposed when IPAM
  // proposed an address.
  absl::Status ChangeGateway(const RequestContext& ctx,
                             const std::optional<model::VpcGatewaySpec>& spec, model::Vpc& vpc,
                             store::Txn& txn, std::optional<Proposal>* proposed);
  absl::Status ChangeRoutes(const std::vector<model::StaticRouteSpec>& specs, model::Vpc& vpc,
                            store::Txn& txn);

  ServiceCore& core_;
};

}  // namespace plasmanet::service
