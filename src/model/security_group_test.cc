#include "model/security_group.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace plasmanet::model {
namespace {

using ::plasmanet::testing::HasFieldError;
using ::plasmanet::testing::StatusIs;
using ::testing::HasSubstr;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
constexpr char kGroup[] = "123e4567-e89b-42d3-a456-426614174000";

TEST(SecurityGroupRuleTest, BuildsTcpPortRangeFromCidr) {
  absl::StatusOr<SecurityGroupRule> r =
      BuildSecurityGroupRule({.direction = "ingress",
                              .ethertype = "IPv4",
                              .protocol = "tcp",
                              .port_range_min = 22,
                              .port_range_max = 22,
                              .remote_ip_prefix = "192.0.2.0/24"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->protocol, kProtoTcp);
  EXPECT_EQ(r->remote_ip_prefix->ToString(), "192.0.2.0/24");
  EXPECT_EQ(ProtocolName(r->protocol), "tcp");
}

TEST(SecurityGroupRuleTest, AcceptsNumericProtocolAndIcmpTypeCode) {
  EXPECT_EQ(BuildSecurityGroupRule({.direction = "egress", .ethertype = "IPv4", .protocol = "47"})
                ->protocol,
            47);
  absl::StatusOr<SecurityGroupRule> icmp = BuildSecurityGroupRule({.direction = "ingress",
                                                                   .ethertype = "IPv6",
                                                                   .protocol = "icmpv6",
                                                                   .icmp_type = 128,
                                                                   .icmp_code = 0,
                                                                   .remote_group_id = kGroup});
  ASSERT_TRUE(icmp.ok()) << icmp.status();
  EXPECT_EQ(icmp->icmp_type, 128);
  EXPECT_EQ(icmp->remote_group_id, kGroup);
}

TEST(SecurityGroupRuleTest, RefusesInvalidRulesNamingTheField) {
  struct Case {
    SecurityGroupRuleSpec spec;
    std::string field;
    std::string reason;
  };
  const Case cases[] = {
      {{.direction = "in", .ethertype = "IPv4"}, "rule.direction", "not ingress or egress"},
      {{.direction = "ingress", .ethertype = "ipv4"}, "rule.ethertype", "not IPv4 or IPv6"},
      {{.direction = "ingress", .ethertype = "IPv4", .protocol = "sctpx"},
       "rule.protocol",
       "not any, tcp"},
      {{.direction = "ingress", .ethertype = "IPv4", .protocol = "256"}, "rule.protocol", "0-255"},
      {{.direction = "ingress",
        .ethertype = "IPv4",
        .protocol = "icmp",
        .port_range_min = 1,
        .port_range_max = 2},
       "rule.port_range_min",
       "only to tcp and udp"},
      {{.direction = "ingress", .ethertype = "IPv4", .protocol = "tcp", .port_range_min = 1},
       "rule.port_range_max",
       "both ends"},
      {{.direction = "ingress",
        .ethertype = "IPv4",
        .protocol = "tcp",
        .port_range_min = 0,
        .port_range_max = 5},
       "rule.port_range_min",
       "outside 1-65535"},
      {{.direction = "ingress",
        .ethertype = "IPv4",
        .protocol = "udp",
        .port_range_min = 10,
        .port_range_max = 65536},
       "rule.port_range_max",
       "outside 1-65535"},
      {{.direction = "ingress",
        .ethertype = "IPv4",
        .protocol = "tcp",
        .port_range_min = 90,
        .port_range_max = 80},
       "rule.port_range_min",
       "not be above"},
      {{.direction = "ingress", .ethertype = "IPv4", .protocol = "tcp", .icmp_type = 8},
       "rule.icmp_type",
       "only to icmp"},
      {{.direction = "ingress", .ethertype = "IPv4", .protocol = "icmp", .icmp_code = 0},
       "rule.icmp_code",
       "needs an ICMP type"},
      {{.direction = "ingress", .ethertype = "IPv4", .protocol = "icmp", .icmp_type = 300},
       "rule.icmp_type",
       "outside 0-255"},
      {{.direction = "ingress", .ethertype = "IPv6", .protocol = "icmp"},
       "rule.protocol",
       "needs ethertype IPv4"},
      {{.direction = "ingress", .ethertype = "IPv4", .protocol = "icmpv6"},
       "rule.protocol",
       "needs ethertype IPv6"},
      {{.direction = "ingress",
        .ethertype = "IPv4",
        .remote_ip_prefix = "10.0.0.0/8",
        .remote_group_id = kGroup},
       "rule.remote_group_id",
       "not both"},
      {{.direction = "ingress", .ethertype = "IPv6", .remote_ip_prefix = "10.0.0.0/8"},
       "rule.remote_ip_prefix",
       "not of ethertype IPv6"},
      {{.direction = "ingress", .ethertype = "IPv4", .remote_ip_prefix = "10.0.0.1/8"},
       "rule.remote_ip_prefix",
       "host bits"},
      {{.direction = "ingress", .ethertype = "IPv4", .remote_group_id = "g1"},
       "rule.remote_group_id",
       "not a group id"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field + ": " + c.reason);
    absl::StatusOr<SecurityGroupRule> r = BuildSecurityGroupRule(c.spec);
    EXPECT_THAT(r, HasFieldError(kInvalid, c.field));
    EXPECT_THAT(r, StatusIs(kInvalid, HasSubstr(c.reason)));
  }
}

TEST(SecurityGroupRuleTest, SameMatchIgnoresId) {
  SecurityGroupRule a = *BuildSecurityGroupRule({.direction = "egress", .ethertype = "IPv4"});
  SecurityGroupRule b = a;
  b.id = "other";
  EXPECT_TRUE(a.SameMatch(b));
  b.protocol = kProtoUdp;
  EXPECT_FALSE(a.SameMatch(b));
}

TEST(SecurityGroupTest, DefaultRulesAllowEgressAndIngressFromSelf) {
  std::vector<SecurityGroupRule> rules = DefaultGroupRules("self");
  ASSERT_EQ(rules.size(), 4u);
  int ingress_from_self = 0;
  for (const SecurityGroupRule& r : rules) {
    if (r.direction == Direction::kIngress) {
      EXPECT_EQ(r.remote_group_id, "self");
      ++ingress_from_self;
    } else {
      EXPECT_EQ(r.remote_group_id, "");
      EXPECT_EQ(r.protocol, kAnyProtocol);
    }
  }
  EXPECT_EQ(ingress_from_self, 2);
  EXPECT_EQ(AllowAllEgressRules().size(), 2u);
}

TEST(SecurityGroupTest, RefusesLongDescription) {
  EXPECT_THAT(BuildSecurityGroup({.description = std::string(1025, 'd')}),
              HasFieldError(kInvalid, "security_group.description"));
}

}  // namespace
}  // namespace plasmanet::model
