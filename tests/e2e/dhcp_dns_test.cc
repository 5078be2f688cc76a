// DHCP, DNS and MTU with real guests' tools: a namespace VM runs busybox udhcpc against OVN's
// native DHCP server and must get exactly what PlasmaNET says (its IPAM address, the gateway,
// the DNS servers, the MTU, its host name and search domain, the subnet's static routes); VMs
// resolve each other's names with dig against OVN's DNS; a packet too big for the next subnet
// is answered with ICMP "fragmentation needed" by the VPC router; SLAAC and DHCPv6-stateless VMs
// configure the address their port holds from the router's advertisements, and isc-dhcp-client
// gets the port's address (stateful) or the DNS servers (stateless) by DHCPv6.

#include <fstream>
#include <iterator>

#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/strip.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "e2e/e2e_test.h"
#include "testing/wait.h"

namespace plasmanet::e2e {
namespace {

using ::testing::HasSubstr;

class DhcpDnsTest : public E2eTest {
 protected:
  // True once eth0 holds `address` as a global /64 (built by the kernel from an advertisement).
  bool WaitForGlobalAddress(const testing::VmNamespace& vm, const std::string& address) {
    const bool held = testing::WaitFor(
        [&] {
          absl::StatusOr<testing::ProcessResult> r =
              vm.Exec({"ip", "-6", "addr", "show", "dev", "eth0", "scope", "global"});
          return r.ok() && absl::StrContains(r->stdout_text, address + "/64");
        },
        absl::Seconds(30), absl::Milliseconds(250));
    EXPECT_TRUE(held) << address << Diagnostics();
    return held;
  }

  // Runs isc-dhcp-client for DHCPv6 once (-1) with `flags`, until the text its script writes
  // (or, with `script` empty, its lease file) contains `until`; returns that text. The client
  // records what it is told and configures nothing.
  std::string RunDhclient6(const testing::VmNamespace& vm, const std::vector<std::string>& flags,
                           const std::string& until, bool stateless) {
    const std::string base = absl::StrCat(sandbox_->dir(), "/", vm.name());
    std::string script = "/bin/true", out = base + ".leases";
    if (stateless) {
      // A stateless answer is no lease: a script records what the client was told.
      script = base + ".sh";
      out = base + ".env";
      std::ofstream(script) << "#!/bin/sh\nenv | grep -E '^(reason|new_)' >> " << out << "\n";
      EXPECT_EQ(chmod(script.c_str(), 0755), 0);
    }
    std::vector<std::string> command = {"timeout", "10", "dhclient", "-6", "-1"};
    command.insert(command.end(), flags.begin(), flags.end());
    command.insert(command.end(),
                   {"-lf", base + ".leases", "-pf", base + ".pid", "-sf", script, "eth0"});
    std::string text;
    EXPECT_TRUE(testing::WaitFor(
        [&] {
          absl::StatusOr<testing::ProcessResult> r = vm.Exec(command, absl::Seconds(20));
          std::ifstream in(out);
          text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
          return r.ok() && absl::StrContains(text, until);
        },
        absl::Seconds(40), absl::Seconds(1)))
        << text << Diagnostics();
    return text;
  }

  // dig's short answer for `name` (a reverse lookup with `reverse`), asking `server`; empty
  // when nothing answered.
  static std::string Resolve(const testing::VmNamespace& vm, const std::string& server,
                             const std::string& name, const std::string& type = "A") {
    // +noedns: OVN 23.03's DNS responder ignores queries that carry an EDNS record (glibc's
    // and musl's stub resolvers send none unless told to).
    std::vector<std::string> dig = {"dig",     "+short",   "+noedns",
                                    "+time=1", "+tries=1", "@" + server};
    if (type == "PTR") {
      dig.insert(dig.end(), {"-x", name});
    } else {
      dig.insert(dig.end(), {name, type});
    }
    absl::StatusOr<testing::ProcessResult> r = vm.Exec(dig, absl::Seconds(10));
    if (!r.ok() || r->exit_code != 0) return "";
    return std::string(absl::StripAsciiWhitespace(r->stdout_text));
  }

