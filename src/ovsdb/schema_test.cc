#include "ovsdb/schema.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace plasmanet::ovsdb {
namespace {

using ::plasmanet::testing::IsOk;
using ::plasmanet::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

// The NB schema installed with OVN; a .ovsschema file has the shape of a get_schema result.
constexpr char kNbSchemaPath[] = "/usr/share/ovn/ovn-nb.ovsschema";

class SchemaTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    simdjson::dom::parser parser;
    simdjson::dom::element element;
    ASSERT_EQ(parser.load(kNbSchemaPath).get(element), simdjson::SUCCESS) << kNbSchemaPath;
    absl::StatusOr<DatabaseSchema> schema = ParseSchema(element);
    ASSERT_THAT(schema, IsOk());
    nb_ = new DatabaseSchema(*std::move(schema));
  }
  static void TearDownTestSuite() {
    delete nb_;
    nb_ = nullptr;
  }

  absl::StatusOr<DatabaseSchema> ParseText(const std::string& json) {
    simdjson::dom::element element;
    if (parser_.parse(json).get(element) != simdjson::SUCCESS) {
      ADD_FAILURE() << "test JSON does not parse: " << json;
      return absl::InternalError("bad test JSON");
    }
    return ParseSchema(element);
  }

  static const DatabaseSchema* nb_;
  simdjson::dom::parser parser_;
};

const DatabaseSchema* SchemaTest::nb_ = nullptr;

TEST_F(SchemaTest, ReadsTheNorthboundSchema) {
  ASSERT_NE(nb_, nullptr);
  EXPECT_EQ(nb_->name, "OVN_Northbound");
  EXPECT_FALSE(nb_->version.empty());
  EXPECT_GE(nb_->tables.size(), 25u);
  ASSERT_NE(nb_->FindTable("Logical_Switch"), nullptr);
  EXPECT_TRUE(nb_->FindTable("Logical_Switch")->is_root);
  EXPECT_FALSE(nb_->FindTable("Logical_Switch_Port")->is_root);
  EXPECT_EQ(nb_->FindTable("No_Such_Table"), nullptr);
  EXPECT_EQ(nb_->FindColumn("Logical_Switch", "no_such_column"), nullptr);
}

TEST_F(SchemaTest, ColumnTypesMatchTheSchemaFile) {
  ASSERT_NE(nb_, nullptr);
  const ColumnSchema* up = nb_->FindColumn("Logical_Switch_Port", "up");
  ASSERT_NE(up, nullptr);
  EXPECT_EQ(up->key_type, AtomType::kBoolean);
  EXPECT_EQ(up->min, 0);
  EXPECT_EQ(up->max, 1);
  EXPECT_FALSE(up->is_map());
  EXPECT_FALSE(up->is_scalar());
  EXPECT_EQ(up->DefaultValue(), Datum());

  const ColumnSchema* external_ids = nb_->FindColumn("Logical_Switch_Port", "external_ids");
  ASSERT_NE(external_ids, nullptr);
  EXPECT_TRUE(external_ids->is_map());
  EXPECT_EQ(external_ids->key_type, AtomType::kString);
  EXPECT_EQ(external_ids->value_type, AtomType::kString);
  EXPECT_EQ(external_ids->min, 0);
  EXPECT_EQ(external_ids->max, -1);
  EXPECT_EQ(external_ids->DefaultValue(), Datum::Map({}));

  const ColumnSchema* ports = nb_->FindColumn("Logical_Switch", "ports");
  ASSERT_NE(ports, nullptr);
  EXPECT_EQ(ports->key_type, AtomType::kUuid);  // {"type": "uuid", "refTable": ...}
  EXPECT_FALSE(ports->is_map());
  EXPECT_EQ(ports->max, -1);

  const ColumnSchema* name = nb_->FindColumn("Logical_Switch_Port", "name");
  ASSERT_NE(name, nullptr);
  EXPECT_TRUE(name->is_scalar());
  EXPECT_EQ(name->DefaultValue(), Datum::String(""));

  const ColumnSchema* tag = nb_->FindColumn("Logical_Switch_Port", "tag");
  ASSERT_NE(tag, nullptr);
  EXPECT_EQ(tag->key_type, AtomType::kInteger);  // {"type": "integer", "minInteger": 1, ...}
  EXPECT_EQ(tag->max, 1);

  const ColumnSchema* priority = nb_->FindColumn("ACL", "priority");
  ASSERT_NE(priority, nullptr);
  EXPECT_TRUE(priority->is_scalar());
  EXPECT_EQ(priority->DefaultValue(), Datum::Integer(0));
}

