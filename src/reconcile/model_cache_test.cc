#include "reconcile/model_cache.h"

#include <algorithm>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/ip_address.h"
#include "common/ip_prefix.h"

namespace plasmanet::reconcile {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

const OwnerRef kVpc{OwnerRef::Kind::kVpc, "v-1"};
const OwnerRef kSubnet{OwnerRef::Kind::kSubnet, "s-1"};
const OwnerRef kPxePort{OwnerRef::Kind::kPort, "p-pxe"};
const OwnerRef kPlainPort{OwnerRef::Kind::kPort, "p-plain"};

// A cache holding VPC "shop", its subnet "front" with DHCP, a port with extra DHCP options
// and one without: which owners each change reaches.
class ModelCacheTest : public ::testing::Test {
 protected:
  ModelCacheTest() : cache_(CompileOptions{.dns_zone = "cloud", .dhcp_lease_seconds = 600}) {
    vpc_.meta = {.id = "v-1", .name = "shop"};
    subnet_.meta = {.id = "s-1", .name = "front"};
    subnet_.vpc_id = "v-1";
    subnet_.ipv4 = model::SubnetFamily{.cidr = *IpPrefix::Parse("10.0.1.0/24"),
                                       .gateway = *IpAddress::Parse("10.0.1.1")};
    pxe_ = Port("p-pxe", "10.0.1.5");
    pxe_.extra_dhcp_options = {{"bootfile_name", "pxelinux.0"}};
    plain_ = Port("p-plain", "10.0.1.6");
    Apply(kVpc, vpc_);
    Apply(kSubnet, subnet_);
    Apply(kPxePort, pxe_);
    Apply(kPlainPort, plain_);
  }

  static model::Port Port(const std::string& id, const std::string& ip) {
    return {.meta = {.id = id, .name = id},
            .subnet_id = "s-1",
            .vpc_id = "v-1",
            .mac = *MacAddress::Parse("fa:16:3e:00:00:05"),
            .fixed_ips = {*IpAddress::Parse(ip)}};
  }

  template <typename T>
  std::vector<OwnerRef> Apply(const OwnerRef& owner, T object) {
    object.meta.revision = ++revision_;
    return cache_.Apply({.owner = owner, .mod_revision = revision_, .object = std::move(object)});
  }