  // Polls Resolve until it answers `expected` (the reconciler may still be writing the record).
  static bool WaitResolves(const testing::VmNamespace& vm, const std::string& server,
                           const std::string& name, const std::string& expected,
                           const std::string& type = "A") {
    return testing::WaitFor([&] { return Resolve(vm, server, name, type) == expected; },
                            absl::Seconds(20), absl::Milliseconds(250));
  }
};

TEST_F(DhcpDnsTest, GuestGetsItsIpamAddressGatewayDnsMtuHostNameAndRoutes) {
  const std::string vpc = CreateVpc(kAcme, "shop", "10.0.0.0/16");
  v1::Subnet spec = SubnetSpec(vpc, "front", "10.0.1.0/24");
  spec.set_mtu(1400);
  v1::HostRoute* route = spec.add_host_routes();
  route->set_destination("192.168.0.0/16");
  route->set_nexthop("10.0.1.9");
  const v1::Subnet front = CreateSubnet(kAcme, spec);
  const v1::Port port = CreatePort(kAcme, front, "web-1");
  std::unique_ptr<testing::VmNamespace> vm = StartBareVm("d1", port);
  ASSERT_NE(vm, nullptr);

  absl::StatusOr<std::map<std::string, std::string>> offer = vm->RunDhcpClient();
  ASSERT_TRUE(offer.ok()) << offer.status() << Diagnostics();
  std::map<std::string, std::string>& o = *offer;
  EXPECT_EQ(o["ip"], port.fixed_ips(0)) << "exactly the address IPAM gave the port";
  EXPECT_EQ(o["mask"], "24");
  EXPECT_EQ(o["router"], "10.0.1.1");
  EXPECT_EQ(o["serverid"], "10.0.1.1");
  EXPECT_EQ(o["dns"], "10.0.1.1") << "no servers named: the gateway, where OVN answers";
  EXPECT_EQ(o["mtu"], "1400");
  EXPECT_EQ(o["hostname"], "web-1");
  EXPECT_EQ(o["domain"], "front.shop.internal");
  EXPECT_EQ(o["lease"], "43200");
  EXPECT_THAT(o["staticroutes"], HasSubstr("192.168.0.0/16 10.0.1.9"));
  // The configured guest works: its address and route reach the gateway.
  EXPECT_TRUE(WaitReachable(*vm, "10.0.1.1")) << Diagnostics();

  // New DNS servers and a lower MTU reach a client at its next request.
  v1::Subnet changes;
  changes.mutable_metadata()->set_id(front.metadata().id());
  changes.add_dns_servers("10.0.1.53");
  changes.add_dns_servers("10.0.1.54");
  changes.set_mtu(1300);
  UpdateSubnet(kAcme, changes, {"dns_servers", "mtu"});
  std::map<std::string, std::string> renewed;
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        absl::StatusOr<std::map<std::string, std::string>> again = vm->RunDhcpClient();
        if (!again.ok()) return false;
        renewed = *again;
        return renewed["mtu"] == "1300";
      },
      absl::Seconds(30), absl::Milliseconds(500)))
      << renewed["mtu"] << Diagnostics();
  EXPECT_EQ(renewed["dns"], "10.0.1.53 10.0.1.54");
  EXPECT_EQ(renewed["ip"], port.fixed_ips(0));
}

