// Updates: read-modify-write with etags, the same validation as creates, indexes kept right.

#include <absl/strings/str_cat.h>

#include "service/service_test_fixture.h"

namespace plasmanet::service {
namespace {

using ::plasmanet::testing::HasFieldError;
using ::plasmanet::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

using UpdateTest = ServiceTest;

TEST_F(UpdateTest, EtagGuardsAgainstLostUpdates) {
  model::Vpc vpc = MakeVpc(alice_);
  const std::string etag = absl::StrCat(vpc.meta.revision);
  absl::StatusOr<model::Vpc> renamed =
      svc().vpcs.Update(alice_, vpc.meta.id, etag,
                        {.meta = {.name = "prod", .labels = model::Labels{{"env", "prod"}}}});
  ASSERT_TRUE(renamed.ok()) << renamed.status();
  EXPECT_EQ(renamed->meta.name, "prod");
  EXPECT_GT(renamed->meta.revision, vpc.meta.revision);
  EXPECT_EQ(svc().vpcs.Get(alice_, vpc.meta.id)->meta.labels.at("env"), "prod");
  // The second writer still holds the old etag: refused, nothing changes.
  EXPECT_THAT(FailsWithoutChange([&] {
                return svc().vpcs.Update(alice_, vpc.meta.id, etag, {.meta = {.name = "staging"}});
              }),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("is stale")));
  EXPECT_TRUE(svc().vpcs.Update(alice_, vpc.meta.id, "", {.meta = {.name = "staging"}}).ok());
  EXPECT_THAT(FailsWithoutChange([&] {
                return svc().vpcs.Update(alice_, vpc.meta.id, "",
                                         {.meta = {.labels = model::Labels{{"bad key", ""}}}});
              }),
              HasFieldError(absl::StatusCode::kInvalidArgument, "vpc.labels[bad key]"));
  EXPECT_THAT(FailsWithoutChange([&] {
                return svc().vpcs.Update(bob_, vpc.meta.id, "", {.meta = {.name = "x"}});
              }),
              HasFieldError(absl::StatusCode::kNotFound, "vpc_id"));
  EXPECT_THAT(FailsWithoutChange([&] {
                return svc().vpcs.Update(rita_, vpc.meta.id, "", {.meta = {.name = "x"}});
              }),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("may not change")));
}

TEST_F(UpdateTest, SubnetDnsAndDhcp) {
  model::Vpc vpc = MakeVpc(alice_);
  model::Subnet subnet = MakeSubnet(alice_, vpc.meta.id, "10.0.1.0/24");
  absl::StatusOr<model::Subnet> updated = svc().subnets.Update(
      alice_, subnet.meta.id, "",
      {.dhcp_enabled = false, .dns_servers = std::vector<std::string>{"10.0.0.2", "fd00::53"}});
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_FALSE(updated->dhcp_enabled);
  EXPECT_EQ(updated->dns_servers.size(), 2u);
  EXPECT_EQ(updated->ipv4->cidr, subnet.ipv4->cidr);
  EXPECT_THAT(FailsWithoutChange([&] {
                return svc().subnets.Update(alice_, subnet.meta.id, "",
                                            {.dns_servers = std::vector<std::string>{"x"}});
              }),
              HasFieldError(absl::StatusCode::kInvalidArgument, "subnet.dns_servers[0]"));
}

