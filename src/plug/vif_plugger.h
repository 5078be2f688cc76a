// VifPlugger: the hypervisor side of attaching a VM NIC. It adds an existing tap or veth to the
// integration bridge (br-int) of the local Open vSwitch with external_ids:iface-id set to the
// PlasmaNET port id, which is the name of the port's Logical_Switch_Port: ovn-controller then
// binds the logical port to this chassis, ovn-northd marks it up, and the reconciler sets the
// port ACTIVE. Unplug removes the interface again, and OVN unbinds the port.
//
//   PN_ASSIGN_OR_RETURN(auto plugger, VifPlugger::Connect({.ovs_db =
//   "unix:/run/openvswitch/db.sock"})); PN_RETURN_IF_ERROR(plugger->Plug({.ifname = "tap0",
//   .iface_id = port_id, .mac = mac})); PN_RETURN_IF_ERROR(plugger->Unplug("tap0",
//   /*if_exists=*/true));
//
// It speaks OVSDB to the Open_vSwitch database with PlasmaNET's own client (no ovs-vsctl), and
// each call returns only after ovs-vswitchd has applied the change (Open_vSwitch.cur_cfg caught
// up with the next_cfg the transaction set), so a device ovs-vswitchd cannot open is reported by
// Plug rather than discovered later. Calls are serialised by the caller: not thread-safe.
#pragma once

#include <memory>
#include <string>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/time/time.h>

#include "ovsdb/client.h"

namespace plasmanet::plug {

struct PlugOptions {
  std::string ovs_db = "unix:/var/run/openvswitch/db.sock";
  std::string bridge = "br-int";
  ovsdb::TlsFiles tls;
  // For connecting and for each call to be applied by ovs-vswitchd.
  absl::Duration timeout = absl::Seconds(10);
};

struct VifAttachment {
  std::string ifname;    // the tap or veth, which must exist in ovs-vswitchd's namespace
  std::string iface_id;  // the PlasmaNET port id (the Logical_Switch_Port's name)
  std::string mac;       // the port's MAC, recorded as external_ids:attached-mac
};

// What ovs-vswitchd made of a plugged interface.
struct PluggedVif {
  int64_t ofport = 0;
  bool replugged = false;  // the interface was already on the bridge; its ids were updated
};

class VifPlugger {
 public:
  // Connects and waits for the first sync. INVALID_ARGUMENT for a malformed remote;
  // UNAVAILABLE (with the client's last error) if the database does not answer within the
  // timeout; FAILED_PRECONDITION if it is not an Open_vSwitch database.
  static absl::StatusOr<std::unique_ptr<VifPlugger>> Connect(PlugOptions options);
  ~VifPlugger();

  // Adds `vif.ifname` to the bridge with the ids (or updates the ids of an interface already on
  // it) and waits until ovs-vswitchd has opened it. INVALID_ARGUMENT for a bad name, id or MAC;
  // NOT_FOUND if the bridge does not exist (ovn-controller creates br-int); FAILED_PRECONDITION
  // if the interface sits on another bridge, if another interface already carries this
  // iface-id, or if ovs-vswitchd cannot open the device (then nothing is left behind);
  // DEADLINE_EXCEEDED if ovs-vswitchd does not apply the change in time.
  absl::StatusOr<PluggedVif> Plug(const VifAttachment& vif);

  // Removes `ifname` from whichever bridge holds it and waits for ovs-vswitchd. NOT_FOUND if no
  // port has that name, unless `if_exists`.
  absl::Status Unplug(const std::string& ifname, bool if_exists);

 private:
  class SyncWaiter;

  VifPlugger(PlugOptions options, std::unique_ptr<SyncWaiter> waiter);
  // Waits until the replica holds everything committed before the call.
  absl::Status WaitForSync();
  // Appends "next_cfg += 1" to `ops`, runs them and waits until cur_cfg reaches the new value.
  absl::StatusOr<nlohmann::json> TransactAndWaitApplied(nlohmann::json ops);
  absl::Status RemovePort(const std::string& ifname);

  PlugOptions options_;
  std::unique_ptr<SyncWaiter> waiter_;
  std::unique_ptr<ovsdb::Client> client_;
};

}  // namespace plasmanet::plug
