#include "reconcile/model_cache.h"

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

}  // namespace
}  // namespace plasmanet::reconcile