  ModelCache cache_;
  int64_t revision_ = 0;
  model::Vpc vpc_;
  model::Subnet subnet_;
  model::Port pxe_, plain_;
};

TEST_F(ModelCacheTest, SubnetDhcpSettingsReachOnlyThePortsWithTheirOwnDhcpRow) {
  model::Subnet changed = subnet_;
  changed.dns_servers = {*IpAddress::Parse("10.0.1.53")};
  EXPECT_THAT(Apply(kSubnet, changed), ElementsAre(kSubnet, kPxePort));
  changed.mtu = 1400;
  EXPECT_THAT(Apply(kSubnet, changed), ElementsAre(kSubnet, kPxePort));
  changed.host_routes = {{*IpPrefix::Parse("192.168.0.0/16"), *IpAddress::Parse("10.0.1.9")}};
  EXPECT_THAT(Apply(kSubnet, changed), ElementsAre(kSubnet, kPxePort));
  changed.meta.name = "back";  // the search domain; the subnet's own DNS records spell it too
  EXPECT_THAT(Apply(kSubnet, changed), UnorderedElementsAre(kSubnet, kPxePort));

  // What no DHCP option copies reaches no port.
  changed.meta.labels = {{"env", "prod"}};
  EXPECT_THAT(Apply(kSubnet, changed), ElementsAre(kSubnet));
  // DHCP off takes every port's reference away.
  changed.dhcp_enabled = false;
  EXPECT_THAT(Apply(kSubnet, changed), UnorderedElementsAre(kSubnet, kPxePort, kPlainPort));
}

TEST_F(ModelCacheTest, VpcRenameReachesItsSubnetsAndTheirPortsWithTheirOwnDhcpRow) {
  model::Vpc renamed = vpc_;
  renamed.meta.name = "store";
  EXPECT_THAT(Apply(kVpc, renamed), ElementsAre(kVpc, kSubnet, kPxePort));
}

TEST_F(ModelCacheTest, PortChangesStayWithThePort) {
  model::Port active = pxe_;
  active.status = model::PortStatus::kActive;
  EXPECT_THAT(Apply(kPxePort, active), ElementsAre(kPxePort));
  active.extra_dhcp_options.clear();
  EXPECT_THAT(Apply(kPxePort, active), ElementsAre(kPxePort)) << "its own row goes with it";
}

TEST_F(ModelCacheTest, NamesLiveInTheSubnetsDnsRowWhichEverySwitchOfTheVpcReads) {
  // A renamed port rewrites its subnet's records, nothing else of the VPC.
  model::Port renamed = plain_;
  renamed.meta.name = "web";
  EXPECT_THAT(Apply(kPlainPort, renamed), UnorderedElementsAre(kPlainPort, kSubnet));
  std::vector<DesiredRow> rows = cache_.Compile(kSubnet);
  ASSERT_EQ(rows[0].table, NbTable::kDns);
  std::map<std::string, std::string> records = rows[0].columns.at("records").AsStringMap();
  EXPECT_EQ(records["web.front.shop.cloud"], "10.0.1.6");
  EXPECT_EQ(records["6.1.0.10.in-addr.arpa"], "web.front.shop.cloud");

  // A second subnet: the first one's switch now reads its names too, and the other way round.
  model::Subnet back = subnet_;
  back.meta = {.id = "s-2", .name = "back"};
  back.ipv4 = model::SubnetFamily{.cidr = *IpPrefix::Parse("10.0.2.0/24"),
                                  .gateway = *IpAddress::Parse("10.0.2.1")};
  const OwnerRef kBack{OwnerRef::Kind::kSubnet, "s-2"};
  EXPECT_THAT(Apply(kBack, back), ::testing::Contains(kSubnet));
  const RowRef own{NbTable::kDns, "pn-dns-s-1"}, sibling{NbTable::kDns, "pn-dns-s-2"};
  EXPECT_THAT(cache_.Compile(kSubnet)[1].refs.at("dns_records"), ElementsAre(own, sibling));
  EXPECT_THAT(cache_.Compile(kBack)[1].refs.at("dns_records"), ElementsAre(sibling, own));
  EXPECT_THAT(cache_.Apply({.owner = kBack, .mod_revision = ++revision_}),
              ::testing::Contains(kSubnet))
      << "a subnet that goes leaves its siblings' switches";
  EXPECT_THAT(cache_.Compile(kSubnet)[1].refs.at("dns_records"), ElementsAre(own));
}

TEST_F(ModelCacheTest, APortsOwnDhcpRowUsesTheCachesOptionsAndVpc) {
  const std::vector<DesiredRow> rows = cache_.Compile(kPxePort);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].name, "pn-dhcp4-port-p-pxe");
  std::map<std::string, std::string> o = rows[0].columns.at("options").AsStringMap();
  EXPECT_EQ(o["domain_name"], "\"front.shop.cloud\"");
  EXPECT_EQ(o["lease_time"], "600");
  EXPECT_EQ(o["bootfile_name"], "\"pxelinux.0\"");
  EXPECT_EQ(cache_.Compile(kPlainPort).size(), 1u);
}

const OwnerRef kNetwork{OwnerRef::Kind::kExternalNetwork, "n-1"};
const OwnerRef kOtherNetwork{OwnerRef::Kind::kExternalNetwork, "n-2"};
const OwnerRef kFip{OwnerRef::Kind::kFloatingIp, "f-1"};

model::ExternalNetwork Network(const std::string& id, const std::string& physnet) {
  return {.meta = {.id = id, .name = "public"},
          .cidr = *IpPrefix::Parse("203.0.113.0/24"),
          .gateway_ip = *IpAddress::Parse("203.0.113.1"),
          .physical_network = physnet};
}

// The fixture's VPC with a gateway on `network_id`.
class GatewayCacheTest : public ModelCacheTest {
 protected:
  GatewayCacheTest() {
    network_ = Network("n-1", "physnet1");
    EXPECT_THAT(Apply(kNetwork, network_), ElementsAre(kNetwork)) << "no gateway on it yet";
    EXPECT_THAT(Attach("n-1"), ElementsAre(kVpc));
  }

  std::vector<OwnerRef> Attach(const std::string& network_id) {
    gateway_vpc_ = vpc_;
    gateway_vpc_.cidr_blocks = {*IpPrefix::Parse("10.0.0.0/16")};
    gateway_vpc_.gateway = model::VpcGateway{.external_network_id = network_id,
                                             .external_ip = *IpAddress::Parse("203.0.113.10")};
    return Apply(kVpc, gateway_vpc_);
  }