TEST_F(DhcpDnsTest, ANetworkBootPortGetsItsBootFileAndNextServerAndItsNeighbourDoesNot) {
  const std::string vpc = CreateVpc(kAcme, "shop", "10.0.0.0/16");
  const v1::Subnet front = CreateSubnet(kAcme, SubnetSpec(vpc, "front", "10.0.1.0/24"));
  const v1::Port pxe = CreatePort(
      kAcme, front, "pxe-1",
      {.extra_dhcp_options = {{"bootfile_name", "pxelinux.0"}, {"next_server", "10.0.1.20"}}});
  const v1::Port plain = CreatePort(kAcme, front, "web-1");
  std::unique_ptr<testing::VmNamespace> booting = StartBareVm("d1", pxe);
  std::unique_ptr<testing::VmNamespace> other = StartBareVm("d2", plain);
  ASSERT_TRUE(booting && other);

  absl::StatusOr<std::map<std::string, std::string>> offer = booting->RunDhcpClient();
  ASSERT_TRUE(offer.ok()) << offer.status() << Diagnostics();
  std::map<std::string, std::string>& o = *offer;
  EXPECT_EQ(o["bootfile"], "pxelinux.0") << "option 67, unquoted on the wire";
  EXPECT_EQ(o["siaddr"], "10.0.1.20") << "the header's next server";
  // Everything else is still the subnet's.
  EXPECT_EQ(o["ip"], pxe.fixed_ips(0));
  EXPECT_EQ(o["router"], "10.0.1.1");
  EXPECT_EQ(o["dns"], "10.0.1.1");
  EXPECT_EQ(o["domain"], "front.shop.internal");
  EXPECT_EQ(o["hostname"], "pxe-1");

  absl::StatusOr<std::map<std::string, std::string>> plain_offer = other->RunDhcpClient();
  ASSERT_TRUE(plain_offer.ok()) << plain_offer.status() << Diagnostics();
  EXPECT_EQ(plain_offer->count("bootfile"), 0u) << (*plain_offer)["bootfile"];
  EXPECT_EQ(plain_offer->count("boot_file"), 0u);
  EXPECT_EQ(plain_offer->count("siaddr"), 0u) << (*plain_offer)["siaddr"];
  EXPECT_EQ((*plain_offer)["ip"], plain.fixed_ips(0));
  EXPECT_EQ((*plain_offer)["domain"], "front.shop.internal");
}

TEST_F(DhcpDnsTest, NoDhcpOnASubnetWithoutIt) {
  v1::Subnet spec = SubnetSpec(CreateVpc(kAcme, "shop", "10.0.0.0/16"), "static", "10.0.1.0/24");
  spec.set_dhcp_enabled(false);
  const v1::Subnet subnet = CreateSubnet(kAcme, spec);
  std::unique_ptr<testing::VmNamespace> vm = StartBareVm("d1", CreatePort(kAcme, subnet, "vm"));
  ASSERT_NE(vm, nullptr);
  absl::StatusOr<std::map<std::string, std::string>> offer = vm->RunDhcpClient(absl::Seconds(3));
  EXPECT_TRUE(absl::IsUnavailable(offer.status())) << "nobody may answer: " << offer.status();
}

