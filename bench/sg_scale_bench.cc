// Security groups at scale: 1,000 groups of 20 rules over 10,000 ports, compiled and programmed
// into a real OVN from an empty Northbound, and what ovn-northd makes of it.
//
//   build/bench/sg_scale_bench [--groups 1000] [--rules 20] [--ports 10000]
//
// The OVN is a whole sandbox (scripts/ovn-sandbox, started in a temp dir) so that ovn-northd
// runs; the reconciler runs in this process over a durable SQLite store written through the
// service layer. The store is filled first (not timed): 10 VPCs of 10 subnets; --groups groups,
// each with the two egress rules a group starts with plus tcp ingress rules up to --rules, two of
// them from a remote group (the next group) and the rest from CIDRs; --ports ports, port i in
// group i % groups and subnet i % 100. Then, timed:
//   NB converge    the reconciler starts on the empty NB: until NB holds everything (seconds,
//                  NB transactions, ACL and Port_Group rows);
//   northd         from the same start until `ovn-nbctl --wait=sb sync` returns: ovn-northd has
//                  compiled all of it into Southbound; its CPU seconds over that time, and the
//                  logical flows and address sets it produced.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <unistd.h>

#include "bench_world.h"
#include "common/logging.h"
#include "reconcile/reconciler.h"
#include "testing/ovn_sandbox.h"
#include "testing/process.h"

namespace plasmanet {
namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "sg_scale_bench: %s\n", what.c_str());
  std::exit(1);
}

template <typename T>
T Must(absl::StatusOr<T> value, const std::string& what) {
  if (!value.ok()) Die(absl::StrCat(what, ": ", value.status().ToString()));
  return *std::move(value);
}

