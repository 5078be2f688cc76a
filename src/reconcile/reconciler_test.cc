// The reconciler against a real OVN Northbound ovsdb-server (and a real Raft cluster), driven
// through the service layer on a real SQLite store; NB is checked with ovn-nbctl, the reference
// client, as an operator would.
#include "reconcile/reconciler.h"

#include <condition_variable>
#include <csignal>
#include <mutex>
#include <regex>
#include <thread>

#include <absl/strings/ascii.h>
#include <absl/strings/match.h>
#include <absl/strings/str_join.h>
#include <absl/strings/str_split.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "service/service_test_fixture.h"
#include "testing/nbctl.h"
#include "testing/ovsdb_cluster.h"
#include "testing/ovsdb_server.h"
#include "testing/process.h"
#include "testing/wait.h"

namespace plasmanet::reconcile {
namespace {

using ::plasmanet::testing::IsOk;
using ::plasmanet::testing::OvsdbCluster;
using ::plasmanet::testing::OvsdbServer;
using ::plasmanet::testing::RunNbctl;
using ::plasmanet::testing::WaitFor;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// ovn-nbctl output, trimmed.
std::string Nbctl(const std::string& remote, std::vector<std::string> args) {
  absl::StatusOr<std::string> out = RunNbctl(remote, std::move(args));
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? std::string(absl::StripAsciiWhitespace(*out)) : "";
}

// Everything PlasmaNET-relevant in NB, without UUIDs (they change when NB is rebuilt): every
// router, switch and port with its columns and which parent holds it, sorted.
std::string NbSnapshot(const std::string& remote) {
  std::vector<std::string> lines;
  auto add_table = [&](const std::string& table, const std::string& columns) {
    std::string out = Nbctl(remote, {"--format=csv", "--data=bare", "--no-headings",
                                     "--columns=" + columns, "list", table});
    for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
      lines.push_back(table + " " + std::string(line));
    }
  };
  add_table("Logical_Router", "name,external_ids");
  add_table("Logical_Router_Port", "name,mac,networks,external_ids");
  add_table("Logical_Switch", "name,external_ids");
  add_table("Logical_Switch_Port", "name,type,addresses,port_security,options,external_ids");
  add_table("Port_Group", "name,external_ids");
  add_table("ACL", "name,priority,direction,match,action,external_ids");
  const std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12} ");
  for (const auto& [table, list_ports] :
       {std::pair<std::string, std::string>{"Logical_Switch", "lsp-list"},
        {"Logical_Router", "lrp-list"}}) {
    for (absl::string_view parent :
         absl::StrSplit(Nbctl(remote, {"--format=csv", "--data=bare", "--no-headings",
                                       "--columns=name", "list", table}),
                        '\n', absl::SkipEmpty())) {
      std::string ports = Nbctl(remote, {list_ports, std::string(parent)});
      lines.push_back("ports of " + std::string(parent) + ": " +
                      std::regex_replace(ports, uuid, ""));
    }
  }
  std::sort(lines.begin(), lines.end());
  return absl::StrJoin(lines, "\n");
}

// Number of switch ports owned by PlasmaNET ports.
int OwnedVmPorts(const std::string& remote) {
  std::string out = Nbctl(remote, {"--format=csv", "--data=bare", "--no-headings",
                                   "--columns=external_ids", "list", "Logical_Switch_Port"});
  int n = 0;
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    if (absl::StrContains(line, "plasmanet:owner=port/")) ++n;
  }
  return n;
}

// Creates `n` ports in `subnet_id` on another thread (a burst of API writes), counting those
// created in `created`.
std::thread CreatePortsInBackground(service::PortService& ports, const service::RequestContext& ctx,
                                    std::string subnet_id, int n, std::atomic<int>& created) {
  return std::thread([&ports, &ctx, &created, subnet_id = std::move(subnet_id), n] {
    for (int i = 0; i < n; ++i) {
      if (ports.Create(ctx, {.subnet_id = subnet_id}).ok()) ++created;
    }
  });
}

class ReconcilerTest : public service::ServiceTest {
 protected:
  void SetUp() override { ASSERT_THAT(nb_.Start(), IsOk()); }
  void TearDown() override {
    if (reconciler_) reconciler_->Stop();
  }

  void StartReconciler(const std::string& remotes) {
    if (reconciler_) reconciler_->Stop();
    reconciler_ = std::make_unique<Reconciler>(
        *store_, svc().ports,
        ReconcilerOptions{.nb_remotes = *ovsdb::ParseRemoteList(remotes),
                          .backoff_max = absl::Milliseconds(500)});
    reconciler_->Start();
  }

  // Waits until NB holds everything the store holds now.
  void Converge(absl::Duration timeout = absl::Seconds(20)) {
    const int64_t revision = Revision();
    ASSERT_TRUE(reconciler_->WaitForRevision(revision, timeout))
        << "NB did not reach store revision " << revision << "; it holds "
        << reconciler_->synced_revision() << "; client: " << reconciler_->nb().last_error();
  }

  std::string Remote() const { return nb_.unix_remote(); }
  // A column's value; ovn-nbctl quotes strings that are not plain identifiers.
  std::string Get(const std::string& table, const std::string& row, const std::string& column) {
    std::string value = Nbctl(Remote(), {"--data=bare", "get", table, row, column});
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return value;
  }
  OvsdbServer nb_;
  std::unique_ptr<Reconciler> reconciler_;
};