TEST_F(DhcpDnsTest, VmsResolveNamesAcrossTheirVpcButNotAcrossVpcs) {
  const std::string shop = CreateVpc(kAcme, "shop", "10.0.0.0/16");
  const v1::Subnet front = CreateSubnet(kAcme, SubnetSpec(shop, "front", "10.0.1.0/24"));
  const v1::Subnet back = CreateSubnet(kAcme, SubnetSpec(shop, "back", "10.0.2.0/24"));
  const v1::Port web = CreatePort(kAcme, front, "web-1");
  const v1::Port db = CreatePort(kAcme, back, "db-1");
  // Another tenant, the same CIDR, a VM named like acme's.
  const std::string other = CreateVpc(kGlobex, "shop", "10.0.0.0/16");
  const v1::Subnet their_front = CreateSubnet(kGlobex, SubnetSpec(other, "front", "10.0.1.0/24"));
  const v1::Port theirs = CreatePort(kGlobex, their_front, "web-2");

  std::unique_ptr<testing::VmNamespace> a1 = StartVm("a1", web, front);
  std::unique_ptr<testing::VmNamespace> a2 = StartVm("a2", db, back);
  std::unique_ptr<testing::VmNamespace> g1 = StartVm("g1", theirs, their_front);
  ASSERT_TRUE(a1 && a2 && g1);

  const std::string db_ip = db.fixed_ips(0);
  EXPECT_TRUE(WaitResolves(*a1, "10.0.1.1", "db-1.back.shop.internal", db_ip)) << Diagnostics();
  EXPECT_TRUE(WaitResolves(*a2, "10.0.2.1", "web-1.front.shop.internal", web.fixed_ips(0)));
  EXPECT_TRUE(WaitResolves(*a1, "10.0.1.1", db_ip, "db-1.back.shop.internal.", "PTR"));
  // The other VPC has names of its own and none of acme's.
  EXPECT_TRUE(WaitResolves(*g1, "10.0.1.1", "web-2.front.shop.internal", theirs.fixed_ips(0)));
  EXPECT_EQ(Resolve(*g1, "10.0.1.1", "db-1.back.shop.internal"), "");
  EXPECT_EQ(Resolve(*g1, "10.0.1.1", "web-1.front.shop.internal"), "");
  EXPECT_EQ(Resolve(*a1, "10.0.1.1", "web-2.front.shop.internal"), "");

  // A group without egress rules still resolves: DNS to the subnet's resolver is let through
  // the default deny, as DHCP is.
  const std::string closed = CreateGroup(kAcme, "no-egress");
  for (const std::string& rule : RuleIds(kAcme, closed, "egress")) {
    RemoveRule(kAcme, closed, rule);
  }
  SetGroups(kAcme, web.metadata().id(), {closed});
  EXPECT_TRUE(WaitProbe(*a1, testing::Protocol::kTcp, db_ip, ""))
      << "egress is closed, so the probe must fail";
  EXPECT_EQ(Resolve(*a1, "10.0.1.1", "db-1.back.shop.internal"), db_ip) << Diagnostics();

  // A deleted port's name goes away.
  a2.reset();
  DeletePort(kAcme, db.metadata().id());
  EXPECT_TRUE(WaitResolves(*a1, "10.0.1.1", "db-1.back.shop.internal", ""));
}

TEST_F(DhcpDnsTest, TooBigForTheNextSubnetGetsFragmentationNeededFromTheRouter) {
  const std::string vpc = CreateVpc(kAcme, "shop", "10.0.0.0/16");
  const v1::Subnet wide = CreateSubnet(kAcme, SubnetSpec(vpc, "wide", "10.0.1.0/24"));
  v1::Subnet spec = SubnetSpec(vpc, "narrow", "10.0.2.0/24");
  spec.set_mtu(1300);
  const v1::Subnet narrow = CreateSubnet(kAcme, spec);
  VmPair pair = StartPair(wide, narrow);
  ASSERT_TRUE(pair.ready);
  const std::string target = pair.p2.fixed_ips(0);

  // 1,400 bytes of payload with DF set: 1,428 on the wire, more than narrow's 1,300.
  absl::StatusOr<testing::ProcessResult> big = pair.a1->Exec(
      {"ping", "-n", "-c", "1", "-W", "2", "-M", "do", "-s", "1400", target}, absl::Seconds(10));
  ASSERT_TRUE(big.ok());
  EXPECT_NE(big->exit_code, 0);
  EXPECT_THAT(big->stdout_text + big->stderr_text, HasSubstr("mtu = 1300"))
      << "the router must say how big a packet may be" << Diagnostics();
  // Path MTU discovery learnt it: the guest's own stack now refuses the big packet...
  absl::StatusOr<testing::ProcessResult> again = pair.a1->Exec(
      {"ping", "-n", "-c", "1", "-W", "2", "-M", "do", "-s", "1400", target}, absl::Seconds(10));
  ASSERT_TRUE(again.ok());
  EXPECT_THAT(again->stdout_text + again->stderr_text, HasSubstr("mtu=1300"));
  // ...and one that fits goes through.
  absl::StatusOr<testing::ProcessResult> fits = pair.a1->Exec(
      {"ping", "-n", "-c", "1", "-W", "2", "-M", "do", "-s", "1272", target}, absl::Seconds(10));
  ASSERT_TRUE(fits.ok());
  EXPECT_EQ(fits->exit_code, 0) << fits->stdout_text << fits->stderr_text;
}

