#include "reconcile/txn_builder.h"

#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ovsdb/replica.h"
#include "ovsdb/schema.h"

namespace plasmanet::reconcile {
namespace {

constexpr char kSchemaPath[] = "/usr/share/ovn/ovn-nb.ovsschema";
constexpr char kRouterUuid[] = "11111111-1111-1111-1111-111111111111";
constexpr char kSwitchUuid[] = "22222222-2222-2222-2222-222222222222";
constexpr char kPortUuid[] = "33333333-3333-3333-3333-333333333333";
constexpr char kForeignUuid[] = "44444444-4444-4444-4444-444444444444";
constexpr char kDnsUuid[] = "88888888-8888-8888-8888-888888888888";
constexpr char kDhcpUuid[] = "99999999-9999-9999-9999-999999999999";

// A replica of the installed NB schema, filled from <table-updates2> JSON, and the index over it:
// what the reconciler sees after a monitor reply.
class TxnBuilderTest : public ::testing::Test {
 protected:
  TxnBuilderTest() {
    std::ifstream file(kSchemaPath);
    std::stringstream text;
    text << file.rdbuf();
    simdjson::dom::element root = parser_.parse(text.str()).value();
    schema_ = *ovsdb::ParseSchema(root);
    replica_ = *ovsdb::Replica::Create(schema_, MonitoredNbColumns());
  }

  void Apply(const std::string& updates) {
    simdjson::dom::parser parser;
    simdjson::dom::element root = parser.parse(updates).value();
    ASSERT_TRUE(replica_.ApplyUpdates2(root, nullptr).ok());
    index_.Rebuild(replica_);
  }

  // NB as the reconciler left it for VPC v-1 with one subnet s-1 and port p-1 (the subnet's
  // router-side rows omitted: they are not needed by these tests).
  void ApplyProgrammedPort() {
    Apply(R"({
      "Logical_Router": {")" +
          std::string(kRouterUuid) + R"(": {"initial": {
        "name": "pn-vpc-v-1",
        "external_ids": ["map", [["plasmanet:owner", "vpc/v-1"], ["plasmanet:revision", "7"],
                                 ["plasmanet:project", "acme/web"], ["plasmanet:name", "web"]]]}}},
      "DNS": {")" +
          std::string(kDnsUuid) + R"(": {"initial": {
        "records": ["map", [["vm.s.web.internal", "10.0.1.5"]]],
        "external_ids": ["map", [["plasmanet:owner", "vpc/v-1"], ["plasmanet:revision", "7"],
                                 ["plasmanet:project", "acme/web"], ["plasmanet:name", "web"],
                                 ["plasmanet:row", "pn-dns-v-1"]]]}}},
      "Logical_Switch": {")" +
          std::string(kSwitchUuid) + R"(": {"initial": {
        "name": "pn-subnet-s-1",
        "ports": ["set", [["uuid", ")" +
          std::string(kPortUuid) + R"("], ["uuid", ")" + std::string(kForeignUuid) + R"("]]],
        "external_ids": ["map", [["plasmanet:owner", "subnet/s-1"]]]}}},
      "Logical_Switch_Port": {
        ")" +
          std::string(kPortUuid) + R"(": {"initial": {
          "name": "p-1",
          "addresses": "fa:16:3e:00:00:05 10.0.1.5",
          "port_security": "fa:16:3e:00:00:05 10.0.1.5",
          "options": ["map", [["hostname", "\"vm\""]]],
          "external_ids": ["map", [["plasmanet:owner", "port/p-1"], ["plasmanet:revision", "30"],
                                   ["plasmanet:project", "acme/web"], ["plasmanet:name", "vm"]]]}},
        ")" +
          std::string(kForeignUuid) + R"(": {"initial": {"name": "hand-made"}}}
    })");
  }

