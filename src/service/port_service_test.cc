#include "service/port_service.h"

#include "service/service_test_fixture.h"

namespace plasmanet::service {
namespace {

using ::plasmanet::testing::HasFieldError;
using ::plasmanet::testing::IsOk;
using ::plasmanet::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

class PortServiceTest : public ServiceTest {
 protected:
  void SetUp() override {
    vpc_ = MakeVpc(alice_, {"10.0.0.0/16", "fd00:10::/48"});
    subnet_ = MakeSubnet(alice_, vpc_.meta.id, "10.0.1.0/24");
  }
  std::vector<std::string> Ips(const model::Port& p) {
    std::vector<std::string> out;
    for (const IpAddress& ip : p.fixed_ips) out.push_back(ip.ToString());
    return out;
  }
  model::Vpc vpc_;
  model::Subnet subnet_;
};

TEST_F(PortServiceTest, AllocatesFromThePoolInOrderWithGeneratedMac) {
  model::Port a = MakePort(alice_, subnet_.meta.id);
  model::Port b = MakePort(alice_, subnet_.meta.id);
  EXPECT_THAT(Ips(a), ElementsAre("10.0.1.2"));  // .0 network, .1 gateway
  EXPECT_THAT(Ips(b), ElementsAre("10.0.1.3"));
  EXPECT_TRUE(a.mac.is_locally_administered());
  EXPECT_FALSE(a.mac.is_multicast());
  EXPECT_NE(a.mac, b.mac);
  EXPECT_EQ(a.status, model::PortStatus::kDown);
  EXPECT_EQ(a.vpc_id, vpc_.meta.id);
  absl::StatusOr<model::Port> got = svc().ports.Get(alice_, a.meta.id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->mac, a.mac);
  EXPECT_EQ(got->fixed_ips, a.fixed_ips);
}

TEST_F(PortServiceTest, DualStackPortGetsOneAddressOfEachFamily) {
  model::Subnet dual = MakeSubnet(alice_, vpc_.meta.id, "10.0.2.0/24", "fd00:10:0:2::/64");
  model::Port p = MakePort(alice_, dual.meta.id);
  EXPECT_THAT(Ips(p), ElementsAre("10.0.2.2", "fd00:10:0:2::2"));
}

TEST_F(PortServiceTest, RequestedAddressAndMacAreHonouredAndUnique) {
  absl::StatusOr<model::Port> p = svc().ports.Create(alice_, {.subnet_id = subnet_.meta.id,
                                                              .mac_address = "02:aa:00:00:00:01",
                                                              .fixed_ips = {"10.0.1.77"}});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(Ips(*p), ElementsAre("10.0.1.77"));
  EXPECT_EQ(p->mac.ToString(), "02:aa:00:00:00:01");

  EXPECT_THAT(FailsWithoutChange([&] {
                return svc().ports.Create(
                    alice_, {.subnet_id = subnet_.meta.id, .fixed_ips = {"10.0.1.77"}});
              }),
              HasFieldError(absl::StatusCode::kAlreadyExists, "port.fixed_ips[0]"));
  EXPECT_THAT(FailsWithoutChange([&] {
                return svc().ports.Create(
                    alice_, {.subnet_id = subnet_.meta.id, .mac_address = "02:AA:00:00:00:01"});
              }),
              HasFieldError(absl::StatusCode::kAlreadyExists, "port.mac_address"));
  // The same MAC on another segment is fine: uniqueness is per L2 segment.
  model::Subnet other = MakeSubnet(alice_, vpc_.meta.id, "10.0.3.0/24");
  EXPECT_TRUE(
      svc()
          .ports.Create(alice_, {.subnet_id = other.meta.id, .mac_address = "02:aa:00:00:00:01"})
          .ok());
  // A requested address is taken out of the pool too.
  std::set<std::string> seen;
  for (int i = 0; i < 80; ++i) {
    model::Port q = MakePort(alice_, subnet_.meta.id);
    EXPECT_NE(Ips(q)[0], "10.0.1.77");
  }
}

TEST_F(PortServiceTest, InvalidRequestsNameTheFieldAndChangeNothing) {
  EXPECT_THAT(FailsWithoutChange([&] {
                return svc().ports.Create(
                    alice_, {.subnet_id = subnet_.meta.id, .fixed_ips = {"10.0.2.5"}});
              }),
              HasFieldError(absl::StatusCode::kInvalidArgument, "port.fixed_ips[0]"));
  EXPECT_THAT(FailsWithoutChange(
                  [&] { return svc().ports.Create(alice_, {.subnet_id = "no-such-subnet"}); }),
              HasFieldError(absl::StatusCode::kNotFound, "port.subnet_id"));
  EXPECT_THAT(FailsWithoutChange([&] {
                return svc().ports.Create(alice_, {.subnet_id = subnet_.meta.id,
                                                   .security_group_ids = std::vector<std::string>{
                                                       "123e4567-e89b-42d3-a456-426614174000"}});
              }),
              HasFieldError(absl::StatusCode::kNotFound, "port.security_group_ids[0]"));
  EXPECT_THAT(
      FailsWithoutChange([&] { return svc().ports.Create(rita_, {.subnet_id = subnet_.meta.id}); }),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("may not change port")));
}

TEST_F(PortServiceTest, FullSubnetIsResourceExhaustedAndDeleteFreesAnAddress) {
  model::Subnet tiny = MakeSubnet(alice_, vpc_.meta.id, "10.0.9.0/29");  // .2-.6 allocatable
  std::vector<model::Port> ports;
  for (int i = 0; i < 5; ++i) ports.push_back(MakePort(alice_, tiny.meta.id));
  EXPECT_THAT(
      FailsWithoutChange([&] { return svc().ports.Create(alice_, {.subnet_id = tiny.meta.id}); }),
      StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("no free IPv4 address")));
  ASSERT_TRUE(svc().ports.Delete(alice_, ports[2].meta.id).ok());
  model::Port again = MakePort(alice_, tiny.meta.id);
  EXPECT_THAT(Ips(again), ElementsAre("10.0.9.4"));
}