TEST_F(UpdateTest, PortGroupsMoveAndTheIndexFollows) {
  model::Vpc vpc = MakeVpc(alice_);
  model::Subnet subnet = MakeSubnet(alice_, vpc.meta.id, "10.0.1.0/24");
  model::SecurityGroup web = *svc().security_groups.Create(alice_, {.name = "web"});
  model::SecurityGroup db = *svc().security_groups.Create(alice_, {.name = "db"});
  absl::StatusOr<model::Port> port = svc().ports.Create(
      alice_,
      {.subnet_id = subnet.meta.id, .security_group_ids = std::vector<std::string>{web.meta.id}});
  ASSERT_TRUE(port.ok());

  absl::StatusOr<model::Port> moved = svc().ports.Update(
      alice_, port->meta.id, "",
      {.security_group_ids = std::vector<std::string>{db.meta.id}, .device_id = "vm-9"});
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_THAT(moved->security_group_ids, ElementsAre(db.meta.id));
  EXPECT_EQ(moved->device_id, "vm-9");
  EXPECT_EQ(moved->fixed_ips, port->fixed_ips);
  // The port left "web" (now deletable) and joined "db" (now pinned).
  EXPECT_TRUE(svc().security_groups.Delete(alice_, web.meta.id).ok());
  EXPECT_THAT(svc().security_groups.Delete(alice_, db.meta.id),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("member ports")));

  EXPECT_THAT(FailsWithoutChange([&] {
                return svc().ports.Update(alice_, port->meta.id, "",
                                          {.port_security_enabled = false});
              }),
              HasFieldError(absl::StatusCode::kInvalidArgument, "port.security_group_ids"));
  absl::StatusOr<model::Port> open = svc().ports.Update(
      alice_, port->meta.id, "",
      {.security_group_ids = std::vector<std::string>{}, .port_security_enabled = false});
  ASSERT_TRUE(open.ok()) << open.status();
  EXPECT_FALSE(open->port_security_enabled);
  EXPECT_TRUE(svc().security_groups.Delete(alice_, db.meta.id).ok());

  model::SecurityGroup foreign = *svc().security_groups.Create(bob_, {.name = "theirs"});
  EXPECT_THAT(FailsWithoutChange([&] {
                return svc().ports.Update(
                    alice_, port->meta.id, "",
                    {.security_group_ids = std::vector<std::string>{foreign.meta.id},
                     .port_security_enabled = true});
              }),
              HasFieldError(absl::StatusCode::kNotFound, "port.security_group_ids[0]"));
}

TEST_F(UpdateTest, PortExtraDhcpOptionsAreReplacedWholeAndCheckedAsOnCreate) {
  model::Vpc vpc = MakeVpc(alice_);
  model::Subnet subnet = MakeSubnet(alice_, vpc.meta.id, "10.0.1.0/24");
  absl::StatusOr<model::Port> port = svc().ports.Create(
      alice_,
      {.subnet_id = subnet.meta.id,
       .extra_dhcp_options = {{"bootfile_name", "pxelinux.0"}, {"next_server", "10.0.1.20"}}});
  ASSERT_TRUE(port.ok()) << port.status();
  EXPECT_EQ(svc().ports.Get(alice_, port->meta.id)->extra_dhcp_options.size(), 2u);

  absl::StatusOr<model::Port> moved =
      svc().ports.Update(alice_, port->meta.id, "",
                         {.extra_dhcp_options = model::DhcpOptionMap{{"ntp_server", "10.0.0.1"}}});
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->extra_dhcp_options, (model::DhcpOptionMap{{"ntp_server", "10.0.0.1"}}))
      << "the whole map is replaced";
  absl::StatusOr<model::Port> renamed =
      svc().ports.Update(alice_, port->meta.id, "", {.meta = {.name = "pxe"}});
  ASSERT_TRUE(renamed.ok()) << renamed.status();
  EXPECT_EQ(renamed->extra_dhcp_options.size(), 1u) << "an update without them keeps them";

  EXPECT_THAT(FailsWithoutChange([&] {
                return svc().ports.Update(
                    alice_, port->meta.id, "",
                    {.extra_dhcp_options = model::DhcpOptionMap{{"router", "10.0.1.9"}}});
              }),
              HasFieldError(absl::StatusCode::kInvalidArgument, "port.extra_dhcp_options[router]"));
  absl::StatusOr<model::Port> cleared =
      svc().ports.Update(alice_, port->meta.id, "", {.extra_dhcp_options = model::DhcpOptionMap{}});
  ASSERT_TRUE(cleared.ok()) << cleared.status();
  EXPECT_TRUE(svc().ports.Get(alice_, port->meta.id)->extra_dhcp_options.empty());
}