  static model::Vpc Vpc() {
    return {
        .meta = {.id = "v-1", .name = "web", .org_id = "acme", .project_id = "web", .revision = 7}};
  }
  static model::Subnet Subnet() {
    model::Subnet subnet{
        .meta = {.id = "s-1", .org_id = "acme", .project_id = "web", .revision = 9},
        .vpc_id = "v-1"};
    subnet.ipv4 = model::SubnetFamily{.cidr = *IpPrefix::Parse("10.0.1.0/24"),
                                      .gateway = *IpAddress::Parse("10.0.1.1")};
    return subnet;
  }
  static model::Port Port() {
    return {
        .meta = {.id = "p-1", .name = "vm", .org_id = "acme", .project_id = "web", .revision = 30},
        .subnet_id = "s-1",
        .vpc_id = "v-1",
        .mac = *MacAddress::Parse("fa:16:3e:00:00:05"),
        .fixed_ips = {*IpAddress::Parse("10.0.1.5")}};
  }

  // The VPC's router and a DNS row of its own holding `records`: the shape of the fixture's NB,
  // for the tests of map mutations (which do not care who owns a DNS row).
  static std::vector<DesiredRow> VpcWithDns(const DnsRecords& records) {
    std::vector<DesiredRow> rows = CompileVpc(Vpc());
    DesiredRow dns{.table = NbTable::kDns, .name = "pn-dns-v-1"};
    dns.columns["records"] = ovsdb::Datum::StringMap(records);
    std::map<std::string, std::string> ids = rows[0].columns.at("external_ids").AsStringMap();
    ids["plasmanet:row"] = dns.name;
    dns.columns["external_ids"] = ovsdb::Datum::StringMap(ids);
    rows.push_back(std::move(dns));
    return rows;
  }

  static std::vector<std::string> OpNames(const nlohmann::json& ops) {
    std::vector<std::string> names;
    for (const nlohmann::json& op : ops) {
      names.push_back(op["op"].get<std::string>() + " " + op["table"].get<std::string>());
    }
    return names;
  }

