#include "reconcile/sb_bindings.h"

#include <algorithm>
#include <utility>

#include <absl/strings/match.h>
#include <absl/strings/str_join.h>
#include <absl/strings/str_split.h>

#include "common/logging.h"

namespace plasmanet::reconcile {
namespace {

const std::vector<ovsdb::TableColumns>& MonitoredSbColumns() {
  static const auto* columns = new std::vector<ovsdb::TableColumns>{
      {"Port_Binding", {"logical_port", "chassis"}},
      {"Chassis", {"name", "other_config"}},
  };
  return *columns;
}

}  // namespace

SbBindings::SbBindings(std::vector<ovsdb::Remote> remotes, ovsdb::TlsFiles tls,
                       std::function<void(std::vector<std::string>)> changed,
                       std::function<void(GatewayChassis)> gateways)
    : changed_(std::move(changed)), gateways_(std::move(gateways)) {
  client_ = std::make_unique<ovsdb::Client>(
      ovsdb::ClientOptions{.remotes = std::move(remotes),
                           .database = "OVN_Southbound",
                           .monitored = MonitoredSbColumns(),
                           .tls = std::move(tls),
                           // Any member will do: this is a read-only view, and SB followers
                           // are what the hypervisors read too.
                           .leader_only = false},
      static_cast<ovsdb::ClientListener*>(this));
}

SbBindings::~SbBindings() { Stop(); }

void SbBindings::Start() { client_->Start(); }
void SbBindings::Stop() { client_->Stop(); }

std::string SbBindings::ChassisOf(const std::string& logical_port) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = chassis_of_port_.find(logical_port);
  return it == chassis_of_port_.end() ? "" : it->second;
}

std::string SbBindings::Refresh(const ovsdb::Replica& replica, const ovsdb::Uuid& binding,
                                bool deleted) {
  std::string port;
  if (auto it = port_of_binding_.find(binding); it != port_of_binding_.end()) {
    port = it->second;
    chassis_of_port_.erase(port);
    port_of_binding_.erase(it);
  }
  if (deleted) return port;
  const ovsdb::TableReplica* bindings = replica.FindTable("Port_Binding");
  const ovsdb::Row* row = bindings->Find(binding);
  if (row == nullptr) return port;
  port = bindings->Get(*row, "logical_port").AsString();
  port_of_binding_[binding] = port;
  const std::vector<ovsdb::Uuid> chassis = bindings->Get(*row, "chassis").AsUuids();
  if (!chassis.empty()) {
    const ovsdb::TableReplica* chassis_table = replica.FindTable("Chassis");
    if (const ovsdb::Row* c = chassis_table->Find(chassis[0])) {
      chassis_of_port_[port] = chassis_table->Get(*c, "name").AsString();
    }
  }
  return port;
}

SbBindings::GatewayChassis SbBindings::ReadGatewayChassis(const ovsdb::Replica& replica) {
  const ovsdb::TableReplica* chassis_table = replica.FindTable("Chassis");
  GatewayChassis all;        // every chassis mapping the network
  GatewayChassis preferred;  // those of them marked enable-chassis-as-gw
  for (const auto& [uuid, row] : chassis_table->rows()) {
    const ovsdb::Datum& config = chassis_table->Get(row, "other_config");
    const std::string* mappings = config.Lookup("ovn-bridge-mappings");
    if (mappings == nullptr) continue;
    const std::string* cms = config.Lookup("ovn-cms-options");
    const bool marked = cms != nullptr && absl::StrContains(*cms, "enable-chassis-as-gw");
    const std::string name = chassis_table->Get(row, "name").AsString();
    for (absl::string_view mapping : absl::StrSplit(*mappings, ',', absl::SkipWhitespace())) {
      const absl::string_view physnet = mapping.substr(0, mapping.find(':'));
      if (physnet.empty()) continue;
      all[physnet].push_back(name);
      if (marked) preferred[physnet].push_back(name);
    }
  }
  for (auto& [physnet, names] : preferred) all[physnet] = std::move(names);
  for (auto& [physnet, names] : all) std::sort(names.begin(), names.end());
  return all;
}

void SbBindings::PublishGateways(const ovsdb::Replica& replica, bool always) {
  if (!gateways_) return;
  GatewayChassis now = ReadGatewayChassis(replica);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!always && told_gateways_ == now) return;
    const GatewayChassis before = told_gateways_.value_or(GatewayChassis{});
    for (const auto& [physnet, names] : now) {
      auto it = before.find(physnet);
      if (it == before.end() || it->second != names) {
        LOG_INFO("southbound gateway chassis physnet={} chassis={}", physnet,
                 absl::StrJoin(names, ","));
      }
    }
    for (const auto& [physnet, names] : before) {
      if (!now.contains(physnet)) LOG_WARN("southbound gateway chassis physnet={} none", physnet);
    }
    told_gateways_ = now;
  }
  gateways_(std::move(now));
}

void SbBindings::OnSynced(bool full) {
  if (!full) return;  // the changes follow through OnRowsChanged
  std::vector<std::string> ports;
  client_->ReadReplica([&](const ovsdb::Replica& replica) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [binding, port] : port_of_binding_) ports.push_back(port);
    port_of_binding_.clear();
    chassis_of_port_.clear();
    for (const auto& [uuid, row] : replica.FindTable("Port_Binding")->rows()) {
      ports.push_back(Refresh(replica, uuid, false));
    }
  });
  changed_(std::move(ports));
  client_->ReadReplica([&](const ovsdb::Replica& replica) { PublishGateways(replica, true); });
}

void SbBindings::OnRowsChanged(const std::vector<ovsdb::RowChange>& changes) {
  std::vector<std::string> ports;
  client_->ReadReplica([&](const ovsdb::Replica& replica) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const ovsdb::RowChange& change : changes) {
      if (change.table == "Port_Binding") {
        ports.push_back(
            Refresh(replica, change.uuid, change.kind == ovsdb::RowChange::Kind::kDelete));
      } else if (change.table == "Chassis") {
        // A chassis appeared, went or was renamed: re-read the bindings that point at it.
        std::vector<ovsdb::Uuid> affected;
        for (const auto& [uuid, row] : replica.FindTable("Port_Binding")->rows()) {
          const std::vector<ovsdb::Uuid> chassis =
              replica.FindTable("Port_Binding")->Get(row, "chassis").AsUuids();
          if (!chassis.empty() && chassis[0] == change.uuid) affected.push_back(uuid);
        }
        for (const ovsdb::Uuid& uuid : affected) ports.push_back(Refresh(replica, uuid, false));
      }
    }
  });
  if (!ports.empty()) changed_(std::move(ports));
  const bool chassis_changed = std::any_of(changes.begin(), changes.end(),
                                           [](const auto& c) { return c.table == "Chassis"; });
  if (chassis_changed) {
    client_->ReadReplica([&](const ovsdb::Replica& replica) { PublishGateways(replica, false); });
  }
}

}  // namespace plasmanet::reconcile
