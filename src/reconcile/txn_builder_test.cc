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

// The gateway side of VPC v-1: external network n-1 at 203.0.113.10, static route to an
// appliance, SNAT on.
model::ExternalNetwork Network() {
  return {.meta = {.id = "n-1", .name = "public", .revision = 2},
          .cidr = *IpPrefix::Parse("203.0.113.0/24"),
          .gateway_ip = *IpAddress::Parse("203.0.113.1"),
          .physical_network = "physnet1"};
}
model::Vpc GatewayVpc() {
  model::Vpc vpc{
      .meta = {.id = "v-1", .name = "web", .org_id = "acme", .project_id = "web", .revision = 7}};
  vpc.cidr_blocks = {*IpPrefix::Parse("10.0.0.0/16")};
  vpc.static_routes = {{*IpPrefix::Parse("192.168.0.0/16"), *IpAddress::Parse("10.0.1.5")}};
  vpc.gateway = model::VpcGateway{.external_network_id = "n-1",
                                  .external_ip = *IpAddress::Parse("203.0.113.10")};
  return vpc;
}

// The insert op of `table` whose row is named `name` (by column or plasmanet:row).
const nlohmann::json* FindInsert(const nlohmann::json& ops, const std::string& table,
                                 const std::string& name) {
  for (const nlohmann::json& op : ops) {
    if (op["op"] != "insert" || op["table"] != table) continue;
    const nlohmann::json& row = op["row"];
    if (row.contains("name") && row["name"] == name) return &op;
    if (row.contains("external_ids") &&
        row["external_ids"].dump().find("\"" + name + "\"") != std::string::npos) {
      return &op;
    }
  }
  return nullptr;
}

// The uuid-names listed in a set column of an inserted row ("set" or a single atom).
std::vector<std::string> NamedIn(const nlohmann::json& column) {
  std::vector<std::string> names;
  if (column.is_null()) return names;
  if (column[0] == "named-uuid") return {column[1].get<std::string>()};
  for (const nlohmann::json& atom : column[1]) names.push_back(atom[1].get<std::string>());
  return names;
}

// The mutations of the mutate ops on the row `uuid` of `table`, as "column mutator".
std::vector<std::string> MutationsOn(const nlohmann::json& ops, const std::string& table,
                                     const std::string& uuid) {
  std::vector<std::string> out;
  for (const nlohmann::json& op : ops) {
    if (op["op"] != "mutate" || op["table"] != table || op["where"][0][2][1] != uuid) continue;
    for (const nlohmann::json& m : op["mutations"]) {
      out.push_back(m[0].get<std::string>() + " " + m[1].get<std::string>());
    }
  }
  return out;
}