  simdjson::dom::parser parser_;
  ovsdb::DatabaseSchema schema_;
  ovsdb::Replica replica_;
  NbIndex index_;
};

using ::testing::ElementsAre;

TEST_F(TxnBuilderTest, EmptyNbGetsEverythingInOneTransactionWithPortsInTheirParentsInserts) {
  TxnBuilder builder(replica_, index_);
  const model::Subnet subnet = Subnet();
  builder.Add({OwnerRef::Kind::kVpc, "v-1"}, CompileVpc(Vpc()));
  builder.Add({OwnerRef::Kind::kDefaultDeny, std::string(kDefaultDenyId)}, CompileDefaultDeny());
  builder.Add({OwnerRef::Kind::kSubnet, "s-1"}, CompileSubnet(subnet));
  builder.Add({OwnerRef::Kind::kPort, "p-1"}, CompilePort(Port(), {.subnet = &subnet}));
  EXPECT_EQ(builder.counts().inserted, 15u);
  EXPECT_EQ(builder.counts().blocked, 0u);
  nlohmann::json ops = builder.Build();
  EXPECT_THAT(OpNames(ops),
              ElementsAre("insert Logical_Router", "insert Port_Group", "insert Meter",
                          "insert Meter_Band", "insert ACL", "insert ACL", "insert ACL",
                          "insert ACL", "insert DNS", "insert Logical_Switch",
                          "insert Logical_Router_Port", "insert Logical_Switch_Port",
                          "insert DHCP_Options", "insert ACL", "insert Logical_Switch_Port"));
  // No mutations: the router lists its port, the switch its two ports, the drop group its ACLs
  // (the subnet's DNS allow among them) and its member port in their inserts.
  const auto named = [](const std::string& name) {
    return nlohmann::json::parse(R"(["set", [["named-uuid", ")" + name + R"("]]])");
  };
  const auto one = [](const std::string& name) {  // a one-element set is written as its atom
    return nlohmann::json::parse(R"(["named-uuid", ")" + name + R"("])");
  };
  EXPECT_EQ(ops[0]["row"]["ports"], named("row10")) << ops[0].dump();
  EXPECT_EQ(ops[9]["row"]["ports"][1].size(), 2u) << ops[9].dump();
  EXPECT_EQ(ops[1]["row"]["acls"][1].size(), 5u) << ops[1].dump();
  EXPECT_EQ(ops[2]["row"]["bands"], named("row3")) << ops[2].dump();
  EXPECT_EQ(ops[1]["row"]["ports"], named("row14")) << ops[1].dump();
  // References to root rows inserted alongside go by uuid-name too.
  EXPECT_EQ(ops[9]["row"]["dns_records"], one("row8")) << ops[9].dump();
  EXPECT_EQ(ops[14]["row"]["dhcpv4_options"], one("row12")) << ops[14].dump();
  EXPECT_EQ(ops[14]["row"]["dhcpv6_options"], nlohmann::json::parse(R"(["set", []])"));
}

TEST_F(TxnBuilderTest, ReferenceToAnExistingRowIsItsUuidAndToAMissingOneBlocks) {
  ApplyProgrammedPort();
  DesiredRow row = CompilePort(Port())[0];
  row.groups.clear();  // not what this test is about
  row.refs["dhcpv4_options"] = {{NbTable::kDhcpOptions, "pn-dhcp4-s-1"}};
  TxnBuilder blocked(replica_, index_);
  EXPECT_EQ(blocked.Add({OwnerRef::Kind::kPort, "p-1"}, {row}).blocked, 1u)
      << "the DHCP options are not in NB: the port must stay dirty";
  EXPECT_TRUE(blocked.Build().empty());

  Apply(R"({"DHCP_Options": {")" + std::string(kDhcpUuid) + R"(": {"initial": {
        "cidr": "10.0.1.0/24", "external_ids": ["map", [["plasmanet:owner", "subnet/s-1"],
        ["plasmanet:row", "pn-dhcp4-s-1"]]]}}}})");
  TxnBuilder builder(replica_, index_);
  EXPECT_EQ(builder.Add({OwnerRef::Kind::kPort, "p-1"}, {row}).blocked, 0u);
  nlohmann::json ops = builder.Build();
  ASSERT_EQ(ops.size(), 1u) << ops.dump();
  EXPECT_EQ(ops[0]["op"], "update");
  EXPECT_EQ(ops[0]["row"]["dhcpv4_options"],
            nlohmann::json::parse(R"(["uuid", ")" + std::string(kDhcpUuid) + R"("])"))
      << ops.dump();
}

TEST_F(TxnBuilderTest, APortsOwnDhcpOptionsAreInsertedAndReferencedInOneTransaction) {
  ApplyProgrammedPort();  // p-1 is in NB, referencing no DHCP options
  const model::Subnet subnet = Subnet();
  model::Port port = Port();
  port.extra_dhcp_options = {{"bootfile_name", "pxelinux.0"}};
  std::vector<DesiredRow> rows = CompilePort(port, {.subnet = &subnet});
  ASSERT_EQ(rows.size(), 2u);
  rows[1].groups.clear();  // not what this test is about
  TxnBuilder builder(replica_, index_);
  const TxnCounts counts = builder.Add({OwnerRef::Kind::kPort, "p-1"}, rows);
  EXPECT_EQ(counts.blocked, 0u) << "the reference waits for no other pass";
  nlohmann::json ops = builder.Build();
  ASSERT_THAT(OpNames(ops), ElementsAre("insert DHCP_Options", "update Logical_Switch_Port"))
      << ops.dump();
  EXPECT_EQ(ops[1]["row"]["dhcpv4_options"],
            nlohmann::json::parse(R"(["named-uuid", ")" + ops[0]["uuid-name"].get<std::string>() +
                                  R"("])"))
      << ops.dump();

  // In NB now, beside the subnet's; without the extras the port goes back to the subnet's row
  // and its own is deleted.
  constexpr char kPortDhcpUuid[] = "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa";
  Apply(R"({"DHCP_Options": {
      ")" +
        std::string(kDhcpUuid) + R"(": {"initial": {"cidr": "10.0.1.0/24",
        "external_ids": ["map", [["plasmanet:owner", "subnet/s-1"],
                                 ["plasmanet:row", "pn-dhcp4-s-1"]]]}},
      ")" +
        std::string(kPortDhcpUuid) + R"(": {"initial": {"cidr": "10.0.1.0/24",
        "external_ids": ["map", [["plasmanet:owner", "port/p-1"],
                                 ["plasmanet:row", "pn-dhcp4-port-p-1"]]]}}}})");
  port.extra_dhcp_options.clear();
  rows = CompilePort(port, {.subnet = &subnet});
  rows[0].groups.clear();
  TxnBuilder back(replica_, index_);
  EXPECT_EQ(back.Add({OwnerRef::Kind::kPort, "p-1"}, rows).deleted, 1u);
  ops = back.Build();
  ASSERT_THAT(OpNames(ops), ElementsAre("update Logical_Switch_Port", "delete DHCP_Options"))
      << ops.dump();
  EXPECT_EQ(ops[0]["row"]["dhcpv4_options"],
            nlohmann::json::parse(R"(["uuid", ")" + std::string(kDhcpUuid) + R"("])"));
  EXPECT_EQ(ops[1]["where"][0][2][1], kPortDhcpUuid);
}