TEST_F(ReconcilerTest, ProgramsVpcSubnetAndPortsExactlyAsSpecified) {
  StartReconciler(Remote());
  model::Vpc vpc = MakeVpc(alice_, {"10.0.0.0/16", "fd00::/48"});
  model::Subnet subnet = MakeSubnet(alice_, vpc.meta.id, "10.0.1.0/24", "fd00:0:0:1::/64");
  model::Port port = MakePort(alice_, subnet.meta.id);
  Converge();

  const std::string router = RouterName(vpc.meta.id);
  const std::string ls = SwitchName(subnet.meta.id);
  const std::string lrp = RouterPortName(subnet.meta.id);
  EXPECT_EQ(
      Nbctl(Remote(), {"--data=bare", "--no-headings", "--columns=name", "find", "Logical_Router",
                       "external_ids:plasmanet\\:owner=vpc/" + vpc.meta.id}),
      router);
  EXPECT_THAT(Nbctl(Remote(), {"lrp-list", router}), HasSubstr(lrp));
  EXPECT_EQ(Get("Logical_Router_Port", lrp, "mac"), GatewayMac(subnet.meta.id).ToString());
  EXPECT_THAT(Get("Logical_Router_Port", lrp, "networks"), HasSubstr("10.0.1.1/24"));
  EXPECT_THAT(Get("Logical_Router_Port", lrp, "networks"), HasSubstr("fd00:0:0:1::1/64"));
  const std::string peer = SwitchRouterPortName(subnet.meta.id);
  EXPECT_EQ(Nbctl(Remote(), {"lsp-get-type", peer}), "router");
  EXPECT_EQ(Get("Logical_Switch_Port", peer, "options:router-port"), lrp);
  EXPECT_THAT(Nbctl(Remote(), {"lsp-list", ls}), HasSubstr(port.meta.id));

  const std::string own =
      port.mac.ToString() + " " + port.fixed_ips[0].ToString() + " " + port.fixed_ips[1].ToString();
  EXPECT_EQ(Nbctl(Remote(), {"lsp-get-addresses", port.meta.id}), own);
  EXPECT_EQ(Nbctl(Remote(), {"lsp-get-port-security", port.meta.id}), own);
  EXPECT_EQ(Get("Logical_Switch_Port", port.meta.id, "external_ids:\"plasmanet:project\""),
            "acme/web");
  EXPECT_EQ(Get("Logical_Switch_Port", port.meta.id, "external_ids:\"plasmanet:revision\""),
            std::to_string(port.meta.revision));

  // The replica agrees with ovn-nbctl.
  reconciler_->nb().ReadReplica([&](const ovsdb::Replica& replica) {
    EXPECT_EQ(replica.FindTable("Logical_Router")->rows().size(), 1u);
    EXPECT_EQ(replica.FindTable("Logical_Switch_Port")->rows().size(), 2u);
  });

  // Update: port security off -> NB follows.
  absl::StatusOr<model::Port> updated = svc().ports.Update(
      alice_, port.meta.id, "",
      {.security_group_ids = std::vector<std::string>{}, .port_security_enabled = false});
  ASSERT_THAT(updated, IsOk());
  Converge();
  EXPECT_EQ(Nbctl(Remote(), {"lsp-get-port-security", port.meta.id}), "");
  EXPECT_THAT(Nbctl(Remote(), {"lsp-get-addresses", port.meta.id}), HasSubstr("unknown"));

  // Deletes, bottom up: each takes exactly its rows.
  ASSERT_THAT(svc().ports.Delete(alice_, port.meta.id), IsOk());
  Converge();
  EXPECT_THAT(Nbctl(Remote(), {"lsp-list", ls}), Not(HasSubstr(port.meta.id)));
  EXPECT_THAT(Nbctl(Remote(), {"lsp-list", ls}), HasSubstr(peer));
  ASSERT_THAT(svc().subnets.Delete(alice_, subnet.meta.id), IsOk());
  Converge();
  EXPECT_EQ(Nbctl(Remote(), {"ls-list"}), "");
  EXPECT_EQ(Nbctl(Remote(), {"lrp-list", router}), "");
  ASSERT_THAT(svc().vpcs.Delete(alice_, vpc.meta.id), IsOk());
  Converge();
  EXPECT_EQ(Nbctl(Remote(), {"lr-list"}), "");
}

TEST_F(ReconcilerTest, APortsExtraDhcpOptionsGetItsOwnRowThatFollowsTheSubnet) {
  StartReconciler(Remote());
  model::Vpc vpc = MakeVpc(alice_);
  model::Subnet subnet = MakeSubnet(alice_, vpc.meta.id, "10.0.1.0/24");
  absl::StatusOr<model::Port> pxe =
      svc().ports.Create(alice_, {.subnet_id = subnet.meta.id,
                                  .extra_dhcp_options = {{"bootfile_name", "pxelinux.0"},
                                                         {"next_server", "10.0.1.20"},
                                                         {"ntp_server", "10.0.0.1,10.0.0.2"}}});
  ASSERT_THAT(pxe, IsOk());
  model::Port plain = MakePort(alice_, subnet.meta.id);
  Converge();

  const auto dhcp_row = [&](const std::string& name) {
    return Nbctl(Remote(), {"--data=bare", "--no-headings", "--columns=_uuid", "find",
                            "DHCP_Options", "external_ids:plasmanet\\:row=" + name});
  };
  const std::string subnet_row = dhcp_row(DhcpOptionsName(subnet.meta.id, IpFamily::kV4));
  const std::string own_row = dhcp_row(PortDhcpOptionsName(pxe->meta.id));
  ASSERT_FALSE(subnet_row.empty());
  ASSERT_FALSE(own_row.empty());
  EXPECT_EQ(Get("Logical_Switch_Port", pxe->meta.id, "dhcpv4_options"), own_row);
  EXPECT_EQ(Get("Logical_Switch_Port", plain.meta.id, "dhcpv4_options"), subnet_row);
  EXPECT_EQ(Get("DHCP_Options", own_row, "cidr"), "10.0.1.0/24");
  EXPECT_EQ(Get("DHCP_Options", own_row, "external_ids:\"plasmanet:owner\""),
            "port/" + pxe->meta.id);
  EXPECT_THAT(Get("DHCP_Options", own_row, "options:bootfile_name"), HasSubstr("pxelinux.0"));
  EXPECT_EQ(Get("DHCP_Options", own_row, "options:next_server"), "10.0.1.20");
  EXPECT_EQ(Get("DHCP_Options", own_row, "options:ntp_server"), "{10.0.0.1, 10.0.0.2}");
  EXPECT_EQ(Get("DHCP_Options", own_row, "options:router"), "10.0.1.1");

  // The subnet's new DNS server reaches the port's row too.
  ASSERT_THAT(svc().subnets.Update(alice_, subnet.meta.id, "",
                                   {.dns_servers = std::vector<std::string>{"10.0.1.53"}}),
              IsOk());
  Converge();
  EXPECT_EQ(Get("DHCP_Options", subnet_row, "options:dns_server"), "{10.0.1.53}");
  EXPECT_EQ(Get("DHCP_Options", own_row, "options:dns_server"), "{10.0.1.53}");

  // Without its extras the port goes back to the subnet's row, and its own row is gone.
  ASSERT_THAT(
      svc().ports.Update(alice_, pxe->meta.id, "", {.extra_dhcp_options = model::DhcpOptionMap{}}),
      IsOk());
  Converge();
  EXPECT_EQ(Get("Logical_Switch_Port", pxe->meta.id, "dhcpv4_options"), subnet_row);
  EXPECT_EQ(dhcp_row(PortDhcpOptionsName(pxe->meta.id)), "");
}