TEST_F(TxnBuilderTest, ANewRoutersRoutesNatsAndPortsGoInItsInsertUnderTheirOwnColumns) {
  const model::ExternalNetwork network = Network();
  TxnBuilder builder(replica_, index_);
  builder.Add({OwnerRef::Kind::kExternalNetwork, "n-1"}, CompileExternalNetwork(network));
  builder.Add({OwnerRef::Kind::kVpc, "v-1"},
              CompileVpc(GatewayVpc(), {.network = &network, .gateway_chassis = {"ch-a", "ch-b"}}));
  EXPECT_EQ(builder.counts().blocked, 0u);
  nlohmann::json ops = builder.Build();
  for (const nlohmann::json& op : ops) EXPECT_EQ(op["op"], "insert") << op.dump();

  const nlohmann::json* router = FindInsert(ops, "Logical_Router", "pn-vpc-v-1");
  ASSERT_NE(router, nullptr) << ops.dump();
  const nlohmann::json* lrp = FindInsert(ops, "Logical_Router_Port", "pn-lrp-gw-v-1");
  const nlohmann::json* route =
      FindInsert(ops, "Logical_Router_Static_Route", "pn-route-v-1-192.168.0.0/16");
  const nlohmann::json* fallback =
      FindInsert(ops, "Logical_Router_Static_Route", "pn-route-v-1-default");
  const nlohmann::json* snat = FindInsert(ops, "NAT", "pn-snat-v-1");
  const nlohmann::json* group = FindInsert(ops, "HA_Chassis_Group", "pn-ha-v-1");
  const nlohmann::json* ch_a = FindInsert(ops, "HA_Chassis", "pn-ha-v-1-ch-a");
  const nlohmann::json* ch_b = FindInsert(ops, "HA_Chassis", "pn-ha-v-1-ch-b");
  const nlohmann::json* ext = FindInsert(ops, "Logical_Switch", "pn-ext-n-1");
  const nlohmann::json* localnet = FindInsert(ops, "Logical_Switch_Port", "pn-ext-n-1-localnet");
  const nlohmann::json* peer = FindInsert(ops, "Logical_Switch_Port", "pn-gw-v-1-n-1");
  for (const nlohmann::json* op :
       {lrp, route, fallback, snat, group, ch_a, ch_b, ext, localnet, peer}) {
    ASSERT_NE(op, nullptr) << ops.dump();
  }
  const auto name = [](const nlohmann::json* op) { return (*op)["uuid-name"].get<std::string>(); };
  const nlohmann::json& row = (*router)["row"];
  EXPECT_THAT(NamedIn(row["ports"]), ElementsAre(name(lrp))) << row.dump();
  EXPECT_THAT(NamedIn(row["static_routes"]),
              ::testing::UnorderedElementsAre(name(route), name(fallback)))
      << row.dump();
  EXPECT_THAT(NamedIn(row["nat"]), ElementsAre(name(snat))) << row.dump();
  EXPECT_THAT(NamedIn((*group)["row"]["ha_chassis"]),
              ::testing::UnorderedElementsAre(name(ch_a), name(ch_b)));
  EXPECT_THAT(NamedIn((*lrp)["row"]["ha_chassis_group"]), ElementsAre(name(group)))
      << "the gateway port is bound to the group inserted alongside";
  EXPECT_THAT(NamedIn((*ext)["row"]["ports"]),
              ::testing::UnorderedElementsAre(name(localnet), name(peer)));
}

TEST_F(TxnBuilderTest, NewRoutesAndNatsOnAnExistingRouterAreAttachedToTheirColumns) {
  Apply(R"({"Logical_Router": {")" + std::string(kRouterUuid) + R"(": {"initial": {
        "name": "pn-vpc-v-1",
        "external_ids": ["map", [["plasmanet:owner", "vpc/v-1"], ["plasmanet:revision", "7"],
                                 ["plasmanet:project", "acme/web"], ["plasmanet:name", "web"]]]}}}})");
  model::Vpc vpc = Vpc();
  vpc.static_routes = {{*IpPrefix::Parse("192.168.0.0/16"), *IpAddress::Parse("10.0.1.5")},
                       {*IpPrefix::Parse("172.16.0.0/12"), *IpAddress::Parse("10.0.1.6")}};
  const model::FloatingIp fip{.meta = {.id = "f-1", .org_id = "acme", .project_id = "web"},
                              .external_network_id = "n-1",
                              .address = *IpAddress::Parse("203.0.113.50"),
                              .port_id = "p-1",
                              .fixed_ip = *IpAddress::Parse("10.0.1.5"),
                              .vpc_id = "v-1"};
  TxnBuilder builder(replica_, index_);
  builder.Add({OwnerRef::Kind::kVpc, "v-1"}, CompileVpc(vpc));
  builder.Add({OwnerRef::Kind::kFloatingIp, "f-1"}, CompileFloatingIp(fip));
  EXPECT_EQ(builder.counts().inserted, 3u);
  EXPECT_EQ(builder.counts().blocked, 0u);
  nlohmann::json ops = builder.Build();
  EXPECT_THAT(OpNames(ops), ElementsAre("insert Logical_Router_Static_Route",
                                        "insert Logical_Router_Static_Route", "insert NAT",
                                        "mutate Logical_Router", "mutate Logical_Router"))
      << ops.dump();
  EXPECT_THAT(MutationsOn(ops, "Logical_Router", kRouterUuid),
              ::testing::UnorderedElementsAre("static_routes insert", "nat insert"))
      << "never \"ports\": " << ops.dump();
  for (const nlohmann::json& op : ops) {
    if (op["op"] != "mutate") continue;
    const nlohmann::json& m = op["mutations"][0];
    const std::vector<std::string> children = NamedIn(m[2]);
    if (m[0] == "static_routes") {
      EXPECT_THAT(children, ::testing::UnorderedElementsAre(ops[0]["uuid-name"].get<std::string>(),
                                                            ops[1]["uuid-name"].get<std::string>()))
          << "both routes in one mutation";
    } else {
      EXPECT_THAT(children, ElementsAre(ops[2]["uuid-name"].get<std::string>()));
    }
  }
}

