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
};

class SubnetService {
 public:
  explicit SubnetService(ServiceCore& core) : core_(core) {}

  // NOT_FOUND for a VPC the caller cannot see; INVALID_ARGUMENT naming the field;
  // FAILED_PRECONDITION when a CIDR overlaps a sibling subnet of the VPC.
  absl::StatusOr<model::Subnet> Create(const RequestContext& ctx, const model::SubnetSpec& spec);
  absl::StatusOr<model::Subnet> Get(const RequestContext& ctx, const std::string& id);
  absl::StatusOr<ListPage<model::Subnet>> List(const RequestContext& ctx,
                                               const ListOptions& options,
                                               const SubnetFilter& filter = {});
  // Name, labels, DHCP and DNS servers (addressing is fixed once ports use it).
  absl::StatusOr<model::Subnet> Update(const RequestContext& ctx, const std::string& id,
                                       const std::string& etag, const SubnetUpdate& update);
  // FAILED_PRECONDITION while the subnet has ports.
  absl::Status Delete(const RequestContext& ctx, const std::string& id);

 private:
  absl::StatusOr<std::optional<model::Subnet>> TryCreate(const RequestContext& ctx,
                                                         const model::SubnetSpec& spec);

  ServiceCore& core_;
};

}  // namespace plasmanet::service