TEST_F(TxnBuilderTest, ARowIsNotHeldBackForAReferenceThatCannotBeResolvedYet) {
  TxnBuilder builder(replica_, index_);
  model::Subnet subnet = Subnet();
  // Its own DNS row is inserted alongside; a sibling's is not in NB yet.
  std::vector<DesiredRow> rows = CompileSubnet(subnet, {.vpc_subnet_ids = {"s-1", "s-9"}});
  builder.Add({OwnerRef::Kind::kVpc, "v-1"}, CompileVpc(Vpc()));
  const TxnCounts counts = builder.Add({OwnerRef::Kind::kSubnet, "s-1"}, rows);
  EXPECT_GE(counts.blocked, 1u) << "the subnet must stay dirty until the sibling's row exists";
  nlohmann::json ops = builder.Build();
  bool switch_inserted = false;
  for (const nlohmann::json& op : ops) {
    if (op["op"] == "insert" && op["table"] == "Logical_Switch") {
      switch_inserted = true;
      EXPECT_EQ(op["row"]["dns_records"][0], "named-uuid") << "its own names only, for now";
    }
  }
  EXPECT_TRUE(switch_inserted) << ops.dump();
}

TEST_F(TxnBuilderTest, LargeMapChangesByKeyMutationsOnly) {
  ApplyProgrammedPort();  // the DNS row holds vm.s.web.internal -> 10.0.1.5
  TxnBuilder same(replica_, index_);
  EXPECT_EQ(same.Add({OwnerRef::Kind::kVpc, "v-1"}, VpcWithDns({{"vm.s.web.internal", "10.0.1.5"}}))
                .changes(),
            0u);
  EXPECT_TRUE(same.Build().empty());

  TxnBuilder builder(replica_, index_);
  builder.Add({OwnerRef::Kind::kVpc, "v-1"},
              VpcWithDns({{"vm.s.web.internal", "10.0.1.6"}, {"db.s.web.internal", "10.0.1.7"}}));
  nlohmann::json ops = builder.Build();
  ASSERT_EQ(ops.size(), 1u) << ops.dump();
  EXPECT_EQ(ops[0]["op"], "mutate") << "the map is never rewritten";
  EXPECT_EQ(ops[0]["table"], "DNS");
  EXPECT_EQ(ops[0]["mutations"], nlohmann::json::parse(R"([
      ["records", "delete", "vm.s.web.internal"],
      ["records", "insert", ["map", [["db.s.web.internal", "10.0.1.7"],
                                     ["vm.s.web.internal", "10.0.1.6"]]]]])"))
      << ops.dump();
}