TEST_F(PortServiceTest, AFullPoolRereadsTheStoreForAddressesAnotherServerFreed) {
  model::Subnet tiny = MakeSubnet(alice_, vpc_.meta.id, "10.0.9.0/29");  // .2-.6 allocatable
  std::vector<model::Port> ports;
  for (int i = 0; i < 5; ++i) ports.push_back(MakePort(alice_, tiny.meta.id));
  // A second server on the same store (several plasmanetd on etcd) frees one address; the
  // first one's allocator still holds it as used.
  Services second(*store_, clock_, std::nullopt, quotas_);
  ASSERT_THAT(second.ports.Delete(alice_, ports[3].meta.id), IsOk());
  // Within a second of its load a full pool answers at once, without reading the store...
  EXPECT_THAT(svc().ports.Create(alice_, {.subnet_id = tiny.meta.id}),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("no free IPv4 address")));
  // ...later it reads the store again before saying so, and finds the freed address.
  clock_.Advance(IpamRegistry::kRefreshInterval);
  absl::StatusOr<model::Port> port = svc().ports.Create(alice_, {.subnet_id = tiny.meta.id});
  ASSERT_THAT(port, IsOk());
  EXPECT_THAT(Ips(*port), ElementsAre("10.0.9.5"));
  EXPECT_THAT(svc().ports.Create(alice_, {.subnet_id = tiny.meta.id}),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("no free IPv4 address")));
}

TEST_F(PortServiceTest, ASubnetChangedOrDeletedByAnotherServerIsReadAgain) {
  // This server has read (and cached) the subnet by creating a port in it.
  model::Subnet subnet = MakeSubnet(alice_, vpc_.meta.id, "10.0.9.0/24");
  model::Port first = MakePort(alice_, subnet.meta.id);
  Services second(*store_, clock_, std::nullopt, quotas_);
  // Renamed elsewhere: the create goes through, on the subnet as it is now.
  ASSERT_THAT(second.subnets.Update(alice_, subnet.meta.id, "", {.meta = {.name = "renamed"}}),
              IsOk());
  absl::StatusOr<model::Port> after_rename =
      svc().ports.Create(alice_, {.subnet_id = subnet.meta.id});
  ASSERT_THAT(after_rename, IsOk());
  // Deleted elsewhere: the cached copy must not let a port into a subnet that is gone.
  for (const model::Port* port : {&first, &*after_rename}) {
    ASSERT_THAT(second.ports.Delete(alice_, port->meta.id), IsOk());
  }
  ASSERT_THAT(second.subnets.Delete(alice_, subnet.meta.id), IsOk());
  EXPECT_THAT(
      FailsWithoutChange([&] { return svc().ports.Create(alice_, {.subnet_id = subnet.meta.id}); }),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("port.subnet_id")));
}