TEST_F(ReconcilerTest, TwoTenantsWithTheSameCidrGetSeparateRouters) {
  StartReconciler(Remote());
  model::Vpc a = MakeVpc(alice_);
  model::Vpc b = MakeVpc(bob_);
  model::Subnet sa = MakeSubnet(alice_, a.meta.id, "10.0.1.0/24");
  model::Subnet sb = MakeSubnet(bob_, b.meta.id, "10.0.1.0/24");
  Converge();
  EXPECT_THAT(Nbctl(Remote(), {"lrp-list", RouterName(a.meta.id)}),
              HasSubstr(RouterPortName(sa.meta.id)));
  EXPECT_THAT(Nbctl(Remote(), {"lrp-list", RouterName(a.meta.id)}),
              Not(HasSubstr(RouterPortName(sb.meta.id))));
  EXPECT_THAT(Nbctl(Remote(), {"lrp-list", RouterName(b.meta.id)}),
              HasSubstr(RouterPortName(sb.meta.id)));
}

TEST_F(ReconcilerTest, WipedNbIsRebuiltIdentically) {
  StartReconciler(Remote());
  model::Vpc vpc = MakeVpc(alice_);
  for (const char* cidr : {"10.0.1.0/24", "10.0.2.0/24"}) {
    model::Subnet subnet = MakeSubnet(alice_, vpc.meta.id, cidr);
    for (int i = 0; i < 5; ++i) MakePort(alice_, subnet.meta.id);
  }
  Converge();
  const std::string before = NbSnapshot(Remote());
  ASSERT_THAT(before, HasSubstr("pn-vpc-"));

  ASSERT_THAT(nb_.Wipe(), IsOk());
  EXPECT_TRUE(WaitFor([&] { return NbSnapshot(Remote()) == before; }, absl::Seconds(20)))
      << "before:\n"
      << before << "\nafter:\n"
      << NbSnapshot(Remote());
  EXPECT_GE(reconciler_->stats().full_resyncs, 2);
}

TEST_F(ReconcilerTest, DriftIsRepairedAndHandMadeRowsSurvive) {
  StartReconciler(Remote());
  model::Vpc vpc = MakeVpc(alice_);
  model::Subnet subnet = MakeSubnet(alice_, vpc.meta.id, "10.0.1.0/24");
  model::Port port = MakePort(alice_, subnet.meta.id);
  Converge();
  const std::string before = NbSnapshot(Remote());
  // Rows without the mark, one of them on our switch: never ours to touch.
  Nbctl(Remote(), {"ls-add", "operator-switch"});
  Nbctl(Remote(), {"lsp-add", SwitchName(subnet.meta.id), "operator-port"});

  const absl::Time start = absl::Now();
  Nbctl(Remote(), {"lsp-del", port.meta.id});
  Nbctl(Remote(), {"set", "Logical_Router", RouterName(vpc.meta.id), "name=renamed",
                   "external_ids:plasmanet\\:name=hacked"});
  auto repaired = [&] {
    std::string now = NbSnapshot(Remote());
    // The hand-made rows are extra lines; everything that was there is back.
    for (absl::string_view line : absl::StrSplit(before, '\n')) {
      if (absl::StartsWith(line, "ports of ")) continue;  // the switch also holds operator-port
      if (!absl::StrContains(now, line)) return false;
    }
    return !absl::StrContains(now, "renamed") && !absl::StrContains(now, "hacked");
  };
  ASSERT_TRUE(WaitFor(repaired, absl::Seconds(10))) << NbSnapshot(Remote());
  const absl::Duration took = absl::Now() - start;
  RecordProperty("drift_repair_ms", std::to_string(absl::ToInt64Milliseconds(took)));
  EXPECT_LT(took, absl::Seconds(3)) << "repair should take milliseconds, not a resync period";
  EXPECT_GE(reconciler_->stats().drift_repairs, 1);
  EXPECT_THAT(Nbctl(Remote(), {"ls-list"}), HasSubstr("operator-switch"));
  EXPECT_THAT(Nbctl(Remote(), {"lsp-list", SwitchName(subnet.meta.id)}),
              HasSubstr("operator-port"));
  EXPECT_THAT(Nbctl(Remote(), {"lsp-list", SwitchName(subnet.meta.id)}), HasSubstr(port.meta.id));
}