  static bool HasTable(const std::vector<DesiredRow>& rows, NbTable table) {
    return std::any_of(rows.begin(), rows.end(),
                       [&](const DesiredRow& row) { return row.table == table; });
  }

  model::ExternalNetwork network_;
  model::Vpc gateway_vpc_;
};

TEST_F(GatewayCacheTest, ANetworkChangeReachesItsGatewaysOnlyWhenTheirRowsCopyIt) {
  model::ExternalNetwork changed = network_;
  changed.gateway_ip = *IpAddress::Parse("203.0.113.254");
  EXPECT_THAT(Apply(kNetwork, changed), ElementsAre(kNetwork, kVpc));
  const std::vector<DesiredRow> rows = cache_.Compile(kVpc);
  const auto fallback = std::find_if(rows.begin(), rows.end(), [](const DesiredRow& row) {
    return row.name == "pn-route-v-1-default";
  });
  ASSERT_NE(fallback, rows.end());
  EXPECT_EQ(fallback->columns.at("nexthop").AsString(), "203.0.113.254");

  changed.meta.name = "renamed";
  changed.meta.labels = {{"tier", "gold"}};
  EXPECT_THAT(Apply(kNetwork, changed), ElementsAre(kNetwork)) << "no gateway row holds the name";
  changed.physical_network = "physnet2";
  EXPECT_THAT(Apply(kNetwork, changed), ElementsAre(kNetwork, kVpc));
  changed.cidr = *IpPrefix::Parse("203.0.112.0/23");
  EXPECT_THAT(Apply(kNetwork, changed), ElementsAre(kNetwork, kVpc)) << "the port's prefix length";
}

TEST_F(GatewayCacheTest, GatewayChassisChangesReachTheVpcsOnThatPhysicalNetworkOnce) {
  EXPECT_FALSE(HasTable(cache_.Compile(kVpc), NbTable::kHaChassis)) << "no chassis known yet";
  EXPECT_THAT(cache_.SetGatewayChassis({{"physnet1", {"c1"}}}), ElementsAre(kVpc));
  EXPECT_THAT(cache_.SetGatewayChassis({{"physnet1", {"c1"}}}), ::testing::IsEmpty());
  const std::vector<DesiredRow> rows = cache_.Compile(kVpc);
  const auto chassis = std::find_if(rows.begin(), rows.end(), [](const DesiredRow& row) {
    return row.table == NbTable::kHaChassis;
  });
  ASSERT_NE(chassis, rows.end());
  EXPECT_EQ(chassis->columns.at("chassis_name").AsString(), "c1");
  EXPECT_TRUE(HasTable(rows, NbTable::kHaChassisGroup));

  // The same set in another order is no change; another network's chassis are none of its.
  EXPECT_THAT(cache_.SetGatewayChassis({{"physnet1", {"c2", "c1"}}}), ElementsAre(kVpc));
  EXPECT_THAT(cache_.SetGatewayChassis({{"physnet1", {"c1", "c2"}}}), ::testing::IsEmpty());
  EXPECT_THAT(cache_.SetGatewayChassis({{"physnet1", {"c1", "c2"}}, {"physnet9", {"c9"}}}),
              ::testing::IsEmpty());
  // Its chassis gone: the VPC loses its HA rows.
  EXPECT_THAT(cache_.SetGatewayChassis({{"physnet9", {"c9"}}}), ElementsAre(kVpc));
  EXPECT_FALSE(HasTable(cache_.Compile(kVpc), NbTable::kHaChassis));
}