TEST_F(TxnBuilderTest, APortJoinsAndLeavesGroupsByMutationAndWaitsForAGroupNotInNb) {
  // NB holds p-1 in the drop group and in group g-old; p-1 now wants g-new (not in NB) and
  // the drop group.
  const std::string old_group = PortGroupName("g-old");
  Apply(R"({
    "Logical_Switch_Port": {")" +
        std::string(kPortUuid) + R"(": {"initial": {"name": "p-1",
        "external_ids": ["map", [["plasmanet:owner", "port/p-1"]]]}}},
    "Port_Group": {
      "55555555-5555-5555-5555-555555555555": {"initial": {"name": "pn_drop",
        "ports": ["uuid", ")" +
        std::string(kPortUuid) + R"("],
        "external_ids": ["map", [["plasmanet:owner", "platform/default-deny"]]]}},
      "66666666-6666-6666-6666-666666666666": {"initial": {"name": ")" +
        old_group + R"(",
        "ports": ["uuid", ")" +
        std::string(kPortUuid) + R"("],
        "external_ids": ["map", [["plasmanet:owner", "sg/g-old"]]]}}}
  })");
  ASSERT_THAT(index_.GroupsOf(*ovsdb::Uuid::Parse(kPortUuid)), ::testing::SizeIs(2));
  DesiredRow row = CompilePort(Port())[0];
  row.groups = {std::string(kDropGroupName), PortGroupName("g-new")};

  TxnBuilder builder(replica_, index_);
  const TxnCounts counts = builder.Add({OwnerRef::Kind::kPort, "p-1"}, {row});
  EXPECT_EQ(counts.blocked, 1u) << "g-new is not in NB: the port must stay dirty";
  nlohmann::json ops = builder.Build();
  // It leaves g-old by one mutation and stays in pn_drop untouched.
  ASSERT_THAT(OpNames(ops), ::testing::Contains("mutate Port_Group"));
  const nlohmann::json& leave = ops.back();
  EXPECT_EQ(leave["where"][0][2][1], "66666666-6666-6666-6666-666666666666") << ops.dump();
  EXPECT_EQ(leave["mutations"][0][0], "ports");
  EXPECT_EQ(leave["mutations"][0][1], "delete");

  // Once g-new exists, the port joins it by mutation and nothing is blocked.
  Apply(R"({"Port_Group": {"77777777-7777-7777-7777-777777777777": {"initial": {"name": ")" +
        PortGroupName("g-new") +
        R"(", "external_ids": ["map", [["plasmanet:owner", "sg/g-new"]]]}}}})");
  TxnBuilder again(replica_, index_);
  EXPECT_EQ(again.Add({OwnerRef::Kind::kPort, "p-1"}, {row}).blocked, 0u);
  const nlohmann::json join = again.Build();
  const nlohmann::json insert = nlohmann::json::parse(
      R"([["ports", "insert", ["uuid", "33333333-3333-3333-3333-333333333333"]]])");
  bool joined = false;
  for (const nlohmann::json& op : join) {
    joined |= op["op"] == "mutate" &&
              op["where"][0][2][1] == "77777777-7777-7777-7777-777777777777" &&
              op["mutations"] == insert;
  }
  EXPECT_TRUE(joined) << join.dump();
}

TEST_F(TxnBuilderTest, PortWithoutItsSwitchIsBlockedNotSent) {
  TxnBuilder builder(replica_, index_);
  TxnCounts counts = builder.Add({OwnerRef::Kind::kPort, "p-1"}, CompilePort(Port()));
  EXPECT_EQ(counts.blocked, 1u);
  EXPECT_EQ(counts.changes(), 0u);
  EXPECT_TRUE(builder.Build().empty());
}

TEST_F(TxnBuilderTest, MatchingRowsNeedNothingEvenWhenOnlyTheRevisionMoved) {
  ApplyProgrammedPort();
  model::Port port = Port();
  port.meta.revision = 31;  // a status change, say
  port.status = model::PortStatus::kActive;
  TxnBuilder builder(replica_, index_);
  builder.Add({OwnerRef::Kind::kVpc, "v-1"}, VpcWithDns({{"vm.s.web.internal", "10.0.1.5"}}));
  builder.Add({OwnerRef::Kind::kPort, "p-1"}, CompilePort(port));
  EXPECT_EQ(builder.counts().changes(), 0u);
  EXPECT_TRUE(builder.Build().empty());
}