TEST_F(ReconcilerTest, RestartWithNbIntactWritesNothingAndCleansUpWhatWasDeletedMeanwhile) {
  StartReconciler(Remote());
  model::Vpc vpc = MakeVpc(alice_);
  model::Subnet subnet = MakeSubnet(alice_, vpc.meta.id, "10.0.1.0/24");
  model::Port kept = MakePort(alice_, subnet.meta.id);
  model::Port removed = MakePort(alice_, subnet.meta.id);
  Converge();
  reconciler_->Stop();
  // While no reconciler runs, a port is deleted: its row must go at the next start.
  ASSERT_THAT(svc().ports.Delete(alice_, removed.meta.id), IsOk());
  StartReconciler(Remote());
  Converge();
  ReconcilerStats stats = reconciler_->stats();
  EXPECT_EQ(stats.rows_inserted, 0);
  EXPECT_EQ(stats.rows_updated, 0);
  EXPECT_EQ(stats.rows_deleted, 1);
  EXPECT_THAT(Nbctl(Remote(), {"lsp-list", SwitchName(subnet.meta.id)}),
              Not(HasSubstr(removed.meta.id)));
  EXPECT_THAT(Nbctl(Remote(), {"lsp-list", SwitchName(subnet.meta.id)}), HasSubstr(kept.meta.id));
}

// A store whose Range calls wait until Release() (or 10 s): a reconciler on it syncs NB long
// before it has read the store, as a new leader often does on a remote etcd.
class GatedRangeStore : public store::Store {
 public:
  explicit GatedRangeStore(store::Store& base) : base_(base) {}
  void Release() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }

  absl::StatusOr<std::optional<store::KeyValue>> Get(absl::string_view key) override {
    return base_.Get(key);
  }
  absl::StatusOr<store::RangeResult> Range(const store::RangeRequest& request) override {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::seconds(10), [&] { return open_; });
    }
    return base_.Range(request);
  }
  absl::StatusOr<store::TxnResult> Commit(store::Txn txn) override {
    return base_.Commit(std::move(txn));
  }
  absl::StatusOr<std::unique_ptr<store::Watcher>> Watch(std::string prefix,
                                                        int64_t after_revision) override {
    return base_.Watch(std::move(prefix), after_revision);
  }
  absl::StatusOr<int64_t> CurrentRevision() override { return base_.CurrentRevision(); }
  absl::Status Compact(int64_t revision) override { return base_.Compact(revision); }

 private:
  store::Store& base_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

// A new reconciler (the next leader after a failover, or a restart) that has NB but not yet the
// store must not take NB's rows for leftovers of deleted objects: it diffs once it has read the
// store. (Checked failing without the wait: every row was deleted, then inserted again, so
// every VM lost its port in OVN for a moment.)
TEST_F(ReconcilerTest, ANewReconcilerTouchesNbOnlyOnceItHasReadTheStore) {
  StartReconciler(Remote());
  model::Vpc vpc = MakeVpc(alice_);
  model::Subnet subnet = MakeSubnet(alice_, vpc.meta.id, "10.0.1.0/24");
  MakePort(alice_, subnet.meta.id);
  MakePort(alice_, subnet.meta.id);
  Converge();
  reconciler_->Stop();
  const std::string before = NbSnapshot(Remote());

  GatedRangeStore gated(*store_);
  Reconciler reconciler(
      gated, svc().ports,
      {.nb_remotes = *ovsdb::ParseRemoteList(Remote()), .backoff_max = absl::Milliseconds(500)});
  reconciler.Start();
  ASSERT_TRUE(WaitFor([&] { return reconciler.nb().synced(); }, absl::Seconds(10)));
  absl::SleepFor(absl::Milliseconds(500));  // ample for a pass against an empty model
  EXPECT_EQ(reconciler.stats().transactions, 0);
  EXPECT_EQ(OwnedVmPorts(Remote()), 2);

  gated.Release();
  ASSERT_TRUE(reconciler.WaitForRevision(Revision(), absl::Seconds(20)));
  EXPECT_EQ(reconciler.stats().rows_inserted, 0);
  EXPECT_EQ(reconciler.stats().rows_updated, 0);
  EXPECT_EQ(reconciler.stats().rows_deleted, 0);
  EXPECT_EQ(NbSnapshot(Remote()), before);
  reconciler.Stop();
}

// Two leaders' reconcilers in turn on one NB (as after a failover): the newer term's claim
// shuts the older one out, which then writes nothing, and a reconciler of an even older term
// cannot claim NB back.
TEST_F(ReconcilerTest, ANewerTermsClaimFencesTheOlderReconcilerOutOfNb) {
  auto fenced = [&](int64_t epoch) {
    return std::make_unique<Reconciler>(
        *store_, svc().ports,
        ReconcilerOptions{.nb_remotes = *ovsdb::ParseRemoteList(Remote()),
                          .backoff_max = absl::Milliseconds(500),
                          .fence_epoch = epoch});
  };
  std::unique_ptr<Reconciler> old_leader = fenced(5);
  old_leader->Start();
  model::Vpc vpc = MakeVpc(alice_);
  model::Subnet subnet = MakeSubnet(alice_, vpc.meta.id, "10.0.1.0/24");
  MakePort(alice_, subnet.meta.id);
  ASSERT_TRUE(old_leader->WaitForRevision(Revision(), absl::Seconds(20)));
  // The bare NB had no NB_Global: the claim made one.
  EXPECT_EQ(Nbctl(Remote(), {"get", "NB_Global", ".", "external_ids:plasmanet\\:leader-epoch"}),
            "\"5\"");

  std::unique_ptr<Reconciler> new_leader = fenced(7);
  new_leader->Start();
  ASSERT_TRUE(WaitFor([&] { return new_leader->claimed(); }, absl::Seconds(10)));
  EXPECT_EQ(Nbctl(Remote(), {"get", "NB_Global", ".", "external_ids:plasmanet\\:leader-epoch"}),
            "\"7\"");
  // With the new leader paused, the old one meets the next port alone: its transaction is
  // refused, and it stops.
  new_leader->Stop();
  model::Port port = MakePort(alice_, subnet.meta.id);
  ASSERT_TRUE(WaitFor([&] { return old_leader->fenced(); }, absl::Seconds(10)));
  EXPECT_EQ(OwnedVmPorts(Remote()), 1) << "the deposed leader's port reached NB";
  // The new term's reconciler (again, as after a restart of that replica) programs it.
  new_leader = fenced(7);
  new_leader->Start();
  ASSERT_TRUE(new_leader->WaitForRevision(Revision(), absl::Seconds(20)));
  EXPECT_FALSE(new_leader->fenced());
  EXPECT_EQ(OwnedVmPorts(Remote()), 2);
  EXPECT_THAT(Nbctl(Remote(), {"lsp-list", SwitchName(subnet.meta.id)}), HasSubstr(port.meta.id));

  // A reconciler of an older term finds the newer claim and stays out.
  std::unique_ptr<Reconciler> stale = fenced(6);
  stale->Start();
  ASSERT_TRUE(WaitFor([&] { return stale->fenced(); }, absl::Seconds(10)));
  EXPECT_FALSE(stale->claimed());
  EXPECT_EQ(stale->stats().transactions, 0);
  EXPECT_EQ(Nbctl(Remote(), {"get", "NB_Global", ".", "external_ids:plasmanet\\:leader-epoch"}),
            "\"7\"");
}