TEST_F(GatewayCacheTest, AMovedOrClearedGatewayFollowsItsNewNetworkOnly) {
  EXPECT_THAT(Apply(kOtherNetwork, Network("n-2", "physnet2")), ElementsAre(kOtherNetwork));
  EXPECT_THAT(Attach("n-2"), ElementsAre(kVpc));
  model::ExternalNetwork changed = network_;
  changed.gateway_ip = *IpAddress::Parse("203.0.113.254");
  EXPECT_THAT(Apply(kNetwork, changed), ElementsAre(kNetwork)) << "the VPC left n-1";
  EXPECT_THAT(cache_.SetGatewayChassis({{"physnet1", {"c1"}}}), ::testing::IsEmpty());
  EXPECT_THAT(cache_.SetGatewayChassis({{"physnet1", {"c1"}}, {"physnet2", {"c2"}}}),
              ElementsAre(kVpc));

  model::Vpc cleared = gateway_vpc_;
  cleared.gateway.reset();
  EXPECT_THAT(Apply(kVpc, cleared), ElementsAre(kVpc));
  model::ExternalNetwork other = Network("n-2", "physnet2");
  other.gateway_ip = *IpAddress::Parse("203.0.113.254");
  EXPECT_THAT(Apply(kOtherNetwork, other), ElementsAre(kOtherNetwork));
  EXPECT_THAT(cache_.SetGatewayChassis({}), ::testing::IsEmpty());
  EXPECT_FALSE(HasTable(cache_.Compile(kVpc), NbTable::kLogicalRouterPort));
}

TEST_F(GatewayCacheTest, TheGatewayWaitsForItsNetworkAndGoesWithIt) {
  // Deleted: the VPC keeps its router, without gateway rows.
  EXPECT_THAT(cache_.Apply({.owner = kNetwork, .mod_revision = ++revision_}),
              ElementsAre(kNetwork, kVpc));
  EXPECT_TRUE(cache_.Compile(kNetwork).empty());
  std::vector<DesiredRow> rows = cache_.Compile(kVpc);
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows[0].table, NbTable::kLogicalRouter);
  EXPECT_FALSE(HasTable(rows, NbTable::kLogicalRouterPort));
  EXPECT_FALSE(HasTable(rows, NbTable::kNat));

  // Back (a snapshot may bring the VPC before its network): the VPC gets its gateway again.
  EXPECT_THAT(Apply(kNetwork, network_), ElementsAre(kNetwork, kVpc));
  rows = cache_.Compile(kVpc);
  EXPECT_TRUE(HasTable(rows, NbTable::kLogicalRouterPort));
  EXPECT_TRUE(HasTable(rows, NbTable::kNat));
  EXPECT_EQ(cache_.Compile(kNetwork).size(), 2u) << "switch and localnet port";
}

TEST_F(GatewayCacheTest, DeletingANetworkTheCacheNeverSawIsHarmless) {
  // A watch replaying a delete from before the snapshot: nothing to do, and no crash.
  const OwnerRef unknown{OwnerRef::Kind::kExternalNetwork, "n-9"};
  EXPECT_THAT(cache_.Apply({.owner = unknown, .mod_revision = ++revision_}), ElementsAre(unknown));
  EXPECT_TRUE(cache_.Compile(unknown).empty());
}

TEST_F(GatewayCacheTest, FloatingIpsCompileFromTheCacheAndAreOwners) {
  model::FloatingIp fip{.meta = {.id = "f-1", .name = "web"},
                        .external_network_id = "n-1",
                        .address = *IpAddress::Parse("203.0.113.50")};
  EXPECT_THAT(Apply(kFip, fip), ElementsAre(kFip));
  EXPECT_TRUE(cache_.Compile(kFip).empty()) << "not associated: no NAT";
  fip.port_id = "p-plain";
  fip.fixed_ip = *IpAddress::Parse("10.0.1.6");
  fip.vpc_id = "v-1";
  EXPECT_THAT(Apply(kFip, fip), ElementsAre(kFip));
  const std::vector<DesiredRow> rows = cache_.Compile(kFip);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].table, NbTable::kNat);
  EXPECT_EQ(rows[0].parent, RouterName("v-1"));
  EXPECT_EQ(rows[0].columns.at("logical_ip").AsString(), "10.0.1.6");
  EXPECT_EQ(rows[0].columns.at("logical_port").AsString(), "p-plain");

  EXPECT_THAT(cache_.Owners(), ::testing::IsSupersetOf({kNetwork, kVpc, kFip}));
  EXPECT_EQ(cache_.Owners().size(), cache_.size());

  EXPECT_THAT(cache_.Apply({.owner = kFip, .mod_revision = ++revision_}), ElementsAre(kFip));
  EXPECT_TRUE(cache_.Compile(kFip).empty());
  EXPECT_THAT(cache_.Owners(), ::testing::Not(::testing::Contains(kFip)));
}

}  // namespace
}  // namespace plasmanet::reconcile
