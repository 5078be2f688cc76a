// PortService: VM NICs. Creating a port resolves its security groups (the project's default
// group when none are named), picks or checks its MAC and addresses, and commits the port
// together with every uniqueness key (addresses, MAC) in one store transaction, so a port
// exists if and only if its addresses are taken. Thread-safe.
#pragma once

#include <functional>
#include <string>

#include <absl/status/statusor.h>

#include "model/port.h"
#include "service/security_group_service.h"
#include "service/service_core.h"

namespace plasmanet::service {

struct PortFilter {
  std::string subnet_id;
  std::string vpc_id;
  std::string device_id;
  std::string name;
};

// One change seen by Watch.
struct PortEvent {
  enum class Type { kExisting, kSynced, kCreated, kUpdated, kDeleted };
  Type type = Type::kExisting;
  model::Port port;  // empty for kSynced; the last state for kDeleted
  int64_t revision = 0;
};

struct WatchPortsOptions {
  int64_t start_revision = 0;  // 0: snapshot first, then changes
  std::optional<auth::Scope> scope;
  std::string device_id;
  std::string subnet_id;
};

// What an update of a port may change. Unset: unchanged. Addresses, MAC and subnet are fixed.
struct PortUpdate {
  MetaUpdate meta;
  std::optional<std::vector<std::string>> security_group_ids;
  std::optional<bool> port_security_enabled;
  std::optional<std::vector<model::AllowedAddressPairSpec>> allowed_address_pairs;
  std::optional<std::string> device_id;
  std::optional<std::string> device_owner;
  std::optional<model::DhcpOptionMap> extra_dhcp_options;  // replaces the whole map
};

class PortService {
 public:
  PortService(ServiceCore& core, SecurityGroupService& groups) : core_(core), groups_(groups) {}

  // NOT_FOUND for a subnet or group the caller cannot see (or of another project);
  // INVALID_ARGUMENT naming the field; ALREADY_EXISTS for a requested MAC or IP in use;
  // RESOURCE_EXHAUSTED when the subnet has no free address.
  absl::StatusOr<model::Port> Create(const RequestContext& ctx, const model::PortSpec& spec);
  absl::StatusOr<model::Port> Get(const RequestContext& ctx, const std::string& id);
  absl::StatusOr<ListPage<model::Port>> List(const RequestContext& ctx, const ListOptions& options,
                                             const PortFilter& filter = {});
  // Validates the port as it would be after the change with the rules of a create.
  absl::StatusOr<model::Port> Update(const RequestContext& ctx, const std::string& id,
                                     const std::string& etag, const PortUpdate& update);
  // Frees the port's addresses and MAC and disassociates its floating IPs.
  absl::Status Delete(const RequestContext& ctx, const std::string& id);

  // Records what the data plane reports about the port: its status (ACTIVE when OVN has bound
  // it on a chassis, DOWN when unbound) and the chassis. Called by the reconciler, not by
  // tenants, hence no request context. NOT_FOUND if the port is gone; a no-op when nothing
  // changed, so repeated reports cost no store write. With `fence` (the leader's term, see
  // election/), written only while it holds: FAILED_PRECONDITION once the term is over.
  absl::Status RecordBinding(const std::string& id, model::PortStatus status,
                             const std::string& chassis,
                             const std::optional<store::Compare>& fence = std::nullopt);

  // Streams the ports the caller may read to `emit`: with start_revision 0 first those that
  // exist (kExisting, then one kSynced), then every change, in order, until `emit` returns
  // false or `stop` returns true (checked at least every `poll`). OUT_OF_RANGE when
  // start_revision is older than the store's history.
  absl::Status Watch(const RequestContext& ctx, const WatchPortsOptions& options,
                     const std::function<bool(const PortEvent&)>& emit,
                     const std::function<bool()>& stop,
                     absl::Duration poll = absl::Milliseconds(200));

 private:
  struct Attempt;

  // `retry` is set after a lost race, so proposals spread out instead of colliding again, and
  // the subnet is read from the store, not the cache.
  absl::StatusOr<std::optional<model::Port>> TryCreate(const RequestContext& ctx,
                                                       const model::PortSpec& spec, bool retry);
  absl::StatusOr<std::optional<bool>> TryDelete(const RequestContext& ctx, const std::string& id);
  // FAILED_PRECONDITION unless `fence` holds in the store now.
  absl::Status CheckFence(const store::Compare& fence);

  ServiceCore& core_;
  SecurityGroupService& groups_;
  // Subnets as Create read them (see ReadCache); bounded, as a daemon may serve many subnets.
  ReadCache<model::Subnet> subnets_{4096};
};

}  // namespace plasmanet::service