TEST_F(ReconcilerTest, AnOwnerNbRefusesIsIsolatedAndTheRestIsProgrammed) {
  model::Vpc vpc = MakeVpc(alice_);
  model::Subnet subnet = MakeSubnet(alice_, vpc.meta.id, "10.0.1.0/24");
  model::Port blocked = MakePort(alice_, subnet.meta.id);
  std::vector<model::Port> others;
  for (int i = 0; i < 3; ++i) others.push_back(MakePort(alice_, subnet.meta.id));
  // Someone took the blocked port's name by hand (switch port names are unique in NB): NB
  // refuses any transaction that creates our port, including the first full resync's.
  Nbctl(Remote(),
        {"ls-add", "operator-switch", "--", "lsp-add", "operator-switch", blocked.meta.id});

  StartReconciler(Remote());
  auto status = [&] { return svc().ports.Get(alice_, blocked.meta.id)->status; };
  ASSERT_TRUE(WaitFor([&] { return status() == model::PortStatus::kError; }, absl::Seconds(10)))
      << model::PortStatusName(status());
  for (const model::Port& port : others) {
    EXPECT_THAT(Nbctl(Remote(), {"lsp-list", SwitchName(subnet.meta.id)}), HasSubstr(port.meta.id));
  }
  EXPECT_THAT(Nbctl(Remote(), {"lsp-list", SwitchName(subnet.meta.id)}),
              Not(HasSubstr(blocked.meta.id)));
  EXPECT_GE(reconciler_->stats().failed_transactions, 2);

  // The operator removes their port; the next change to ours programs it.
  Nbctl(Remote(), {"lsp-del", blocked.meta.id});
  ASSERT_THAT(svc().ports.Update(alice_, blocked.meta.id, "", {.meta = {.name = "retry"}}), IsOk());
  Converge();
  EXPECT_THAT(Nbctl(Remote(), {"lsp-list", SwitchName(subnet.meta.id)}),
              HasSubstr(blocked.meta.id));
}

TEST_F(ReconcilerTest, PortStatusFollowsOvnAndWatchersSeeIt) {
  StartReconciler(Remote());
  model::Vpc vpc = MakeVpc(alice_);
  model::Subnet subnet = MakeSubnet(alice_, vpc.meta.id, "10.0.1.0/24");
  model::Port port = MakePort(alice_, subnet.meta.id);
  Converge();
  std::atomic<bool> saw_active{false};
  std::atomic<bool> stop{false};
  std::thread watcher([&] {
    (void)svc().ports.Watch(
        alice_, {.start_revision = Revision()},
        [&](const service::PortEvent& event) {
          if (event.type == service::PortEvent::Type::kUpdated &&
              event.port.status == model::PortStatus::kActive) {
            saw_active = true;
          }
          return true;
        },
        [&] { return stop.load(); }, absl::Milliseconds(20));
  });
  // ovn-northd sets Logical_Switch_Port.up when ovn-controller binds the port on a chassis;
  // the end-to-end tests (#5) do that with real daemons, here the column is set directly.
  Nbctl(Remote(), {"set", "Logical_Switch_Port", port.meta.id, "up=true"});
  auto status = [&] {
    absl::StatusOr<model::Port> now = svc().ports.Get(alice_, port.meta.id);
    return now.ok() ? now->status : model::PortStatus::kError;
  };
  EXPECT_TRUE(WaitFor([&] { return status() == model::PortStatus::kActive; }, absl::Seconds(10)));
  EXPECT_TRUE(WaitFor([&] { return saw_active.load(); }, absl::Seconds(10)));
  Nbctl(Remote(), {"set", "Logical_Switch_Port", port.meta.id, "up=false"});
  EXPECT_TRUE(WaitFor([&] { return status() == model::PortStatus::kDown; }, absl::Seconds(10)));
  stop = true;
  watcher.join();
}

// ovn-sbctl against a test Southbound database.
std::string Sbctl(const std::string& remote, std::vector<std::string> args) {
  args.insert(args.begin(), "--db=" + remote);
  absl::StatusOr<testing::ProcessResult> out = testing::RunProgram("ovn-sbctl", args);
  EXPECT_TRUE(out.ok() && out->exit_code == 0)
      << (out.ok() ? out->stderr_text : out.status().ToString());
  return out.ok() ? std::string(absl::StripAsciiWhitespace(out->stdout_text)) : "";
}