TEST_F(PortServiceTest, ReleasedAddressIsReusedLast) {
  model::Port a = MakePort(alice_, subnet_.meta.id);  // .2
  MakePort(alice_, subnet_.meta.id);                  // .3
  ASSERT_TRUE(svc().ports.Delete(alice_, a.meta.id).ok());
  EXPECT_THAT(Ips(MakePort(alice_, subnet_.meta.id)), ElementsAre("10.0.1.4"));
}

TEST_F(PortServiceTest, AddressesSurviveRestart) {
  model::Port a = MakePort(alice_, subnet_.meta.id);
  model::Port b = MakePort(alice_, subnet_.meta.id);
  Reopen();
  model::Port c = MakePort(alice_, subnet_.meta.id);
  EXPECT_NE(c.fixed_ips, a.fixed_ips);
  EXPECT_NE(c.fixed_ips, b.fixed_ips);
  EXPECT_THAT(Ips(c), ElementsAre("10.0.1.4"));
}

TEST_F(PortServiceTest, DefaultGroupIsCreatedOnceAndUsed) {
  model::Port a = MakePort(alice_, subnet_.meta.id);
  model::Port b = MakePort(alice_, subnet_.meta.id);
  ASSERT_THAT(a.security_group_ids, SizeIs(1));
  EXPECT_EQ(a.security_group_ids, b.security_group_ids);
  absl::StatusOr<model::SecurityGroup> group =
      svc().security_groups.Get(alice_, a.security_group_ids[0]);
  ASSERT_TRUE(group.ok()) << group.status();
  EXPECT_TRUE(group->is_default);
  EXPECT_EQ(group->meta.name, "default");
  EXPECT_THAT(group->rules, SizeIs(4));

  absl::StatusOr<model::Port> none = svc().ports.Create(
      alice_, {.subnet_id = subnet_.meta.id, .security_group_ids = std::vector<std::string>{}});
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->security_group_ids.empty());
  absl::StatusOr<model::Port> open =
      svc().ports.Create(alice_, {.subnet_id = subnet_.meta.id, .port_security_enabled = false});
  ASSERT_TRUE(open.ok()) << open.status();
  EXPECT_TRUE(open->security_group_ids.empty());
}

TEST_F(PortServiceTest, AVanishedDefaultGroupIsNotUsedFromMemory) {
  // The first port creates the default group; the second finds it, and this server now
  // remembers it.
  MakePort(alice_, subnet_.meta.id);
  model::Port a = MakePort(alice_, subnet_.meta.id);
  const std::string first = a.security_group_ids.at(0);
  // The default group and its pointer removed behind the service's back (by hand, or by a
  // restore of an older store): the id this server remembers no longer names a group.
  ASSERT_THAT(
      store_->Commit({{},
                      {store::Op::Delete(keys::DefaultGroup({"acme", "web"})),
                       store::Op::Delete(keys::Object(auth::Kind::kSecurityGroup, first))}}),
      IsOk());
  model::Port b = MakePort(alice_, subnet_.meta.id);
  ASSERT_THAT(b.security_group_ids, SizeIs(1));
  EXPECT_NE(b.security_group_ids[0], first) << "the port joined a group that is gone";
  EXPECT_THAT(svc().security_groups.Get(alice_, b.security_group_ids[0]), IsOk());
}

