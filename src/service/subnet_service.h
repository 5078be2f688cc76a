// SubnetService: create, read, list and delete subnets. Thread-safe.
#pragma once

#include <string>

#include <absl/status/statusor.h>

#include "model/subnet.h"
#include "service/service_core.h"

namespace plasmanet::service {

struct SubnetFilter {
  std::string vpc_id;  // empty: any
  std::string name;    // empty: any
};

struct SubnetUpdate {
  MetaUpdate meta;
  std::optional<bool> dhcp_enabled;
  std::optional<std::vector<std::string>> dns_servers;
  std::optional<int> mtu;
  std::optional<std::vector<model::HostRouteSpec>> host_routes;
};

class SubnetService {
 public:
  explicit SubnetService(ServiceCore& core, model::NetworkLimits limits = {})
      : core_(core), limits_(limits) {}

  // NOT_FOUND for a VPC the caller cannot see; INVALID_ARGUMENT naming the field;
  // FAILED_PRECONDITION when a CIDR overlaps a sibling subnet of the VPC.
  absl::StatusOr<model::Subnet> Create(const RequestContext& ctx, const model::SubnetSpec& spec);
  absl::StatusOr<model::Subnet> Get(const RequestContext& ctx, const std::string& id);
  absl::StatusOr<ListPage<model::Subnet>> List(const RequestContext& ctx,
                                               const ListOptions& options,
                                               const SubnetFilter& filter = {});
  // Name, labels, DHCP, DNS servers, MTU and host routes (addressing is fixed once ports use
  // it).
  absl::StatusOr<model::Subnet> Update(const RequestContext& ctx, const std::string& id,
                                       const std::string& etag, const SubnetUpdate& update);
  // FAILED_PRECONDITION while the subnet has ports.
  absl::Status Delete(const RequestContext& ctx, const std::string& id);

 private:
  absl::StatusOr<std::optional<model::Subnet>> TryCreate(const RequestContext& ctx,
                                                         const model::SubnetSpec& spec);

  ServiceCore& core_;
  const model::NetworkLimits limits_;
};

}  // namespace plasmanet::service
