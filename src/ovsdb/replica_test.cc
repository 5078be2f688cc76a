#include "ovsdb/replica.h"

#include <string>
#include <vector>

#include <absl/strings/str_cat.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace plasmanet::ovsdb {
namespace {

using ::plasmanet::testing::IsOk;
using ::plasmanet::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kNbSchemaPath[] = "/usr/share/ovn/ovn-nb.ovsschema";
constexpr char kPort1[] = "11111111-1111-4111-8111-111111111111";
constexpr char kPort2[] = "22222222-2222-4222-8222-222222222222";
constexpr char kSwitch[] = "33333333-3333-4333-8333-333333333333";

Uuid U(absl::string_view text) { return Uuid::Parse(text).value_or(Uuid()); }

MATCHER_P3(IsChange, table, uuid, kind, "") {
  return arg.table == table && arg.uuid == U(uuid) && arg.kind == kind;
}

class ReplicaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    simdjson::dom::element element;
    ASSERT_EQ(parser_.load(kNbSchemaPath).get(element), simdjson::SUCCESS);
    absl::StatusOr<DatabaseSchema> schema = ParseSchema(element);
    ASSERT_THAT(schema, IsOk());
    schema_ = *std::move(schema);
    absl::StatusOr<Replica> replica = Replica::Create(
        schema_, {{"Logical_Switch_Port",
                   {"name", "type", "up", "addresses", "options", "external_ids", "tag"}},
                  {"Logical_Switch", {"name", "ports"}}});
    ASSERT_THAT(replica, IsOk());
    replica_ = *std::move(replica);
  }

  absl::Status Apply(const std::string& json, std::vector<RowChange>* changes = nullptr) {
    simdjson::dom::element element;
    if (parser_.parse(json).get(element) != simdjson::SUCCESS) {
      ADD_FAILURE() << "test JSON does not parse: " << json;
      return absl::InternalError("bad test JSON");
    }
    return replica_.ApplyUpdates2(element, changes);
  }

  // The value of `column` in LSP row `uuid`; an empty datum (and a failure) if the row is absent.
  Datum Port(absl::string_view uuid, absl::string_view column) {
    const TableReplica* ports = replica_.FindTable("Logical_Switch_Port");
    const Row* row = ports == nullptr ? nullptr : ports->Find(U(uuid));
    if (row == nullptr) {
      ADD_FAILURE() << "no port " << uuid;
      return Datum();
    }
    return ports->Get(*row, column);
  }

  // Two ports and a switch, as a monitor_cond reply would bring them.
  void LoadInitial() {
    ASSERT_THAT(Apply(absl::StrCat(R"({"Logical_Switch_Port": {")", kPort1, R"(": {"initial": {
                     "name": "p1", "addresses": ["set", ["fa:16:3e:00:00:01 10.0.0.5", "router"]],
                     "up": true, "tag": 7,
                     "external_ids": ["map", [["plasmanet-owner", "port/1"]]]}}, ")",
                                   kPort2, R"(": {"initial": {"name": "p2"}}},
               "Logical_Switch": {")",
                                   kSwitch, R"(": {"initial": {"name": "s1", "ports": ["set",
                     [["uuid", ")",
                                   kPort1, R"("], ["uuid", ")", kPort2, R"("]]]}}}})")),
                IsOk());
  }

  simdjson::dom::parser parser_;
  DatabaseSchema schema_;
  Replica replica_;
};

TEST_F(ReplicaTest, InitialRowsGetDefaultsForOmittedColumns) {
  std::vector<RowChange> changes;
  LoadInitial();
  EXPECT_EQ(replica_.total_rows(), 3u);

  EXPECT_EQ(Port(kPort1, "name"), Datum::String("p1"));
  EXPECT_EQ(Port(kPort1, "up"), Datum::Boolean(true));
  EXPECT_EQ(Port(kPort1, "tag"), Datum::Integer(7));
  EXPECT_EQ(Port(kPort1, "addresses"), Datum::StringSet({"router", "fa:16:3e:00:00:01 10.0.0.5"}));
  EXPECT_EQ(*Port(kPort1, "external_ids").Lookup("plasmanet-owner"), "port/1");

  // p2 came with its name only: the rest are the column types' defaults.
  EXPECT_EQ(Port(kPort2, "type"), Datum::String(""));  // scalar string
  EXPECT_EQ(Port(kPort2, "up"), Datum());              // optional boolean: empty set
  EXPECT_EQ(Port(kPort2, "tag"), Datum());
  EXPECT_EQ(Port(kPort2, "addresses"), Datum());
  EXPECT_EQ(Port(kPort2, "options"), Datum::Map({}));
  EXPECT_EQ(Port(kPort2, "external_ids"), Datum::Map({}));

  const TableReplica* switches = replica_.FindTable("Logical_Switch");
  ASSERT_NE(switches, nullptr);
  const Row* s1 = switches->Find(U(kSwitch));
  ASSERT_NE(s1, nullptr);
  EXPECT_THAT(switches->Get(*s1, "ports").AsUuids(), ElementsAre(U(kPort1), U(kPort2)));
}