TEST_F(PortServiceTest, DeleteFreesMacAndAddressKeys) {
  absl::StatusOr<model::Port> p = svc().ports.Create(alice_, {.subnet_id = subnet_.meta.id,
                                                              .mac_address = "02:00:00:00:00:05",
                                                              .fixed_ips = {"10.0.1.50"}});
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(svc().ports.Delete(alice_, p->meta.id).ok());
  EXPECT_THAT(svc().ports.Get(alice_, p->meta.id),
              HasFieldError(absl::StatusCode::kNotFound, "port_id"));
  EXPECT_TRUE(svc()
                  .ports
                  .Create(alice_, {.subnet_id = subnet_.meta.id,
                                   .mac_address = "02:00:00:00:00:05",
                                   .fixed_ips = {"10.0.1.50"}})
                  .ok());
  EXPECT_THAT(svc().ports.Delete(alice_, p->meta.id),
              HasFieldError(absl::StatusCode::kNotFound, "port_id"));
}

TEST_F(PortServiceTest, StatusReportsOfATermThatIsOverAreRefused) {
  model::Port port = MakePort(alice_, subnet_.meta.id);
  // A leader key as the election writes it; its create revision names the term.
  const std::string key = "/plasmanet/leader";
  absl::StatusOr<store::TxnResult> first = store_->Commit({{}, {store::Op::Put(key, "a")}});
  ASSERT_THAT(first, IsOk());
  const store::Compare first_term{key, false, store::Compare::Target::kCreateRevision,
                                  store::Compare::Op::kEqual, first->revision};
  ASSERT_THAT(
      svc().ports.RecordBinding(port.meta.id, model::PortStatus::kActive, "hv1", first_term),
      IsOk());
  EXPECT_EQ(svc().ports.Get(alice_, port.meta.id)->binding_chassis, "hv1");

  // The key went (lease expired) and another replica created it again: a new term.
  ASSERT_THAT(store_->Commit({{}, {store::Op::Delete(key)}}), IsOk());
  ASSERT_THAT(store_->Commit({{}, {store::Op::Put(key, "b")}}), IsOk());
  EXPECT_THAT(FailsWithoutChange([&] {
                return svc().ports.RecordBinding(port.meta.id, model::PortStatus::kDown, "",
                                                 first_term);
              }),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("another replica leads")));
  EXPECT_EQ(svc().ports.Get(alice_, port.meta.id)->binding_chassis, "hv1");
}

TEST_F(PortServiceTest, SubnetWithPortsCannotBeDeleted) {
  model::Port p = MakePort(alice_, subnet_.meta.id);
  EXPECT_THAT(FailsWithoutChange([&] { return svc().subnets.Delete(alice_, subnet_.meta.id); }),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("still has ports")));
  ASSERT_TRUE(svc().ports.Delete(alice_, p.meta.id).ok());
  EXPECT_TRUE(svc().subnets.Delete(alice_, subnet_.meta.id).ok());
}

TEST_F(PortServiceTest, ListFiltersByDeviceAndSubnet) {
  model::Subnet other = MakeSubnet(alice_, vpc_.meta.id, "10.0.5.0/24");
  ASSERT_TRUE(svc().ports.Create(alice_, {.subnet_id = subnet_.meta.id, .device_id = "vm-1"}).ok());
  ASSERT_TRUE(svc().ports.Create(alice_, {.subnet_id = other.meta.id, .device_id = "vm-1"}).ok());
  ASSERT_TRUE(svc().ports.Create(alice_, {.subnet_id = other.meta.id, .device_id = "vm-2"}).ok());
  EXPECT_THAT(svc().ports.List(alice_, {}, {.device_id = "vm-1"})->items, SizeIs(2));
  EXPECT_THAT(svc().ports.List(alice_, {}, {.subnet_id = other.meta.id})->items, SizeIs(2));
  EXPECT_THAT(svc().ports.List(alice_, {.page_size = 1}, {.device_id = "vm-2"})->items, SizeIs(1));
}

TEST_F(PortServiceTest, VmServiceCreatesPortsForAnyProject) {
  absl::StatusOr<model::Port> p =
      svc().ports.Create(vm_service_, {.subnet_id = subnet_.meta.id, .device_id = "vm-7"});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->meta.project_id, "web");
  EXPECT_TRUE(svc().ports.Get(alice_, p->meta.id).ok());
  EXPECT_TRUE(svc().ports.Delete(vm_service_, p->meta.id).ok());
}

}  // namespace
}  // namespace plasmanet::service
