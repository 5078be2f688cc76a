// SbBindings: which chassis each logical port is bound to, read from OVN Southbound.
//
// Northbound says only whether a port is up; the chassis (hypervisor) that bound it is in the
// Southbound Port_Binding table, which ovn-controller writes. This keeps a monitor on
// Port_Binding(logical_port, chassis) and Chassis(name) and a map logical port -> chassis name,
// and tells the reconciler which ports' bindings changed. Read-only: PlasmaNET never writes SB.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "ovsdb/client.h"

namespace plasmanet::reconcile {

class SbBindings final : private ovsdb::ClientListener {
 public:
  // `changed` receives the logical ports whose binding may have changed (all of them after a
  // full resync); it runs on the client's I/O thread and must only queue work.
  SbBindings(std::vector<ovsdb::Remote> remotes, ovsdb::TlsFiles tls,
             std::function<void(std::vector<std::string>)> changed);
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

  std::function<void(std::vector<std::string>)> changed_;
  std::unique_ptr<ovsdb::Client> client_;

  mutable std::mutex mu_;
  absl::flat_hash_map<ovsdb::Uuid, std::string> port_of_binding_;
  absl::flat_hash_map<std::string, std::string> chassis_of_port_;
};

}  // namespace plasmanet::reconcile