TEST_F(ReplicaTest, ReportsOneChangePerRow) {
  std::vector<RowChange> changes;
  ASSERT_THAT(Apply(absl::StrCat(R"({"Logical_Switch_Port": {")", kPort1,
                                 R"(": {"insert": {"name": "p1"}}}})"),
                    &changes),
              IsOk());
  ASSERT_THAT(
      Apply(absl::StrCat(R"({"Logical_Switch_Port": {")", kPort1,
                         R"(": {"modify": {"name": "p1b"}}, ")", kPort2, R"(": {"insert": {}}}})"),
            &changes),
      IsOk());
  ASSERT_THAT(
      Apply(absl::StrCat(R"({"Logical_Switch_Port": {")", kPort1, R"(": {"delete": null}}})"),
            &changes),
      IsOk());
  EXPECT_THAT(changes,
              ElementsAre(IsChange("Logical_Switch_Port", kPort1, RowChange::Kind::kInsert),
                          IsChange("Logical_Switch_Port", kPort1, RowChange::Kind::kModify),
                          IsChange("Logical_Switch_Port", kPort2, RowChange::Kind::kInsert),
                          IsChange("Logical_Switch_Port", kPort1, RowChange::Kind::kDelete)));
  EXPECT_EQ(replica_.FindTable("Logical_Switch_Port")->Find(U(kPort1)), nullptr);
  EXPECT_EQ(replica_.total_rows(), 1u);
}

TEST_F(ReplicaTest, ModifyAppliesDiffsPerColumnKind) {
  LoadInitial();
  // name: scalar, new value. addresses: set, "router" leaves and a new address joins.
  // up and tag (optional, at most one value) arrive whole, as ovsdb-server sends them: up
  // true -> false is false, tag 7 -> none is the empty set.
  // external_ids: the owner changes, a key is added. options: a key is added to an empty map.
  ASSERT_THAT(Apply(absl::StrCat(R"({"Logical_Switch_Port": {")", kPort1, R"(": {"modify": {
      "name": "p1-renamed",
      "addresses": ["set", ["router", "fa:16:3e:00:00:09"]],
      "up": false,
      "tag": ["set", []],
      "external_ids": ["map", [["plasmanet-owner", "port/9"], ["plasmanet-revision", "2"]]],
      "options": ["map", [["requested-chassis", "hv1"]]]}}}})")),
              IsOk());
  EXPECT_EQ(Port(kPort1, "name"), Datum::String("p1-renamed"));
  EXPECT_EQ(Port(kPort1, "addresses"),
            Datum::StringSet({"fa:16:3e:00:00:01 10.0.0.5", "fa:16:3e:00:00:09"}));
  EXPECT_EQ(Port(kPort1, "up"), Datum::Boolean(false));
  EXPECT_EQ(Port(kPort1, "tag"), Datum());
  EXPECT_EQ(Port(kPort1, "external_ids"),
            Datum::StringMap({{"plasmanet-owner", "port/9"}, {"plasmanet-revision", "2"}}));
  EXPECT_EQ(Port(kPort1, "options"), Datum::StringMap({{"requested-chassis", "hv1"}}));

  // A map key sent with its current value is removed.
  ASSERT_THAT(Apply(absl::StrCat(R"({"Logical_Switch_Port": {")", kPort1, R"(": {"modify": {
      "external_ids": ["map", [["plasmanet-revision", "2"]]]}}}})")),
              IsOk());
  EXPECT_EQ(Port(kPort1, "external_ids"), Datum::StringMap({{"plasmanet-owner", "port/9"}}));
  // Columns not in the modify keep their values.
  EXPECT_EQ(Port(kPort1, "name"), Datum::String("p1-renamed"));
}

TEST_F(ReplicaTest, IgnoresUnmonitoredTablesAndColumns) {
  LoadInitial();
  std::vector<RowChange> changes;
  ASSERT_THAT(Apply(absl::StrCat(R"({"ACL": {"not even a uuid": 5},
      "Logical_Switch_Port": {")",
                                 kPort2, R"(": {"modify": {
          "dhcpv4_options": ["uuid", ")",
                                 kSwitch, R"("], "name": "p2b", "future_column": [1, 2, 3]}}}})"),
                    &changes),
              IsOk());
  EXPECT_EQ(Port(kPort2, "name"), Datum::String("p2b"));
  EXPECT_THAT(changes,
              ElementsAre(IsChange("Logical_Switch_Port", kPort2, RowChange::Kind::kModify)));
  EXPECT_EQ(replica_.FindTable("ACL"), nullptr);
}

