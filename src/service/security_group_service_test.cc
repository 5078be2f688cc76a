#include "service/security_group_service.h"

#include "service/service_test_fixture.h"

namespace plasmanet::service {
namespace {

using ::plasmanet::testing::HasFieldError;
using ::plasmanet::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;

class SecurityGroupServiceTest : public ServiceTest {
 protected:
  model::SecurityGroup MakeGroup(const RequestContext& ctx, const std::string& name) {
    absl::StatusOr<model::SecurityGroup> g = svc().security_groups.Create(ctx, {.name = name});
    EXPECT_TRUE(g.ok()) << g.status();
    return g.ok() ? *g : model::SecurityGroup{};
  }
  model::SecurityGroupRuleSpec Ssh() {
    return {.direction = "ingress",
            .ethertype = "IPv4",
            .protocol = "tcp",
            .port_range_min = 22,
            .port_range_max = 22,
            .remote_ip_prefix = "192.0.2.0/24"};
  }
};

TEST_F(SecurityGroupServiceTest, NewGroupAllowsAllEgressOnly) {
  model::SecurityGroup g = MakeGroup(alice_, "web");
  ASSERT_THAT(g.rules, SizeIs(2));
  for (const model::SecurityGroupRule& r : g.rules) {
    EXPECT_EQ(r.direction, model::Direction::kEgress);
    EXPECT_TRUE(IsUuid(r.id));
  }
  EXPECT_FALSE(g.is_default);
  EXPECT_THAT(
      FailsWithoutChange([&] { return svc().security_groups.Create(alice_, {.name = "default"}); }),
      HasFieldError(absl::StatusCode::kInvalidArgument, "security_group.name"));
}

TEST_F(SecurityGroupServiceTest, RulesAreAddedRemovedAndDeduplicated) {
  model::SecurityGroup g = MakeGroup(alice_, "web");
  absl::StatusOr<model::SecurityGroup> with =
      svc().security_groups.AddRule(alice_, g.meta.id, Ssh());
  ASSERT_TRUE(with.ok()) << with.status();
  ASSERT_THAT(with->rules, SizeIs(3));
  EXPECT_GT(with->meta.revision, g.meta.revision);
  EXPECT_THAT(
      FailsWithoutChange([&] { return svc().security_groups.AddRule(alice_, g.meta.id, Ssh()); }),
      StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr(with->rules[2].id)));
  model::SecurityGroupRuleSpec bad = Ssh();
  bad.port_range_max = 70000;
  EXPECT_THAT(
      FailsWithoutChange([&] { return svc().security_groups.AddRule(alice_, g.meta.id, bad); }),
      HasFieldError(absl::StatusCode::kInvalidArgument, "rule.port_range_max"));

  absl::StatusOr<model::SecurityGroup> without =
      svc().security_groups.RemoveRule(alice_, g.meta.id, with->rules[2].id);
  ASSERT_TRUE(without.ok()) << without.status();
  EXPECT_THAT(without->rules, SizeIs(2));
  EXPECT_THAT(FailsWithoutChange(
                  [&] { return svc().security_groups.RemoveRule(alice_, g.meta.id, "nope"); }),
              HasFieldError(absl::StatusCode::kNotFound, "rule_id"));
}

TEST_F(SecurityGroupServiceTest, SeveralRulesAreAddedInOneTransactionAllOrNone) {
  model::SecurityGroup g = MakeGroup(alice_, "web");
  model::SecurityGroupRuleSpec http = Ssh();
  http.port_range_min = http.port_range_max = 80;
  absl::StatusOr<model::SecurityGroup> both =
      svc().security_groups.AddRules(alice_, g.meta.id, {Ssh(), http});
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_THAT(both->rules, SizeIs(4));
  EXPECT_EQ(both->meta.revision, Revision()) << "one transaction";

  // One bad rule refuses the whole call, naming which one; nothing is added.
  model::SecurityGroupRuleSpec bad = http;
  bad.port_range_min = 90;
  bad.port_range_max = 70;
  model::SecurityGroupRuleSpec https = Ssh();
  https.port_range_min = https.port_range_max = 443;
  EXPECT_THAT(FailsWithoutChange([&] {
                return svc().security_groups.AddRules(alice_, g.meta.id, {https, bad});
              }),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("rules[1]: ")));
  EXPECT_THAT(
      FailsWithoutChange([&] {
        return svc().security_groups.AddRules(alice_, g.meta.id, {https, https});
      }),
      StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("rules[1]: the same rule as rules[0]")));
  EXPECT_THAT(FailsWithoutChange([&] {
                return svc().security_groups.AddRules(alice_, g.meta.id, {https, Ssh()});
              }),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("rules[1]: ")));
  EXPECT_THAT(
      FailsWithoutChange([&] { return svc().security_groups.AddRules(alice_, g.meta.id, {}); }),
      HasFieldError(absl::StatusCode::kInvalidArgument, "rule"));
}