// utime + stime of `pid`, in seconds.
double CpuSeconds(pid_t pid) {
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // Fields after the command name (which may hold spaces) start after the last ')'.
  std::vector<std::string> fields = absl::StrSplit(text.substr(text.rfind(')') + 2), ' ');
  long long utime = 0, stime = 0;
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &utime) ||
      !absl::SimpleAtoi(fields[12], &stime)) {
    Die(absl::StrCat("cannot read the CPU time of pid ", pid));
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Rows of `table` in the database at `db`.
long Rows(testing::OvnSandbox& sandbox, const char* tool, const std::string& db,
          const char* table) {
  testing::ProcessResult r =
      Must(sandbox.Run({tool, "--db=" + db, "--bare", "--columns=_uuid", "list", table},
                       absl::Minutes(5)),
           tool);
  if (r.exit_code != 0) Die(absl::StrCat(tool, " list ", table, ": ", r.stderr_text));
  long n = 0;
  for (absl::string_view line : absl::StrSplit(r.stdout_text, '\n', absl::SkipEmpty())) {
    n += !line.empty();
  }
  return n;
}

int Run(int groups, int rules, int ports) {
  InitLogging("sg_scale_bench", LogLevel::kWarn);
  std::unique_ptr<testing::OvnSandbox> sandbox = Must(testing::OvnSandbox::Start(), "OVN sandbox");
  bench::World world = bench::OpenWorld("plasmanet-sg-scale-bench");
  service::Services& svc = *world.services;
  const service::RequestContext& tenant = bench::kTenant;

  // The store, not timed.
  std::vector<std::string> subnets;
  for (int v = 0; v < 10; ++v) {
    model::Vpc vpc = Must(
        svc.vpcs.Create(tenant, {.name = absl::StrCat("vpc", v), .cidr_blocks = {"10.0.0.0/12"}}),
        "vpc");
    for (int s = 0; s < 10; ++s) {
      subnets.push_back(
          Must(svc.subnets.Create(
                   tenant, {.vpc_id = vpc.meta.id, .ipv4_cidr = absl::StrCat("10.", s, ".0.0/20")}),
               "subnet")
              .meta.id);
    }
  }
  std::vector<std::string> group_ids;
  for (int g = 0; g < groups; ++g) {
    group_ids.push_back(
        Must(svc.security_groups.Create(tenant, {.name = absl::StrCat("g", g)}), "group").meta.id);
  }
  for (int g = 0; g < groups; ++g) {
    std::vector<model::SecurityGroupRuleSpec> specs;
    for (int r = 2; r < rules; ++r) {  // after the two egress rules every group starts with
      model::SecurityGroupRuleSpec spec{.direction = "ingress",
                                        .ethertype = "IPv4",
                                        .protocol = "tcp",
                                        .port_range_min = 1000 + r,
                                        .port_range_max = 1000 + r};
      if (r < 4) {
        spec.remote_group_id = group_ids[(g + 1) % groups];
      } else {
        spec.remote_ip_prefix = absl::StrCat("172.16.", r, ".0/24");
      }
      specs.push_back(std::move(spec));
    }
    if (!specs.empty()) Must(svc.security_groups.AddRules(tenant, group_ids[g], specs), "rules");
  }
  for (int i = 0; i < ports; ++i) {
    Must(svc.ports.Create(tenant, {.subnet_id = subnets[i % subnets.size()],
                                   .security_group_ids = {{group_ids[i % groups]}}}),
         "port");
  }
  const int64_t revision = Must(world.store->CurrentRevision(), "revision");
  const pid_t northd = Must(testing::ReadPidFile(sandbox->dir() + "/northd.pid"), "northd pid");

  // Timed: NB from empty, then northd's compile into SB.
  const double northd_cpu_before = CpuSeconds(northd);
  const absl::Time start = absl::Now();
  reconcile::Reconciler reconciler(
      *world.store, svc.ports,
      {.nb_remotes = Must(ovsdb::ParseRemoteList(sandbox->nb_remote()), "NB remote")});
  reconciler.Start();
  if (!reconciler.WaitForRevision(revision, absl::Minutes(10))) Die("NB did not converge");
  const absl::Duration nb_converge = absl::Now() - start;
  const reconcile::ReconcilerStats stats = reconciler.stats();
  testing::ProcessResult synced = Must(sandbox->Run({"ovn-nbctl", "--db=" + sandbox->nb_remote(),
                                                     "--timeout=1200", "--wait=sb", "sync"},
                                                    absl::Minutes(21)),
                                       "ovn-nbctl --wait=sb sync");
  if (synced.exit_code != 0) Die("ovn-nbctl --wait=sb sync: " + synced.stderr_text);
  const absl::Duration to_sb = absl::Now() - start;
  const double northd_cpu = CpuSeconds(northd) - northd_cpu_before;
  reconciler.Stop();

  const std::string nb = sandbox->nb_remote(), sb = sandbox->sb_remote();
  const long acls = Rows(*sandbox, "ovn-nbctl", nb, "ACL");
  const long port_groups = Rows(*sandbox, "ovn-nbctl", nb, "Port_Group");
  const long nb_address_sets = Rows(*sandbox, "ovn-nbctl", nb, "Address_Set");
  const long sb_address_sets = Rows(*sandbox, "ovn-sbctl", sb, "Address_Set");
  const long flows = Rows(*sandbox, "ovn-sbctl", sb, "Logical_Flow");
  std::printf("groups=%d rules_per_group=%d ports=%d\n", groups, rules, ports);
  std::printf(
      "nb_converge_s=%.3f nb_transactions=%lld rows_inserted=%lld acls=%ld "
      "port_groups=%ld nb_address_sets=%ld\n",
      absl::ToDoubleSeconds(nb_converge), static_cast<long long>(stats.transactions),
      static_cast<long long>(stats.rows_inserted), acls, port_groups, nb_address_sets);
  std::printf("to_sb_s=%.3f northd_cpu_s=%.2f sb_logical_flows=%ld sb_address_sets=%ld\n",
              absl::ToDoubleSeconds(to_sb), northd_cpu, flows, sb_address_sets);
  if (absl::Status stopped = sandbox->Stop(); !stopped.ok()) Die(stopped.ToString());
  return 0;
}

}  // namespace
}  // namespace plasmanet

int main(int argc, char** argv) {
  int groups = 1000, rules = 20, ports = 10000;
  CLI::App app{"sg_scale_bench: security groups at scale, into OVN and through ovn-northd"};
  app.add_option("--groups", groups, "Security groups")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  app.add_option("--rules", rules, "Rules per group (at least the 2 egress ones)")
      ->capture_default_str()
      ->check(CLI::Range(2, 100));
  app.add_option("--ports", ports, "Ports, spread over the groups")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  CLI11_PARSE(app, argc, argv);
  return plasmanet::Run(groups, rules, ports);
}
