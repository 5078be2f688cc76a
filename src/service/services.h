// Services: every use case of PlasmaNET, wired over one store. The daemon builds one; tests
// build one per store. Thread-safe.
//
//   Services services(*store, RealClock::Get());
//   absl::StatusOr<model::Vpc> vpc = services.vpcs.Create(ctx, {.cidr_blocks = {"10.0.0.0/16"}});
#pragma once

#include <cstdint>
#include <optional>

#include "common/clock.h"
#include "service/external_network_service.h"
#include "service/floating_ip_service.h"
#include "service/id_source.h"
#include "service/ipam_registry.h"
#include "service/port_service.h"
#include "service/security_group_service.h"
#include "service/service_core.h"
#include "service/subnet_service.h"
#include "service/vpc_service.h"

namespace plasmanet::service {

class Services {
 public:
  // `store` and `clock` must outlive this object. `seed` makes ids repeatable in tests.
  // `shared_store`: other servers write the same store (several replicas on etcd).
  Services(store::Store& store, Clock& clock, std::optional<uint64_t> seed = std::nullopt,
           Quotas quotas = {}, model::NetworkLimits limits = {}, bool shared_store = false)
      : ids_(clock, seed),
        ipam_(store, clock, shared_store),
        quota_(store, quotas, clock),
        core_(store, clock, ids_, ipam_, quota_),
        subnets(core_, limits) {}

  // Housekeeping the daemon runs periodically: see ServiceCore::SweepExpiredRequests.
  absl::StatusOr<int64_t> SweepExpiredRequests() { return core_.SweepExpiredRequests(); }

 private:
  // Declared before the services, which hold references to them.
  IdSource ids_;
  IpamRegistry ipam_;
  QuotaRegistry quota_;
  ServiceCore core_;

 public:
  VpcService vpcs{core_};
  SubnetService subnets;
  SecurityGroupService security_groups{core_};
  PortService ports{core_, security_groups};
  ExternalNetworkService external_networks{core_};
  FloatingIpService floating_ips{core_};
};

}  // namespace plasmanet::service