TEST_F(DhcpDnsTest, SlaacGuestConfiguresTheAddressItsPortHolds) {
  v1::Subnet spec = SubnetSpec(CreateVpc(kAcme, "shop", "fd00:10::/48"), "v6", "fd00:10:0:1::/64");
  spec.set_ipv6_address_mode("slaac");
  const v1::Subnet subnet = CreateSubnet(kAcme, spec);
  const v1::Port p1 = CreatePort(kAcme, subnet, "s1");
  const v1::Port p2 = CreatePort(kAcme, subnet, "s2");
  ASSERT_EQ(p1.fixed_ips_size(), 1);
  std::unique_ptr<testing::VmNamespace> s1 = StartBareVm("s1", p1);
  std::unique_ptr<testing::VmNamespace> s2 = StartBareVm("s2", p2);
  ASSERT_TRUE(s1 && s2);
  // The kernel builds its address from the router's advertisement: it must be the port's.
  WaitForGlobalAddress(*s1, p1.fixed_ips(0));
  WaitForGlobalAddress(*s2, p2.fixed_ips(0));
  // And port security lets it through: the two reach each other.
  EXPECT_TRUE(WaitReachable(*s1, p2.fixed_ips(0))) << Diagnostics();
}

TEST_F(DhcpDnsTest, Dhcpv6StatefulGuestGetsItsIpamAddressAndDnsServer) {
  v1::Subnet spec = SubnetSpec(CreateVpc(kAcme, "shop", "fd00:20::/48"), "v6", "fd00:20:0:1::/64");
  spec.add_dns_servers("fd00:20:0:1::53");
  const v1::Subnet subnet = CreateSubnet(kAcme, spec);  // dhcpv6-stateful by default
  const v1::Port port = CreatePort(kAcme, subnet, "d6");
  ASSERT_EQ(port.fixed_ips_size(), 1);
  std::unique_ptr<testing::VmNamespace> vm = StartBareVm("d6", port);
  ASSERT_NE(vm, nullptr);
  const std::string lease = RunDhclient6(*vm, {}, "iaaddr", /*stateless=*/false);
  EXPECT_THAT(lease, HasSubstr("iaaddr " + port.fixed_ips(0) + " "))
      << "exactly the address IPAM gave the port";
  EXPECT_THAT(lease, HasSubstr("dhcp6.name-servers fd00:20:0:1::53"));
  EXPECT_THAT(lease, HasSubstr("dhcp6.domain-search \"v6.shop.internal.\""));
}

TEST_F(DhcpDnsTest, Dhcpv6StatelessGuestTakesItsAddressBySlaacAndDnsByDhcpv6) {
  v1::Subnet spec = SubnetSpec(CreateVpc(kAcme, "shop", "fd00:30::/48"), "v6", "fd00:30:0:1::/64");
  spec.set_ipv6_address_mode("dhcpv6-stateless");
  spec.add_dns_servers("fd00:30:0:1::53");
  const v1::Subnet subnet = CreateSubnet(kAcme, spec);
  const v1::Port port = CreatePort(kAcme, subnet, "l6");
  std::unique_ptr<testing::VmNamespace> vm = StartBareVm("l6", port);
  ASSERT_NE(vm, nullptr);
  WaitForGlobalAddress(*vm, port.fixed_ips(0));
  // -S: an information request, no address.
  const std::string told = RunDhclient6(*vm, {"-S"}, "new_dhcp6_name_servers", /*stateless=*/true);
  EXPECT_THAT(told, HasSubstr("new_dhcp6_name_servers=fd00:30:0:1::53"));
  EXPECT_THAT(told, ::testing::Not(HasSubstr("new_ip6_address"))) << "stateless: no address";
}

}  // namespace
}  // namespace plasmanet::e2e