TEST_F(ReconcilerTest, BindingChassisComesFromSouthbound) {
  OvsdbServer sb({.schema = "/usr/share/ovn/ovn-sb.ovsschema"});
  ASSERT_THAT(sb.Start(), IsOk());
  reconciler_ = std::make_unique<Reconciler>(
      *store_, svc().ports,
      ReconcilerOptions{.nb_remotes = *ovsdb::ParseRemoteList(Remote()),
                        .sb_remotes = *ovsdb::ParseRemoteList(sb.unix_remote())});
  reconciler_->Start();
  model::Vpc vpc = MakeVpc(alice_);
  model::Subnet subnet = MakeSubnet(alice_, vpc.meta.id, "10.0.1.0/24");
  model::Port port = MakePort(alice_, subnet.meta.id);
  Converge();
  auto current = [&] { return *svc().ports.Get(alice_, port.meta.id); };

  // What ovn-northd and ovn-controller write when a hypervisor binds the port: a chassis, the
  // port's binding on it, and the switch port up.
  Sbctl(sb.unix_remote(), {"chassis-add", "hv1", "geneve", "127.0.0.1"});
  Sbctl(sb.unix_remote(),
        {"--id=@dp", "create", "Datapath_Binding", "tunnel_key=1", "--", "create", "Port_Binding",
         "logical_port=" + port.meta.id, "datapath=@dp", "tunnel_key=1"});
  Sbctl(sb.unix_remote(), {"lsp-bind", port.meta.id, "hv1"});
  Nbctl(Remote(), {"set", "Logical_Switch_Port", port.meta.id, "up=true"});
  EXPECT_TRUE(WaitFor(
      [&] {
        model::Port p = current();
        return p.status == model::PortStatus::kActive && p.binding_chassis == "hv1";
      },
      absl::Seconds(10)))
      << model::PortStatusName(current().status) << " on '" << current().binding_chassis << "'";

  // Unbound: DOWN, no chassis.
  Sbctl(sb.unix_remote(), {"lsp-unbind", port.meta.id});
  Nbctl(Remote(), {"set", "Logical_Switch_Port", port.meta.id, "up=false"});
  EXPECT_TRUE(WaitFor(
      [&] {
        model::Port p = current();
        return p.status == model::PortStatus::kDown && p.binding_chassis.empty();
      },
      absl::Seconds(10)))
      << model::PortStatusName(current().status) << " on '" << current().binding_chassis << "'";
  reconciler_->Stop();  // before the Southbound server goes away
}

TEST_F(ReconcilerTest, GatewaysFollowTheChassisThatCarryTheirNetwork) {
  OvsdbServer sb({.schema = "/usr/share/ovn/ovn-sb.ovsschema"});
  ASSERT_THAT(sb.Start(), IsOk());
  // Two gateway nodes and a compute node, all mapping physnet1, as ovn-controller reports them.
  const auto add_chassis = [&](const std::string& name, const std::string& encap_ip, bool gateway) {
    Sbctl(sb.unix_remote(), {"chassis-add", name, "geneve", encap_ip});
    std::vector<std::string> set = {"set", "Chassis", name,
                                    "other_config:ovn-bridge-mappings=physnet1:br-ex"};
    if (gateway) set.push_back("other_config:ovn-cms-options=enable-chassis-as-gw");
    Sbctl(sb.unix_remote(), set);
  };
  add_chassis("gw1", "127.0.0.1", true);
  add_chassis("gw2", "127.0.0.2", true);
  add_chassis("hv3", "127.0.0.3", false);
  reconciler_ = std::make_unique<Reconciler>(
      *store_, svc().ports,
      ReconcilerOptions{.nb_remotes = *ovsdb::ParseRemoteList(Remote()),
                        .sb_remotes = *ovsdb::ParseRemoteList(sb.unix_remote())});
  reconciler_->Start();
  absl::StatusOr<model::ExternalNetwork> network =
      svc().external_networks.Create(admin_, {.name = "public",
                                              .cidr = "172.24.0.0/24",
                                              .gateway_ip = "172.24.0.1",
                                              .physical_network = "physnet1"});
  ASSERT_TRUE(network.ok()) << network.status();
  model::Vpc vpc = MakeVpc(alice_);
  model::Subnet subnet = MakeSubnet(alice_, vpc.meta.id, "10.0.1.0/24");
  vpc = AttachGateway(alice_, vpc.meta.id, network->meta.id);
  model::Port port = MakePort(alice_, subnet.meta.id);
  ASSERT_TRUE(svc()
                  .floating_ips
                  .Create(alice_, {.external_network_id = network->meta.id,
                                   .floating_ip_address = "172.24.0.50",
                                   .port_id = port.meta.id})
                  .ok());

  // "chassis:priority" of every HA_Chassis, sorted.
  const auto members = [&] {
    std::vector<std::string> out =
        absl::StrSplit(Nbctl(Remote(), {"--format=csv", "--data=bare", "--no-headings",
                                        "--columns=chassis_name,priority", "list", "HA_Chassis"}),
                       '\n', absl::SkipEmpty());
    std::sort(out.begin(), out.end());
    return out;
  };
  // Only the marked gateway nodes, one active (priority 2) and one standby.
  ASSERT_TRUE(WaitFor([&] { return members().size() == 2; }, absl::Seconds(10)));
  std::vector<std::string> both = members();
  EXPECT_TRUE((both == std::vector<std::string>{"gw1,1", "gw2,2"} ||
               both == std::vector<std::string>{"gw1,2", "gw2,1"}))
      << absl::StrJoin(both, " ");
  const std::string router = "pn-vpc-" + vpc.meta.id;
  EXPECT_EQ(Nbctl(Remote(), {"--bare", "--columns=ha_chassis_group", "list", "Logical_Router_Port",
                             "pn-lrp-gw-" + vpc.meta.id}),
            Nbctl(Remote(), {"--bare", "--columns=_uuid", "find", "HA_Chassis_Group",
                             "name=pn-ha-" + vpc.meta.id}));
  const std::string nat = Nbctl(Remote(), {"lr-nat-list", router});
  EXPECT_THAT(nat, HasSubstr("snat"));
  EXPECT_THAT(nat, HasSubstr(vpc.gateway->external_ip.ToString()));
  EXPECT_THAT(nat, HasSubstr("172.24.0.50"));
  EXPECT_THAT(nat, HasSubstr(port.meta.id));  // distributed: bound to the port
  EXPECT_THAT(Nbctl(Remote(), {"lr-route-list", router}), HasSubstr("172.24.0.1"));

  // A gateway node goes away: the group shrinks to the other.
  Sbctl(sb.unix_remote(), {"chassis-del", "gw1"});
  EXPECT_TRUE(
      WaitFor([&] { return members() == std::vector<std::string>{"gw2,1"}; }, absl::Seconds(10)))
      << absl::StrJoin(members(), " ");
  // No node is marked any more: every node mapping the network is a candidate.
  Sbctl(sb.unix_remote(), {"remove", "Chassis", "gw2", "other_config", "ovn-cms-options"});
  EXPECT_TRUE(WaitFor([&] { return members().size() == 2; }, absl::Seconds(10)));
  EXPECT_THAT(absl::StrJoin(members(), " "), HasSubstr("hv3"));

  // Clearing the gateway (after the floating IP lets go) removes every gateway row in one
  // transaction that the real server accepts: the port holding the group goes with it.
  std::vector<model::FloatingIp> fips = svc().floating_ips.List(alice_, {})->items;
  ASSERT_EQ(fips.size(), 1u);
  ASSERT_TRUE(svc().floating_ips.Delete(alice_, fips[0].meta.id).ok());
  ASSERT_TRUE(
      svc()
          .vpcs.Update(alice_, vpc.meta.id, "", {.gateway = std::optional<model::VpcGatewaySpec>()})
          .ok());
  Converge();
  EXPECT_EQ(Nbctl(Remote(), {"--bare", "--columns=name", "list", "HA_Chassis_Group"}), "");
  EXPECT_EQ(Nbctl(Remote(), {"lr-nat-list", router}), "");
  EXPECT_THAT(Nbctl(Remote(), {"lrp-list", router}), Not(HasSubstr("pn-lrp-gw-")));
  EXPECT_EQ(reconciler_->stats().failed_transactions, 0);
  reconciler_->Stop();  // before the Southbound server goes away
}

