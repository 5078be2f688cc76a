#include "ovsdb/schema.h"

#include <algorithm>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>

#include "common/status_macros.h"
#include "ovsdb/internal/string_view.h"

namespace plasmanet::ovsdb {
namespace {

using internal::ToAbsl;

absl::StatusOr<AtomType> ParseAtomType(std::string_view name, absl::string_view where) {
  if (name == "integer") {
    return AtomType::kInteger;
  }
  if (name == "real") {
    return AtomType::kReal;
  }
  if (name == "boolean") {
    return AtomType::kBoolean;
  }
  if (name == "string") {
    return AtomType::kString;
  }
  if (name == "uuid") {
    return AtomType::kUuid;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("ovsdb schema: ", where, ": unknown atomic type \"", ToAbsl(name), "\""));
}

// <base-type>: an atomic type name, or an object whose "type" names it (constraints such as
// "enum" or "refTable" are the server's business, not ours).
absl::StatusOr<AtomType> ParseBaseType(simdjson::dom::element base, absl::string_view where) {
  std::string_view name;
  if (base.get(name) == simdjson::SUCCESS) {
    return ParseAtomType(name, where);
  }
  if (base["type"].get(name) == simdjson::SUCCESS) {
    return ParseAtomType(name, where);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("ovsdb schema: ", where, ": base type is neither a name nor {\"type\": ...}"));
}

// "min" (default 1) or "max" (default 1, "unlimited" = -1).
absl::StatusOr<int64_t> ParseBound(simdjson::dom::object type, const char* field,
                                   absl::string_view where) {
  simdjson::dom::element bound;
  if (type[field].get(bound) != simdjson::SUCCESS) {
    return 1;
  }
  int64_t n = 0;
  if (bound.get(n) == simdjson::SUCCESS && n >= 0) {
    return n;
  }
  std::string_view text;
  if (bound.get(text) == simdjson::SUCCESS && text == "unlimited" &&
      std::string_view(field) == "max") {
    return -1;
  }
  return absl::InvalidArgumentError(absl::StrCat("ovsdb schema: ", where, ": bad \"", field, "\""));
}

// <type>: an atomic type name (a scalar) or {"key", "value"?, "min"?, "max"?}.
absl::StatusOr<ColumnSchema> ParseColumn(std::string_view name, simdjson::dom::element column,
                                         absl::string_view table) {
  const std::string where = absl::StrCat(table, ".", ToAbsl(name));
  ColumnSchema schema;
  schema.name = std::string(name);
  simdjson::dom::element type;
  if (column["type"].get(type) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(absl::StrCat("ovsdb schema: ", where, ": no \"type\""));
  }
  std::string_view atomic;
  if (type.get(atomic) == simdjson::SUCCESS) {
    PN_ASSIGN_OR_RETURN(schema.key_type, ParseAtomType(atomic, where));
    return schema;
  }
  simdjson::dom::object object;
  simdjson::dom::element key;
  if (type.get(object) != simdjson::SUCCESS || object["key"].get(key) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(absl::StrCat("ovsdb schema: ", where, ": bad \"type\""));
  }
  PN_ASSIGN_OR_RETURN(schema.key_type, ParseBaseType(key, where));
  simdjson::dom::element value;
  if (object["value"].get(value) == simdjson::SUCCESS) {
    PN_ASSIGN_OR_RETURN(schema.value_type, ParseBaseType(value, where));
  }
  PN_ASSIGN_OR_RETURN(schema.min, ParseBound(object, "min", where));
  PN_ASSIGN_OR_RETURN(schema.max, ParseBound(object, "max", where));
  if (schema.min > 1 || (schema.max != -1 && schema.max < std::max<int64_t>(schema.min, 1))) {
    return absl::InvalidArgumentError(absl::StrCat("ovsdb schema: ", where, ": bad bounds min ",
                                                   schema.min, " max ", schema.max));
  }
  return schema;
}

absl::StatusOr<TableSchema> ParseTable(std::string_view name, simdjson::dom::element table) {
  TableSchema schema;
  schema.name = std::string(name);
  simdjson::dom::object columns;
  if (table["columns"].get(columns) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(
        absl::StrCat("ovsdb schema: table ", ToAbsl(name), " has no \"columns\" object"));
  }
  bool is_root = false;
  if (table["isRoot"].get(is_root) == simdjson::SUCCESS) {
    schema.is_root = is_root;
  }
  for (simdjson::dom::key_value_pair column : columns) {
    PN_ASSIGN_OR_RETURN(ColumnSchema parsed, ParseColumn(column.key, column.value, ToAbsl(name)));
    schema.columns.emplace(parsed.name, std::move(parsed));
  }
  // Every table has these two, though schemas never list them (RFC 7047 section 3.1).
  for (const char* implicit : {"_uuid", "_version"}) {
    schema.columns[implicit] = ColumnSchema{.name = implicit, .key_type = AtomType::kUuid};
  }
  return schema;
}

}  // namespace

Datum ColumnSchema::DefaultValue() const {
  if (is_map()) {
    return Datum::Map({});
  }
  if (!is_scalar()) {
    return Datum();
  }
  switch (key_type) {
    case AtomType::kInteger:
      return Datum::Integer(0);
    case AtomType::kReal:
      return Datum::Scalar(Atom(0.0));
    case AtomType::kBoolean:
      return Datum::Boolean(false);
    case AtomType::kString:
      return Datum::String("");
    case AtomType::kUuid:
      return Datum::Scalar(Atom(Uuid()));
  }
  return Datum();
}

const TableSchema* DatabaseSchema::FindTable(absl::string_view table) const {
  auto it = tables.find(std::string(table));
  return it == tables.end() ? nullptr : &it->second;
}

const ColumnSchema* DatabaseSchema::FindColumn(absl::string_view table,
                                               absl::string_view column) const {
  const TableSchema* t = FindTable(table);
  if (t == nullptr) {
    return nullptr;
  }
  auto it = t->columns.find(std::string(column));
  return it == t->columns.end() ? nullptr : &it->second;
}

absl::StatusOr<DatabaseSchema> ParseSchema(simdjson::dom::element schema) {
  DatabaseSchema db;
  std::string_view name;
  std::string_view version;
  simdjson::dom::object tables;
  if (schema["name"].get(name) != simdjson::SUCCESS ||
      schema["tables"].get(tables) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(
        "ovsdb schema: expected an object with \"name\" and \"tables\"");
  }
  db.name = std::string(name);
  // "version" is optional in RFC 7047 and required by ovsdb-server; keep it when present.
  if (schema["version"].get(version) == simdjson::SUCCESS) {
    db.version = std::string(version);
  }
  for (simdjson::dom::key_value_pair table : tables) {
    PN_ASSIGN_OR_RETURN(TableSchema parsed, ParseTable(table.key, table.value));
    db.tables.emplace(parsed.name, std::move(parsed));
  }
  return db;
}

absl::Status CheckHasColumns(const DatabaseSchema& schema,
                             const std::vector<TableColumns>& needed) {
  std::vector<std::string> missing;
  for (const TableColumns& want : needed) {
    const TableSchema* table = schema.FindTable(want.table);
    if (table == nullptr) {
      missing.push_back(absl::StrCat("table ", want.table));
      continue;
    }
    for (const std::string& column : want.columns) {
      if (!table->columns.contains(column)) {
        missing.push_back(absl::StrCat("column ", want.table, ".", column));
      }
    }
  }
  if (missing.empty()) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrCat("ovsdb schema of database ", schema.name, " ",
                                                    schema.version, " lacks ",
                                                    absl::StrJoin(missing, ", ")));
}

}  // namespace plasmanet::ovsdb