TEST_F(TxnBuilderTest, ClearingAGatewayDeletesItsPortOutrightAndDetachesTheRest) {
  constexpr char kLrp[] = "a0000000-0000-0000-0000-000000000001";
  constexpr char kDefault[] = "a0000000-0000-0000-0000-000000000002";
  constexpr char kRoute[] = "a0000000-0000-0000-0000-000000000003";
  constexpr char kSnat[] = "a0000000-0000-0000-0000-000000000004";
  constexpr char kGroup[] = "a0000000-0000-0000-0000-000000000005";
  constexpr char kChassis[] = "a0000000-0000-0000-0000-000000000006";
  constexpr char kExt[] = "a0000000-0000-0000-0000-000000000007";
  constexpr char kLocalnet[] = "a0000000-0000-0000-0000-000000000008";
  constexpr char kPeer[] = "a0000000-0000-0000-0000-000000000009";
  const std::string vpc_ids = R"(["map", [["plasmanet:owner", "vpc/v-1"],
      ["plasmanet:revision", "7"], ["plasmanet:project", "acme/web"], ["plasmanet:name", "web"])";
  const auto uuid = [](const char* u) { return std::string(R"(["uuid", ")") + u + "\"]"; };
  // What the reconciler wrote for GatewayVpc() on one chassis.
  Apply(R"({
    "Logical_Router": {")" +
        std::string(kRouterUuid) + R"(": {"initial": {
      "name": "pn-vpc-v-1", "ports": )" +
        uuid(kLrp) + R"(,
      "static_routes": ["set", [)" +
        uuid(kDefault) + "," + uuid(kRoute) + R"(]],
      "nat": )" +
        uuid(kSnat) + R"(, "external_ids": )" + vpc_ids + R"(]]}}},
    "Logical_Router_Port": {")" +
        std::string(kLrp) + R"(": {"initial": {
      "name": "pn-lrp-gw-v-1", "ha_chassis_group": )" +
        uuid(kGroup) + R"(,
      "external_ids": )" +
        vpc_ids + R"(]]}}},
    "Logical_Router_Static_Route": {
      ")" +
        std::string(kDefault) + R"(": {"initial": {"ip_prefix": "0.0.0.0/0",
        "external_ids": )" +
        vpc_ids + R"(, ["plasmanet:row", "pn-route-v-1-default"]]]}},
      ")" +
        std::string(kRoute) + R"(": {"initial": {"ip_prefix": "192.168.0.0/16",
        "nexthop": "10.0.1.5",
        "external_ids": )" +
        vpc_ids + R"(, ["plasmanet:row", "pn-route-v-1-192.168.0.0/16"]]]}}},
    "NAT": {")" +
        std::string(kSnat) + R"(": {"initial": {"type": "snat",
      "external_ids": )" +
        vpc_ids + R"(, ["plasmanet:row", "pn-snat-v-1"]]]}}},
    "HA_Chassis_Group": {")" +
        std::string(kGroup) + R"(": {"initial": {"name": "pn-ha-v-1",
      "ha_chassis": )" +
        uuid(kChassis) + R"(, "external_ids": )" + vpc_ids + R"(]]}}},
    "HA_Chassis": {")" +
        std::string(kChassis) + R"(": {"initial": {"chassis_name": "ch-a",
      "priority": 1,
      "external_ids": )" +
        vpc_ids + R"(, ["plasmanet:row", "pn-ha-v-1-ch-a"]]]}}},
    "Logical_Switch": {")" +
        std::string(kExt) + R"(": {"initial": {"name": "pn-ext-n-1",
      "ports": ["set", [)" +
        uuid(kLocalnet) + "," + uuid(kPeer) + R"(]],
      "external_ids": ["map", [["plasmanet:owner", "extnet/n-1"]]]}}},
    "Logical_Switch_Port": {
      ")" +
        std::string(kLocalnet) + R"(": {"initial": {"name": "pn-ext-n-1-localnet",
        "external_ids": ["map", [["plasmanet:owner", "extnet/n-1"]]]}},
      ")" +
        std::string(kPeer) + R"(": {"initial": {"name": "pn-gw-v-1-n-1",
        "external_ids": )" +
        vpc_ids + R"(]]}}}
  })");
  ASSERT_EQ(index_.ParentOf(*ovsdb::Uuid::Parse(kLrp)), ovsdb::Uuid::Parse(kRouterUuid));
  ASSERT_EQ(index_.ParentOf(*ovsdb::Uuid::Parse(kRoute)), ovsdb::Uuid::Parse(kRouterUuid))
      << "a router's children are indexed from all its child columns";
  ASSERT_EQ(index_.ParentOf(*ovsdb::Uuid::Parse(kSnat)), ovsdb::Uuid::Parse(kRouterUuid));
  ASSERT_EQ(index_.ParentOf(*ovsdb::Uuid::Parse(kChassis)), ovsdb::Uuid::Parse(kGroup));

  // The gateway is cleared; the route through the appliance stays.
  model::Vpc vpc = GatewayVpc();
  vpc.gateway.reset();
  TxnBuilder builder(replica_, index_);
  const TxnCounts counts = builder.Add({OwnerRef::Kind::kVpc, "v-1"}, CompileVpc(vpc));
  EXPECT_EQ(counts.deleted, 6u) << "port, default route, NAT, group, chassis, peer";
  nlohmann::json ops = builder.Build();
  EXPECT_THAT(OpNames(ops),
              ::testing::UnorderedElementsAre("delete Logical_Router_Port",
                                              "delete HA_Chassis_Group", "mutate Logical_Router",
                                              "mutate Logical_Router", "mutate Logical_Router",
                                              "mutate Logical_Switch", "mutate HA_Chassis_Group"))
      << ops.dump();
  // The port is deleted by uuid (it holds the group strongly; waiting for garbage collection
  // would make NB refuse the group's delete) and detached from its router as well.
  bool port_deleted = false;
  for (const nlohmann::json& op : ops) {
    if (op["op"] == "delete" && op["table"] == "Logical_Router_Port") {
      port_deleted = op["where"][0][2][1] == kLrp;
    }
  }
  EXPECT_TRUE(port_deleted) << ops.dump();
  EXPECT_THAT(
      MutationsOn(ops, "Logical_Router", kRouterUuid),
      ::testing::UnorderedElementsAre("ports delete", "static_routes delete", "nat delete"));
  for (const nlohmann::json& op : ops) {
    if (op["op"] != "mutate" || op["table"] != "Logical_Router") continue;
    const nlohmann::json& m = op["mutations"][0];
    const std::string expected = m[0] == "ports" ? kLrp : m[0] == "nat" ? kSnat : kDefault;
    EXPECT_EQ(m[2], nlohmann::json::parse(uuid(expected.c_str()))) << op.dump();
  }
  EXPECT_THAT(MutationsOn(ops, "Logical_Switch", kExt), ElementsAre("ports delete"));
  EXPECT_EQ(ops.dump().find(kLocalnet), std::string::npos) << "the network's own port stays";
  EXPECT_EQ(ops.dump().find(kRoute), std::string::npos) << "the remaining route stays";
}

}  // namespace
}  // namespace plasmanet::reconcile