TEST_F(UpdateTest, TheDefaultNameStaysWithTheDefaultGroup) {
  model::SecurityGroup g = *svc().security_groups.Create(alice_, {.name = "web"});
  EXPECT_THAT(FailsWithoutChange([&] {
                return svc().security_groups.Update(alice_, g.meta.id, "",
                                                    {.meta = {.name = "default"}});
              }),
              HasFieldError(absl::StatusCode::kInvalidArgument, "security_group.name"));
  absl::StatusOr<model::SecurityGroup> described =
      svc().security_groups.Update(alice_, g.meta.id, "", {.description = "front end"});
  ASSERT_TRUE(described.ok());
  EXPECT_EQ(described->description, "front end");
  EXPECT_EQ(described->rules.size(), 2u);
}

TEST_F(UpdateTest, FloatingIpAssociateMoveDisassociate) {
  model::ExternalNetwork net = *svc().external_networks.Create(
      admin_, {.cidr = "203.0.113.0/24", .gateway_ip = "203.0.113.1", .physical_network = "p"});
  model::Vpc vpc = MakeVpc(alice_);
  model::Subnet subnet = MakeSubnet(alice_, vpc.meta.id, "10.0.1.0/24");
  AttachGateway(alice_, vpc.meta.id, net.meta.id);
  model::Port a = MakePort(alice_, subnet.meta.id);
  model::Port b = MakePort(alice_, subnet.meta.id);
  model::FloatingIp fip = *svc().floating_ips.Create(alice_, {.external_network_id = net.meta.id});
  model::FloatingIp other =
      *svc().floating_ips.Create(alice_, {.external_network_id = net.meta.id});

  absl::StatusOr<model::FloatingIp> on_a =
      svc().floating_ips.Update(alice_, fip.meta.id, "", {.port_id = a.meta.id});
  ASSERT_TRUE(on_a.ok()) << on_a.status();
  EXPECT_EQ(on_a->fixed_ip->ToString(), "10.0.1.2");
  EXPECT_THAT(FailsWithoutChange([&] {
                return svc().floating_ips.Update(alice_, other.meta.id, "", {.port_id = a.meta.id});
              }),
              HasFieldError(absl::StatusCode::kAlreadyExists, "floating_ip.port_id"));
  absl::StatusOr<model::FloatingIp> on_b =
      svc().floating_ips.Update(alice_, fip.meta.id, "", {.port_id = b.meta.id});
  ASSERT_TRUE(on_b.ok()) << on_b.status();
  EXPECT_EQ(on_b->port_id, b.meta.id);
  // Port a is free again.
  EXPECT_TRUE(svc().floating_ips.Update(alice_, other.meta.id, "", {.port_id = a.meta.id}).ok());
  absl::StatusOr<model::FloatingIp> off =
      svc().floating_ips.Update(alice_, fip.meta.id, "", {.port_id = ""});
  ASSERT_TRUE(off.ok()) << off.status();
  EXPECT_TRUE(off->port_id.empty());
  EXPECT_FALSE(off->fixed_ip.has_value());
  model::Vpc bob_vpc = MakeVpc(bob_);
  model::Port bobs = MakePort(bob_, MakeSubnet(bob_, bob_vpc.meta.id, "10.0.1.0/24").meta.id);
  EXPECT_THAT(FailsWithoutChange([&] {
                return svc().floating_ips.Update(alice_, fip.meta.id, "",
                                                 {.port_id = bobs.meta.id});
              }),
              HasFieldError(absl::StatusCode::kNotFound, "floating_ip.port_id"));
}

}  // namespace
}  // namespace plasmanet::service