TEST_F(ReconcilerTest, NbKilledAndRestartedDuringABurstConvergesWithNothingLost) {
  StartReconciler(Remote());
  model::Vpc vpc = MakeVpc(alice_);
  model::Subnet subnet = MakeSubnet(alice_, vpc.meta.id, "10.0.0.0/22");
  std::atomic<int> created{0};
  std::thread writer = CreatePortsInBackground(svc().ports, alice_, subnet.meta.id, 150, created);
  ASSERT_TRUE(WaitFor([&] { return created.load() >= 30; }, absl::Seconds(20)));
  ASSERT_THAT(nb_.Kill(), IsOk());
  ASSERT_TRUE(WaitFor([&] { return created.load() >= 80; }, absl::Seconds(20)));
  ASSERT_THAT(nb_.Restart(), IsOk());
  writer.join();
  ASSERT_EQ(created.load(), 150);
  Converge(absl::Seconds(30));
  EXPECT_EQ(OwnedVmPorts(Remote()), 150);
}

// The same service-layer fixture, with a three-member Raft cluster as NB.
// The names of the switch ports in the port group `group` (empty if there is no such group).
std::vector<std::string> GroupMembers(const std::string& remote, const std::string& group) {
  std::vector<std::string> names;
  const std::string uuids =
      Nbctl(remote, {"--bare", "--columns=ports", "find", "Port_Group", "name=" + group});
  for (absl::string_view uuid : absl::StrSplit(uuids, absl::ByAnyChar(" \n"), absl::SkipEmpty())) {
    names.push_back(Nbctl(
        remote, {"--bare", "--columns=name", "list", "Logical_Switch_Port", std::string(uuid)}));
  }
  std::sort(names.begin(), names.end());
  return names;
}

// How many rows of `table` the object `owner` ("sg/<id>", "platform/default-deny") has in NB.
int RowsOwnedBy(const std::string& remote, const std::string& table, const std::string& owner) {
  const std::string out = Nbctl(remote, {"--bare", "--columns=_uuid", "find", table,
                                         "external_ids:\"plasmanet:owner\"=\"" + owner + "\""});
  const std::vector<absl::string_view> rows = absl::StrSplit(out, '\n', absl::SkipEmpty());
  return static_cast<int>(rows.size());
}

