#include "plug/vif_plugger.h"

#include <condition_variable>
#include <mutex>
#include <optional>
#include <utility>

#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>

#include "common/errors.h"
#include "common/mac_address.h"
#include "common/status_macros.h"

namespace plasmanet::plug {
namespace {

using ovsdb::Replica;
using ovsdb::TableReplica;
using ovsdb::Uuid;

std::vector<ovsdb::TableColumns> MonitoredColumns() {
  return {
      {"Open_vSwitch", {"next_cfg", "cur_cfg", "bridges"}},
      {"Bridge", {"name", "ports"}},
      {"Port", {"name", "interfaces"}},
      {"Interface", {"name", "external_ids", "ofport", "error"}},
  };
}

// The keys Plug owns in Interface.external_ids; other keys (set by an operator or another agent)
// are left as they are.
constexpr char kIfaceId[] = "iface-id";
constexpr char kAttachedMac[] = "attached-mac";
constexpr char kIfaceStatus[] = "iface-status";

nlohmann::json UuidJson(const Uuid& uuid) {
  return nlohmann::json::array({"uuid", uuid.ToString()});
}
nlohmann::json NamedUuidJson(const char* name) {
  return nlohmann::json::array({"named-uuid", name});
}
nlohmann::json WhereUuid(const Uuid& uuid) {
  return nlohmann::json::array({nlohmann::json::array({"_uuid", "==", UuidJson(uuid)})});
}

std::optional<Uuid> FindByName(const Replica& replica, absl::string_view table,
                               absl::string_view name) {
  const TableReplica* t = replica.FindTable(table);
  for (const auto& [uuid, row] : t->rows()) {
    if (t->Get(row, "name").AsString() == name) return uuid;
  }
  return std::nullopt;
}

// The bridge whose ports include `port`.
std::optional<Uuid> BridgeHolding(const Replica& replica, const Uuid& port) {
  const TableReplica* bridges = replica.FindTable("Bridge");
  for (const auto& [uuid, row] : bridges->rows()) {
    for (const Uuid& p : bridges->Get(row, "ports").AsUuids()) {
      if (p == port) return uuid;
    }
  }
  return std::nullopt;
}

absl::Status ValidateIfname(absl::string_view ifname) {
  // Linux interface names: at most IFNAMSIZ - 1 bytes, no '/', no whitespace, not "." or "..".
  if (ifname.empty() || ifname.size() > 15) {
    return InvalidField("ifname", "must be 1 to 15 characters, a Linux interface name");
  }
  if (ifname == "." || ifname == "..") return InvalidField("ifname", "must not be . or ..");
  for (char c : ifname) {
    if (c == '/' || c == ':' || absl::ascii_isspace(c) || !absl::ascii_isprint(c)) {
      return InvalidField("ifname", absl::StrCat("'", ifname,
                                                 "' holds a character Linux refuses in an "
                                                 "interface name (/, :, whitespace)"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateIfaceId(absl::string_view id) {
  if (id.empty() || id.size() > 64) return InvalidField("iface_id", "must be 1 to 64 characters");
  for (char c : id) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_' && c != '.') {
      return InvalidField("iface_id", "may hold only letters, digits and - _ .");
    }
  }
  return absl::OkStatus();
}

}  // namespace

// Wakes a waiting call whenever the replica changes or the session syncs.
class VifPlugger::SyncWaiter : public ovsdb::ClientListener {
 public:
  void OnSynced(bool) override { Bump(); }
  void OnRowsChanged(const std::vector<ovsdb::RowChange>&) override { Bump(); }
  void OnDisconnected(const absl::Status&) override { Bump(); }

  // Waits until `ready()` holds or `deadline` passes; returns the last result.
  template <typename Ready>
  bool WaitUntil(absl::Time deadline, Ready ready) {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      const uint64_t seen = generation_;
      lock.unlock();
      if (ready()) return true;
      lock.lock();
      if (absl::Now() >= deadline) return false;
      cv_.wait_for(lock, absl::ToChronoMilliseconds(deadline - absl::Now()),
                   [&] { return generation_ != seen; });
    }
  }

 private:
  void Bump() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++generation_;
    }
    cv_.notify_all();
  }

  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t generation_ = 0;
};

absl::StatusOr<std::unique_ptr<VifPlugger>> VifPlugger::Connect(PlugOptions options) {
  absl::StatusOr<std::vector<ovsdb::Remote>> remotes = ovsdb::ParseRemoteList(options.ovs_db);
  if (!remotes.ok()) return InvalidField("ovs_db", remotes.status().message());
  auto plugger = std::unique_ptr<VifPlugger>(
      new VifPlugger(std::move(options), std::make_unique<SyncWaiter>()));
  plugger->client_ = std::make_unique<ovsdb::Client>(
      ovsdb::ClientOptions{
          .remotes = std::move(*remotes),
          .database = "Open_vSwitch",
          .monitored = MonitoredColumns(),
          .tls = plugger->options_.tls,
          .leader_only = false,  // the local database is never clustered
          .connect_timeout = plugger->options_.timeout,
          // A command-line tool: try a stopped server again quickly rather than wait 8 s.
          .backoff_max = absl::Milliseconds(500),
      },
      plugger->waiter_.get());
  plugger->client_->Start();
  PN_RETURN_IF_ERROR(plugger->WaitForSync());
  return plugger;
}

VifPlugger::VifPlugger(PlugOptions options, std::unique_ptr<SyncWaiter> waiter)
    : options_(std::move(options)), waiter_(std::move(waiter)) {}

VifPlugger::~VifPlugger() {
  if (client_) client_->Stop();
}

absl::Status VifPlugger::WaitForSync() {
  if (waiter_->WaitUntil(absl::Now() + options_.timeout, [&] { return client_->synced(); })) {
    // Synced once is not current: another client (ovs-vsctl, a second plug) may have committed
    // a moment ago, and its update may still be on the wire. ovsdb-server sends the updates it
    // has queued for us before the reply to a later request, so one empty transaction's round
    // trip brings the replica up to everything committed before this call.
    return client_->Transact(nlohmann::json::array(), options_.timeout).status();
  }
  const absl::Status why = client_->last_error();
  if (why.code() == absl::StatusCode::kFailedPrecondition) return why;  // wrong schema
  return absl::UnavailableError(absl::StrCat(
      "cannot reach the Open_vSwitch database at ", options_.ovs_db, " within ",
      absl::FormatDuration(options_.timeout), why.ok() ? "" : absl::StrCat(": ", why.message())));
}

absl::StatusOr<nlohmann::json> VifPlugger::TransactAndWaitApplied(nlohmann::json ops) {
  // ovs-vswitchd copies next_cfg into cur_cfg once it has reconfigured itself with everything
  // committed before: the same handshake ovs-vsctl waits on.
  ops.push_back({{"op", "mutate"},
                 {"table", "Open_vSwitch"},
                 {"where", nlohmann::json::array()},
                 {"mutations", nlohmann::json::array({{"next_cfg", "+=", 1}})}});
  ops.push_back({{"op", "select"},
                 {"table", "Open_vSwitch"},
                 {"where", nlohmann::json::array()},
                 {"columns", nlohmann::json::array({"next_cfg"})}});
  PN_ASSIGN_OR_RETURN(nlohmann::json results, client_->Transact(ops, options_.timeout));
  const nlohmann::json& selected = results[ops.size() - 1]["rows"];
  if (!selected.is_array() || selected.size() != 1) {
    return absl::FailedPreconditionError(
        "the Open_vSwitch database has no Open_vSwitch row; was it initialised (ovs-vsctl init)?");
  }
  const int64_t target = selected[0]["next_cfg"].get<int64_t>();
  const bool applied = waiter_->WaitUntil(absl::Now() + options_.timeout, [&] {
    return client_->ReadReplica([&](const Replica& replica) {
      const TableReplica* root = replica.FindTable("Open_vSwitch");
      for (const auto& [uuid, row] : root->rows()) {
        if (root->Get(row, "cur_cfg").AsInteger() >= target) return true;
      }
      return false;
    });
  });
  if (!applied) {
    return absl::DeadlineExceededError(absl::StrCat(
        "ovs-vswitchd did not apply the change within ", absl::FormatDuration(options_.timeout),
        " (is it running against ", options_.ovs_db, "?)"));
  }
  return results;
}

absl::StatusOr<PluggedVif> VifPlugger::Plug(const VifAttachment& vif) {
  PN_RETURN_IF_ERROR(ValidateIfname(vif.ifname));
  PN_RETURN_IF_ERROR(ValidateIfaceId(vif.iface_id));
  absl::StatusOr<MacAddress> mac = MacAddress::Parse(vif.mac);
  if (!mac.ok()) return InvalidField("mac", mac.status().message());
  PN_RETURN_IF_ERROR(WaitForSync());

  struct Found {
    std::optional<Uuid> bridge, port, port_bridge, interface;
    std::string other_interface;  // another interface that already carries this iface-id
  };
  const Found found = client_->ReadReplica([&](const Replica& replica) {
    Found f;
    f.bridge = FindByName(replica, "Bridge", options_.bridge);
    f.port = FindByName(replica, "Port", vif.ifname);
    if (f.port) f.port_bridge = BridgeHolding(replica, *f.port);
    const TableReplica* interfaces = replica.FindTable("Interface");
    for (const auto& [uuid, row] : interfaces->rows()) {
      const std::string name = interfaces->Get(row, "name").AsString();
      if (name == vif.ifname) f.interface = uuid;
      const std::string* id = interfaces->Get(row, "external_ids").Lookup(kIfaceId);
      if (id != nullptr && *id == vif.iface_id && name != vif.ifname) f.other_interface = name;
    }
    return f;
  });
  if (!found.bridge) {
    return absl::NotFoundError(absl::StrCat("bridge ", options_.bridge, " does not exist in ",
                                            options_.ovs_db, " (ovn-controller creates it)"));
  }
  if (found.port && found.port_bridge != found.bridge) {
    return absl::FailedPreconditionError(absl::StrCat(
        "interface ", vif.ifname, " is already on another bridge than ", options_.bridge));
  }
  if (!found.other_interface.empty()) {
    // Two interfaces claiming one logical port on one chassis: ovn-controller would bind only
    // one of them, and which one is not up to us.
    return absl::FailedPreconditionError(absl::StrCat("port ", vif.iface_id,
                                                      " is already plugged as interface ",
                                                      found.other_interface, "; unplug it first"));
  }

  const nlohmann::json ids =
      ovsdb::Datum::StringMap(
          {{kIfaceId, vif.iface_id}, {kAttachedMac, mac->ToString()}, {kIfaceStatus, "active"}})
          .ToJson();
  nlohmann::json ops = nlohmann::json::array();
  const bool replug = found.port.has_value() && found.interface.has_value();
  if (replug) {
    // Update only our keys: delete them, then insert the new values.
    ops.push_back({{"op", "mutate"},
                   {"table", "Interface"},
                   {"where", WhereUuid(*found.interface)},
                   {"mutations",
                    nlohmann::json::array(
                        {{"external_ids", "delete",
                          ovsdb::Datum::StringSet({kIfaceId, kAttachedMac, kIfaceStatus}).ToJson()},
                         {"external_ids", "insert", ids}})}});
  } else {
    ops.push_back({{"op", "insert"},
                   {"table", "Interface"},
                   {"row", {{"name", vif.ifname}, {"external_ids", ids}}},
                   {"uuid-name", "vif"}});
    ops.push_back({{"op", "insert"},
                   {"table", "Port"},
                   {"row", {{"name", vif.ifname}, {"interfaces", NamedUuidJson("vif")}}},
                   {"uuid-name", "vifport"}});
    ops.push_back(
        {{"op", "mutate"},
         {"table", "Bridge"},
         {"where", WhereUuid(*found.bridge)},
         {"mutations", nlohmann::json::array({{"ports", "insert", NamedUuidJson("vifport")}})}});
  }
  absl::StatusOr<nlohmann::json> applied = TransactAndWaitApplied(std::move(ops));
  if (!applied.ok()) return Annotate(applied.status(), absl::StrCat("plugging ", vif.ifname));

  // ovs-vswitchd reports a device it could not open in Interface.error and ofport -1.
  struct Outcome {
    int64_t ofport = 0;
    std::string error;
  };
  const Outcome outcome = client_->ReadReplica([&](const Replica& replica) {
    const TableReplica* interfaces = replica.FindTable("Interface");
    std::optional<Uuid> uuid = FindByName(replica, "Interface", vif.ifname);
    if (!uuid) return Outcome{.error = "the interface vanished"};
    const ovsdb::Row* row = interfaces->Find(*uuid);
    return Outcome{.ofport = interfaces->Get(*row, "ofport").AsInteger(),
                   .error = interfaces->Get(*row, "error").AsString()};
  });
  if (!outcome.error.empty() || outcome.ofport <= 0) {
    if (!replug) RemovePort(vif.ifname).IgnoreError();  // the error below says it all
    return absl::FailedPreconditionError(
        absl::StrCat("ovs-vswitchd cannot use ", vif.ifname, ": ",
                     outcome.error.empty() ? "no OpenFlow port assigned" : outcome.error,
                     replug ? "" : "; not plugged"));
  }
  return PluggedVif{.ofport = outcome.ofport, .replugged = replug};
}

absl::Status VifPlugger::RemovePort(const std::string& ifname) {
  struct Found {
    std::optional<Uuid> port, bridge;
  };
  const Found found = client_->ReadReplica([&](const Replica& replica) {
    Found f;
    f.port = FindByName(replica, "Port", ifname);
    if (f.port) f.bridge = BridgeHolding(replica, *f.port);
    return f;
  });
  if (!found.port || !found.bridge) {
    return absl::NotFoundError(absl::StrCat("no interface ", ifname, " is plugged"));
  }
  // Port and Interface are not root tables: dropping the bridge's reference deletes both.
  nlohmann::json ops = nlohmann::json::array();
  ops.push_back(
      {{"op", "mutate"},
       {"table", "Bridge"},
       {"where", WhereUuid(*found.bridge)},
       {"mutations", nlohmann::json::array({{"ports", "delete", UuidJson(*found.port)}})}});
  return TransactAndWaitApplied(std::move(ops)).status();
}

absl::Status VifPlugger::Unplug(const std::string& ifname, bool if_exists) {
  PN_RETURN_IF_ERROR(ValidateIfname(ifname));
  PN_RETURN_IF_ERROR(WaitForSync());
  absl::Status removed = RemovePort(ifname);
  if (absl::IsNotFound(removed)) return if_exists ? absl::OkStatus() : removed;
  return Annotate(removed, absl::StrCat("unplugging ", ifname));
}

}  // namespace plasmanet::plug