TEST_F(TxnBuilderTest, ChangedColumnIsTheOnlyOneUpdatedAndTheRevisionFollows) {
  ApplyProgrammedPort();
  model::Port port = Port();
  port.meta.revision = 40;
  port.port_security_enabled = false;
  TxnBuilder builder(replica_, index_);
  builder.Add({OwnerRef::Kind::kPort, "p-1"}, CompilePort(port));
  nlohmann::json ops = builder.Build();
  ASSERT_EQ(ops.size(), 1u) << ops.dump();
  EXPECT_EQ(ops[0]["op"], "update");
  EXPECT_EQ(ops[0]["where"][0][2][1], kPortUuid);
  const nlohmann::json& row = ops[0]["row"];
  EXPECT_TRUE(row.contains("addresses"));
  EXPECT_TRUE(row.contains("port_security"));
  EXPECT_TRUE(row.contains("external_ids"));
  EXPECT_FALSE(row.contains("name"));
  EXPECT_NE(row["external_ids"].dump().find("\"40\""), std::string::npos) << row.dump();
}

TEST_F(TxnBuilderTest, NewPortOnExistingSwitchIsAttachedByOneMutation) {
  ApplyProgrammedPort();
  model::Port second = Port();
  second.meta.id = "p-2";
  model::Port third = Port();
  third.meta.id = "p-3";
  TxnBuilder builder(replica_, index_);
  builder.Add({OwnerRef::Kind::kPort, "p-2"}, CompilePort(second));
  builder.Add({OwnerRef::Kind::kPort, "p-3"}, CompilePort(third));
  nlohmann::json ops = builder.Build();
  EXPECT_THAT(OpNames(ops), ElementsAre("insert Logical_Switch_Port", "insert Logical_Switch_Port",
                                        "mutate Logical_Switch"));
  EXPECT_EQ(ops[2]["where"][0][2][1], kSwitchUuid);
  EXPECT_EQ(ops[2]["mutations"][0][1], "insert");
  EXPECT_EQ(ops[2]["mutations"][0][2][1].size(), 2u) << ops[2].dump();
}

TEST_F(TxnBuilderTest, GoneOwnersRowsAreDeletedAndForeignRowsSurvive) {
  ApplyProgrammedPort();
  TxnBuilder builder(replica_, index_);
  builder.Add({OwnerRef::Kind::kPort, "p-1"}, {});  // the port was deleted
  builder.Add({OwnerRef::Kind::kVpc, "v-1"}, {});   // and the VPC
  nlohmann::json ops = builder.Build();
  EXPECT_EQ(builder.counts().deleted, 3u);
  EXPECT_THAT(OpNames(ops),
              ElementsAre("delete Logical_Router", "delete DNS", "mutate Logical_Switch"));
  // The port leaves its switch by a single-uuid mutation; the hand-made port is not named.
  EXPECT_EQ(ops[2]["mutations"][0][1], "delete");
  EXPECT_EQ(ops[2]["mutations"][0][2],
            nlohmann::json::parse(std::string(R"(["uuid", ")") + kPortUuid + "\"]"));
  EXPECT_EQ(ops.dump().find(kForeignUuid), std::string::npos);
}

TEST_F(TxnBuilderTest, UnownedRowWithAnOwnedNameIsNotAdopted) {
  // A row someone created by hand named like one of ours, but without the mark: we create our
  // own (for a Logical_Router the name is not unique in the schema) and never touch theirs.
  Apply(R"({"Logical_Router": {")" + std::string(kForeignUuid) +
        R"(": {"initial": {"name": "pn-vpc-v-1"}}}})");
  TxnBuilder builder(replica_, index_);
  builder.Add({OwnerRef::Kind::kVpc, "v-1"}, CompileVpc(Vpc()));
  nlohmann::json ops = builder.Build();
  EXPECT_THAT(OpNames(ops), ElementsAre("insert Logical_Router"));
}

}  // namespace
}  // namespace plasmanet::reconcile