TEST_F(SchemaTest, AddsTheImplicitColumns) {
  ASSERT_NE(nb_, nullptr);
  for (const char* column : {"_uuid", "_version"}) {
    const ColumnSchema* c = nb_->FindColumn("NAT", column);
    ASSERT_NE(c, nullptr) << column;
    EXPECT_EQ(c->key_type, AtomType::kUuid);
    EXPECT_TRUE(c->is_scalar());
    EXPECT_EQ(c->DefaultValue(), Datum::Scalar(Atom(Uuid())));
  }
}

TEST_F(SchemaTest, CheckHasColumnsAcceptsWhatExists) {
  ASSERT_NE(nb_, nullptr);
  EXPECT_THAT(CheckHasColumns(*nb_, {{"Logical_Switch", {"name", "ports", "external_ids"}},
                                     {"Logical_Switch_Port", {"name", "addresses", "_uuid"}}}),
              IsOk());
}

TEST_F(SchemaTest, CheckHasColumnsListsEverythingMissing) {
  ASSERT_NE(nb_, nullptr);
  absl::Status status =
      CheckHasColumns(*nb_, {{"Logical_Switch", {"name", "frobs"}},
                             {"Quantum_Router", {"name"}},
                             {"Logical_Switch_Port", {"up", "warp_factor", "flux"}}});
  EXPECT_THAT(status,
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("OVN_Northbound"), HasSubstr("column Logical_Switch.frobs"),
                             HasSubstr("table Quantum_Router"),
                             HasSubstr("column Logical_Switch_Port.warp_factor"),
                             HasSubstr("column Logical_Switch_Port.flux"),
                             Not(HasSubstr("Logical_Switch.name")),
                             Not(HasSubstr("Logical_Switch_Port.up")))));
}

TEST_F(SchemaTest, ParsesBoundsAndMapValueTypes) {
  absl::StatusOr<DatabaseSchema> schema = ParseText(R"({
    "name": "Test", "version": "1.2.3",
    "tables": {"T": {"columns": {
      "weights": {"type": {"key": "integer", "value": {"type": "real", "minReal": 0},
                           "min": 0, "max": 4}},
      "exactly_one_ref": {"type": {"key": {"type": "uuid", "refTable": "T"}}}
    }}}
  })");
  ASSERT_THAT(schema, IsOk());
  EXPECT_EQ(schema->version, "1.2.3");
  const ColumnSchema* weights = schema->FindColumn("T", "weights");
  ASSERT_NE(weights, nullptr);
  EXPECT_EQ(weights->key_type, AtomType::kInteger);
  EXPECT_EQ(weights->value_type, AtomType::kReal);
  EXPECT_EQ(weights->min, 0);
  EXPECT_EQ(weights->max, 4);
  const ColumnSchema* ref = schema->FindColumn("T", "exactly_one_ref");
  ASSERT_NE(ref, nullptr);
  EXPECT_TRUE(ref->is_scalar());
  EXPECT_EQ(ref->key_type, AtomType::kUuid);
  EXPECT_FALSE(schema->FindTable("T")->is_root);
}

TEST_F(SchemaTest, RejectsMalformedSchemas) {
  struct Case {
    std::string json;
    std::string message;
  };
  const std::vector<Case> cases = {
      {R"([])", "\"name\" and \"tables\""},
      {R"({"name": "X"})", "\"name\" and \"tables\""},
      {R"({"name": "X", "tables": {"T": {}}})", "no \"columns\""},
      {R"({"name": "X", "tables": {"T": {"columns": {"c": {}}}}})", "T.c: no \"type\""},
      {R"({"name": "X", "tables": {"T": {"columns": {"c": {"type": "blob"}}}}})",
       "unknown atomic type \"blob\""},
      {R"({"name": "X", "tables": {"T": {"columns": {"c": {"type": {"value": "string"}}}}}})",
       "bad \"type\""},
      {R"({"name": "X", "tables": {"T": {"columns": {"c": {"type": {"key": 5}}}}}})", "base type"},
      {R"({"name": "X", "tables": {"T": {"columns": {"c": {"type": {"key": "string",
           "max": "lots"}}}}}})",
       "bad \"max\""},
      {R"({"name": "X", "tables": {"T": {"columns": {"c": {"type": {"key": "string",
           "min": 2, "max": 5}}}}}})",
       "bad bounds"},
      {R"({"name": "X", "tables": {"T": {"columns": {"c": {"type": {"key": "string",
           "min": 0, "max": 0}}}}}})",
       "bad bounds"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.json);
    EXPECT_THAT(ParseText(c.json),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)));
  }
}

}  // namespace
}  // namespace plasmanet::ovsdb