TEST_F(ReplicaTest, RejectsMalformedUpdates) {
  LoadInitial();
  struct Case {
    std::string json;
    std::string message;
  };
  const std::string lsp = absl::StrCat(R"({"Logical_Switch_Port": {")", kPort1, R"(": )");
  const std::vector<Case> cases = {
      {R"([])", "<table-updates2> is not an object"},
      {R"({"Logical_Switch_Port": []})", "<table-update2> for Logical_Switch_Port"},
      {R"({"Logical_Switch_Port": {"p1": {"insert": {}}}})", "row p1: not a uuid"},
      {lsp + R"({"insert": {}, "delete": null}}})", "one member"},
      {lsp + R"({"upsert": {}}}})", "unknown update \"upsert\""},
      {lsp + R"({"insert": ["name"]}}})", "<row> is not an object"},
      {lsp + R"({"insert": {"name": 5}}}})", "column name: value 5 has the wrong type"},
      {lsp + R"({"insert": {"addresses": ["map", [["a", "b"]]]}}}})", "not a map"},
      {lsp + R"({"insert": {"options": "x"}}}})", "expected a map"},
      {lsp + R"({"insert": {"external_ids": ["map", [["a", 1]]]}}}})", "wrong type"},
      {lsp + R"({"modify": {"tag": ["set", [1, "x"]]}}}})", "different types"},
      {absl::StrCat(R"({"Logical_Switch_Port": {")", kSwitch, R"(": {"modify": {}}}})"),
       "modify of a row not in the replica"},
      {absl::StrCat(R"({"Logical_Switch_Port": {")", kSwitch, R"(": {"delete": null}}})"),
       "delete of a row not in the replica"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.json);
    EXPECT_THAT(Apply(c.json), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)));
  }
}

TEST_F(ReplicaTest, ClearDropsEveryRow) {
  LoadInitial();
  replica_.Clear();
  EXPECT_EQ(replica_.total_rows(), 0u);
  EXPECT_EQ(replica_.tables().size(), 2u);
}

TEST_F(ReplicaTest, CreateRefusesMissingAndRepeatedColumns) {
  EXPECT_THAT(Replica::Create(
                  schema_, {{"Logical_Switch_Port", {"name", "colour"}}, {"Teleporter", {"name"}}}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("column Logical_Switch_Port.colour, table Teleporter")));
  EXPECT_THAT(Replica::Create(schema_, {{"NAT", {"ip"}}, {"NAT", {"type"}}}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("column NAT.ip")));
  EXPECT_THAT(Replica::Create(schema_, {{"NAT", {"type"}}, {"NAT", {"type"}}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("table NAT listed twice")));
  EXPECT_THAT(Replica::Create(schema_, {{"NAT", {"type", "type"}}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("NAT.type listed twice")));
}

TEST(ReplicaRealTest, IntegersInARealColumnAreStoredAsReals) {
  simdjson::dom::parser parser;
  simdjson::dom::element element;
  ASSERT_EQ(parser
                .parse(std::string(R"({"name": "D", "tables": {"T": {"columns": {
                  "weight": {"type": "real"},
                  "scores": {"type": {"key": "string", "value": "real", "min": 0,
                                      "max": "unlimited"}}}}}})"))
                .get(element),
            simdjson::SUCCESS);
  absl::StatusOr<DatabaseSchema> schema = ParseSchema(element);
  ASSERT_THAT(schema, IsOk());
  absl::StatusOr<Replica> replica = Replica::Create(*schema, {{"T", {"weight", "scores"}}});
  ASSERT_THAT(replica, IsOk());
  ASSERT_EQ(parser
                .parse(absl::StrCat(R"({"T": {")", kPort1,
                                    R"(": {"insert": {"weight": 3, "scores": ["map",
                                    [["a", 1], ["b", 2.5]]]}}}})"))
                .get(element),
            simdjson::SUCCESS);
  ASSERT_THAT(replica->ApplyUpdates2(element, nullptr), IsOk());
  const TableReplica* t = replica->FindTable("T");
  const Row* row = t->Find(U(kPort1));
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(t->Get(*row, "weight"), Datum::Scalar(Atom(3.0)));
  EXPECT_EQ(t->Get(*row, "scores"),
            Datum::Map({{Atom(std::string("a")), Atom(1.0)}, {Atom(std::string("b")), Atom(2.5)}}));
}

}  // namespace
}  // namespace plasmanet::ovsdb
