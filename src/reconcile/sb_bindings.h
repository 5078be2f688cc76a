// SbBindings: what PlasmaNET reads from OVN Southbound: which chassis each logical port is bound
// to, and which chassis can carry each physical network (gateway candidates).
//
// Northbound says only whether a port is up; the chassis (hypervisor) that bound it is in the
// Southbound Port_Binding table, which ovn-controller writes. This keeps a monitor on
// Port_Binding(logical_port, chassis) and Chassis(name, other_config) and a map logical port ->
// chassis name, and tells the reconciler which ports' bindings changed. Each chassis publishes
// its ovn-bridge-mappings ("physnet1:br-ex,...") and ovn-cms-options in other_config; a chassis
// mapping a physical network can host gateways onto it, and when some of those are marked
// enable-chassis-as-gw, only they do (the operator's way to keep gateways off compute nodes).
// Read-only: PlasmaNET never writes SB.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "ovsdb/client.h"

namespace plasmanet::reconcile {

class SbBindings final : private ovsdb::ClientListener {
 public:
  // `changed` receives the logical ports whose binding may have changed (all of them after a
  // full resync); it runs on the client's I/O thread and must only queue work.
  // Physical network -> names of the chassis that may host its gateways.
  using GatewayChassis = absl::flat_hash_map<std::string, std::vector<std::string>>;

  // `gateways` receives the gateway candidates whenever they change (and after each full
  // resync); same thread rules as `changed`.
  SbBindings(std::vector<ovsdb::Remote> remotes, ovsdb::TlsFiles tls,
             std::function<void(std::vector<std::string>)> changed,
             std::function<void(GatewayChassis)> gateways = nullptr);
  ~SbBindings() override;

  void Start();
  void Stop();

  // The name of the chassis `logical_port` is bound to, or "" (unbound or unknown).
  std::string ChassisOf(const std::string& logical_port) const;
  bool synced() const { return client_->synced(); }

 private:
  void OnSynced(bool full) override;
  void OnRowsChanged(const std::vector<ovsdb::RowChange>& changes) override;
  void OnDisconnected(const absl::Status&) override {}

  // Re-reads one Port_Binding row into the maps; returns its logical port ("" if unknown).
  std::string Refresh(const ovsdb::Replica& replica, const ovsdb::Uuid& binding, bool deleted);

  // The gateway candidates as the replica says now.
  static GatewayChassis ReadGatewayChassis(const ovsdb::Replica& replica);
  // Tells `gateways_` if the candidates differ from the last ones told.
  void PublishGateways(const ovsdb::Replica& replica, bool always);

  std::function<void(std::vector<std::string>)> changed_;
  std::function<void(GatewayChassis)> gateways_;
  std::optional<GatewayChassis> told_gateways_;  // guarded by mu_
  std::unique_ptr<ovsdb::Client> client_;

  mutable std::mutex mu_;
  absl::flat_hash_map<ovsdb::Uuid, std::string> port_of_binding_;
  absl::flat_hash_map<std::string, std::string> chassis_of_port_;
};

}  // namespace plasmanet::reconcile