TEST_F(SecurityGroupServiceTest, RemoteGroupMustBeOfTheSameProjectAndPinsIt) {
  model::SecurityGroup web = MakeGroup(alice_, "web");
  model::SecurityGroup db = MakeGroup(alice_, "db");
  model::SecurityGroup foreign = MakeGroup(bob_, "theirs");
  model::SecurityGroupRuleSpec from_web{.direction = "ingress",
                                        .ethertype = "IPv4",
                                        .protocol = "tcp",
                                        .port_range_min = 5432,
                                        .port_range_max = 5432,
                                        .remote_group_id = web.meta.id};
  absl::StatusOr<model::SecurityGroup> with =
      svc().security_groups.AddRule(alice_, db.meta.id, from_web);
  ASSERT_TRUE(with.ok()) << with.status();

  model::SecurityGroupRuleSpec from_foreign = from_web;
  from_foreign.remote_group_id = foreign.meta.id;
  EXPECT_THAT(FailsWithoutChange(
                  [&] { return svc().security_groups.AddRule(alice_, db.meta.id, from_foreign); }),
              HasFieldError(absl::StatusCode::kNotFound, "rule.remote_group_id"));

  EXPECT_THAT(FailsWithoutChange([&] { return svc().security_groups.Delete(alice_, web.meta.id); }),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("referenced by rules of group " + db.meta.id)));
  ASSERT_TRUE(svc().security_groups.RemoveRule(alice_, db.meta.id, with->rules.back().id).ok());
  EXPECT_TRUE(svc().security_groups.Delete(alice_, web.meta.id).ok());
}

TEST_F(SecurityGroupServiceTest, GroupWithPortsAndDefaultGroupCannotBeDeleted) {
  model::Vpc vpc = MakeVpc(alice_);
  model::Subnet subnet = MakeSubnet(alice_, vpc.meta.id, "10.0.1.0/24");
  model::SecurityGroup g = MakeGroup(alice_, "web");
  absl::StatusOr<model::Port> p = svc().ports.Create(
      alice_,
      {.subnet_id = subnet.meta.id, .security_group_ids = std::vector<std::string>{g.meta.id}});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(FailsWithoutChange([&] { return svc().security_groups.Delete(alice_, g.meta.id); }),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("still has member ports: " + p->meta.id)));
  ASSERT_TRUE(svc().ports.Delete(alice_, p->meta.id).ok());
  EXPECT_TRUE(svc().security_groups.Delete(alice_, g.meta.id).ok());

  std::vector<model::SecurityGroup> groups = svc().security_groups.List(alice_, {})->items;
  ASSERT_THAT(groups, SizeIs(1));  // listing created the default group
  EXPECT_TRUE(groups[0].is_default);
  EXPECT_THAT(
      FailsWithoutChange([&] { return svc().security_groups.Delete(alice_, groups[0].meta.id); }),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("default security group")));
  // Listing again does not create a second one.
  EXPECT_THAT(svc().security_groups.List(alice_, {})->items, SizeIs(1));
}

}  // namespace
}  // namespace plasmanet::service
