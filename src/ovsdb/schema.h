// Schema: the parts of an OVSDB schema (RFC 7047 section 3.2) the client needs: for each table,
// its columns and their types. Read from the server's get_schema reply so that a server whose
// schema lacks a table or column PlasmaNET writes is refused at connect time with a clear
// error, instead of failing later on the first transaction that touches it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/string_view.h>
#include <simdjson.h>

#include "ovsdb/datum.h"

namespace plasmanet::ovsdb {

enum class AtomType { kInteger, kReal, kBoolean, kString, kUuid };

struct ColumnSchema {
  std::string name;
  AtomType key_type = AtomType::kString;
  std::optional<AtomType> value_type;  // set for maps
  int64_t min = 1;
  int64_t max = 1;  // -1: unlimited

  bool is_map() const { return value_type.has_value(); }
  // min = max = 1: a plain value (never empty).
  bool is_scalar() const { return min == 1 && max == 1 && !is_map(); }
  // May hold more than one element. Only such columns are sent as deltas in update2 "modify";
  // any other column, optional ones (min 0, max 1) included, is sent with its new value: a port
  // unbound from its chassis arrives as "chassis": ["set", []], as ovsdb-server 3.1 does.
  bool is_composite() const { return max == -1 || max > 1; }
  // The value a column has when a row is inserted without it (and what initial/insert updates
  // leave out): the empty set or map, or for a scalar 0, 0.0, false, "" or the nil UUID.
  Datum DefaultValue() const;
};

struct TableSchema {
  std::string name;
  bool is_root = false;
  std::map<std::string, ColumnSchema> columns;  // includes _uuid and _version
};

struct DatabaseSchema {
  std::string name;
  std::string version;
  std::map<std::string, TableSchema> tables;

  const TableSchema* FindTable(absl::string_view table) const;
  const ColumnSchema* FindColumn(absl::string_view table, absl::string_view column) const;
};

// Parses the result of get_schema.
absl::StatusOr<DatabaseSchema> ParseSchema(simdjson::dom::element schema);

// What a client needs from a table: the columns it reads or writes.
struct TableColumns {
  std::string table;
  std::vector<std::string> columns;
};

// FAILED_PRECONDITION naming every missing table and column (all of them, not the first), so an
// operator pointed at an old NB database learns at once what it lacks.
absl::Status CheckHasColumns(const DatabaseSchema& schema, const std::vector<TableColumns>& needed);

}  // namespace plasmanet::ovsdb