TEST_F(ReconcilerTest, GroupsBecomePortGroupsWithTheirRulesAndPortsJoinAndLeaveThem) {
  StartReconciler(Remote());
  model::Vpc vpc = MakeVpc(alice_);
  model::Subnet subnet = MakeSubnet(alice_, vpc.meta.id, "10.0.1.0/24");
  absl::StatusOr<model::SecurityGroup> web = svc().security_groups.Create(alice_, {.name = "web"});
  ASSERT_THAT(web, IsOk());
  absl::StatusOr<model::SecurityGroup> with_http =
      svc().security_groups.AddRule(alice_, web->meta.id,
                                    {.direction = "ingress",
                                     .ethertype = "IPv4",
                                     .protocol = "tcp",
                                     .port_range_min = 80,
                                     .port_range_max = 80});
  ASSERT_THAT(with_http, IsOk());
  absl::StatusOr<model::Port> in_web = svc().ports.Create(
      alice_, {.subnet_id = subnet.meta.id, .security_group_ids = {{web->meta.id}}});
  ASSERT_THAT(in_web, IsOk());
  model::Port in_default = MakePort(alice_, subnet.meta.id);
  absl::StatusOr<model::Port> unfiltered =
      svc().ports.Create(alice_, {.subnet_id = subnet.meta.id,
                                  .security_group_ids = std::vector<std::string>{},
                                  .port_security_enabled = false});
  ASSERT_THAT(unfiltered, IsOk());
  Converge();

  const std::string web_pg = PortGroupName(web->meta.id);
  const std::string default_pg = PortGroupName(in_default.security_group_ids.at(0));
  const std::string sg_owner = "sg/" + web->meta.id;
  // Two egress rules every new group starts with, and tcp/80: three ACLs on the group.
  EXPECT_EQ(RowsOwnedBy(Remote(), "ACL", sg_owner), 3);
  EXPECT_THAT(GroupMembers(Remote(), web_pg), ElementsAre(in_web->meta.id));
  EXPECT_THAT(GroupMembers(Remote(), default_pg), ElementsAre(in_default.meta.id));
  // Default deny for both ports with port security; the port without it is in no group.
  std::vector<std::string> filtered = {in_web->meta.id, in_default.meta.id};
  std::sort(filtered.begin(), filtered.end());
  EXPECT_EQ(GroupMembers(Remote(), std::string(kDropGroupName)), filtered);
  EXPECT_EQ(Get("ACL",
                Nbctl(Remote(), {"--bare", "--columns=_uuid", "find", "ACL",
                                 "name=pn-" + with_http->rules.back().id}),
                "match"),
            "outport == @" + web_pg + " && ip4 && tcp && tcp.dst == 80");

  // Someone takes a port out of the drop group: it is put back (default deny is not optional).
  const std::string lsp_uuid = Nbctl(
      Remote(),
      {"--bare", "--columns=_uuid", "find", "Logical_Switch_Port", "name=" + in_default.meta.id});
  Nbctl(Remote(), {"remove", "Port_Group", std::string(kDropGroupName), "ports", lsp_uuid});
  EXPECT_TRUE(
      WaitFor([&] { return GroupMembers(Remote(), std::string(kDropGroupName)) == filtered; },
              absl::Seconds(5)))
      << "the port was not put back into " << kDropGroupName;

  // A rule removed is an ACL removed; a port moved between groups leaves one and joins the
  // other; a deleted group takes its port group and ACLs with it.
  ASSERT_THAT(svc().security_groups.RemoveRule(alice_, web->meta.id, with_http->rules.back().id),
              IsOk());
  ASSERT_THAT(svc().ports.Update(alice_, in_web->meta.id, "",
                                 {.security_group_ids = in_default.security_group_ids}),
              IsOk());
  Converge();
  EXPECT_EQ(RowsOwnedBy(Remote(), "ACL", sg_owner), 2);
  EXPECT_THAT(GroupMembers(Remote(), web_pg), ::testing::IsEmpty());
  EXPECT_EQ(GroupMembers(Remote(), default_pg), filtered);
  ASSERT_THAT(svc().security_groups.Delete(alice_, web->meta.id), IsOk());
  Converge();
  EXPECT_EQ(RowsOwnedBy(Remote(), "Port_Group", sg_owner), 0);
  EXPECT_EQ(RowsOwnedBy(Remote(), "ACL", sg_owner), 0);
}

TEST_F(ReconcilerTest, AclCountGrowsWithRulesNotWithPorts) {
  StartReconciler(Remote());
  model::Vpc vpc = MakeVpc(alice_);
  model::Subnet subnet = MakeSubnet(alice_, vpc.meta.id, "10.0.0.0/22");
  absl::StatusOr<model::SecurityGroup> group =
      svc().security_groups.Create(alice_, {.name = "app"});
  ASSERT_THAT(group, IsOk());
  for (int port = 1000; group->rules.size() < 20; ++port) {  // 2 egress rules + 18 ingress
    group = svc().security_groups.AddRule(alice_, group->meta.id,
                                          {.direction = "ingress",
                                           .ethertype = "IPv4",
                                           .protocol = "tcp",
                                           .port_range_min = port,
                                           .port_range_max = port});
    ASSERT_THAT(group, IsOk());
  }
  auto add_ports = [&](int n) {
    for (int i = 0; i < n; ++i) {
      ASSERT_THAT(svc().ports.Create(alice_, {.subnet_id = subnet.meta.id,
                                              .security_group_ids = {{group->meta.id}}}),
                  IsOk());
    }
    Converge(absl::Seconds(60));
  };
  auto total = [&](const std::string& table) {
    const std::string out = Nbctl(Remote(), {"--bare", "--columns=_uuid", "list", table});
    return std::count(out.begin(), out.end(), '\n') + (out.empty() ? 0 : 1);
  };
  add_ports(10);
  const auto acls_at_10 = total("ACL");
  const auto groups_at_10 = total("Port_Group");
  add_ports(990);
  EXPECT_EQ(GroupMembers(Remote(), PortGroupName(group->meta.id)).size(), 1000u);
  EXPECT_EQ(RowsOwnedBy(Remote(), "ACL", "sg/" + group->meta.id), 20);
  EXPECT_EQ(total("ACL"), acls_at_10) << "1,000 ports must not add a single ACL";
  EXPECT_EQ(total("Port_Group"), groups_at_10);
  RecordProperty("acls_at_1000_ports", std::to_string(total("ACL")));
}

class ReconcilerClusterTest : public service::ServiceTest {
 protected:
  void SetUp() override { ASSERT_THAT(cluster_.Start(), IsOk()); }
  OvsdbCluster cluster_;
};

TEST_F(ReconcilerClusterTest, LeaderKilledDuringWritesAndNbConverges) {
  absl::StatusOr<int> leader = cluster_.WaitForLeader(absl::Seconds(10));
  ASSERT_THAT(leader, IsOk());
  Reconciler reconciler(*store_, svc().ports,
                        {.nb_remotes = *ovsdb::ParseRemoteList(cluster_.remotes()),
                         .backoff_max = absl::Milliseconds(500)});
  reconciler.Start();
  model::Vpc vpc = MakeVpc(alice_);
  model::Subnet subnet = MakeSubnet(alice_, vpc.meta.id, "10.0.0.0/22");
  std::atomic<int> created{0};
  std::thread writer = CreatePortsInBackground(svc().ports, alice_, subnet.meta.id, 100, created);
  ASSERT_TRUE(WaitFor([&] { return created.load() >= 30; }, absl::Seconds(20)));
  ASSERT_THAT(cluster_.Kill(*leader), IsOk());
  writer.join();
  ASSERT_EQ(created.load(), 100);
  const int64_t revision = Revision();
  ASSERT_TRUE(reconciler.WaitForRevision(revision, absl::Seconds(40)))
      << reconciler.nb().last_error();
  EXPECT_EQ(OwnedVmPorts(cluster_.remotes()), 100);
  EXPECT_NE(reconciler.nb().current_remote(), cluster_.member_remote(*leader));
  reconciler.Stop();
}

}  // namespace
}  // namespace plasmanet::reconcile
