#include "ovsdb/replica.h"

#include <cassert>
#include <utility>

#include <absl/container/flat_hash_set.h>
#include <absl/strings/str_cat.h>

#include "common/status_macros.h"
#include "ovsdb/internal/string_view.h"

namespace plasmanet::ovsdb {
namespace {

using internal::ToAbsl;

// Index of the Atom alternative that holds `type` (see the Atom variant's order).
size_t AtomIndex(AtomType type) {
  switch (type) {
    case AtomType::kInteger:
      return 0;
    case AtomType::kReal:
      return 1;
    case AtomType::kBoolean:
      return 2;
    case AtomType::kString:
      return 3;
    case AtomType::kUuid:
      return 4;
  }
  return 0;
}

// A column of reals may arrive as JSON integers ("1" rather than "1.0").
std::vector<Atom> WidenToReal(const std::vector<Atom>& atoms) {
  std::vector<Atom> out;
  out.reserve(atoms.size());
  for (const Atom& atom : atoms) {
    const int64_t* i = std::get_if<int64_t>(&atom);
    out.push_back(i != nullptr ? Atom(static_cast<double>(*i)) : atom);
  }
  return out;
}

// Checks that `atoms` (all of one type, as ParseDatum guarantees) have `type`; sets `widen` when
// they are integers for a real column.
absl::Status CheckAtomType(const std::vector<Atom>& atoms, AtomType type, bool& widen) {
  if (atoms.empty() || atoms.front().index() == AtomIndex(type)) {
    return absl::OkStatus();
  }
  if (type == AtomType::kReal && std::holds_alternative<int64_t>(atoms.front())) {
    widen = true;
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("value ", AtomToString(atoms.front()), " has the wrong type"));
}

// Parses a column's value (or diff) and checks it against the column's type, so that rows in the
// replica always have the shape their schema promises.
absl::StatusOr<Datum> ParseColumnValue(simdjson::dom::element element, const ColumnSchema& column) {
  PN_ASSIGN_OR_RETURN(Datum datum, ParseDatum(element));
  if (datum.empty()) {
    return column.is_map() ? Datum::Map({}) : Datum();
  }
  if (datum.is_map() != column.is_map()) {
    return absl::InvalidArgumentError(column.is_map() ? "expected a map"
                                                      : "expected a set or atom, not a map");
  }
  bool widen_keys = false;
  bool widen_values = false;
  PN_RETURN_IF_ERROR(CheckAtomType(datum.keys(), column.key_type, widen_keys));
  if (column.is_map()) {
    PN_RETURN_IF_ERROR(CheckAtomType(datum.values(), *column.value_type, widen_values));
  }
  if (!widen_keys && !widen_values) {
    return datum;
  }
  std::vector<Atom> keys = widen_keys ? WidenToReal(datum.keys()) : datum.keys();
  if (!column.is_map()) {
    return Datum::Set(std::move(keys));
  }
  std::vector<Atom> values = widen_values ? WidenToReal(datum.values()) : datum.values();
  std::vector<std::pair<Atom, Atom>> pairs;
  pairs.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    pairs.emplace_back(std::move(keys[i]), std::move(values[i]));
  }
  return Datum::Map(std::move(pairs));
}

absl::Status WithContext(const absl::Status& status, const TableReplica& table,
                         std::string_view uuid, std::string_view column) {
  return absl::Status(
      status.code(), absl::StrCat("ovsdb update: ", table.name(), " row ", ToAbsl(uuid), " column ",
                                  ToAbsl(column), ": ", status.message()));
}

absl::Status RowError(const TableReplica& table, std::string_view uuid, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("ovsdb update: ", table.name(), " row ", ToAbsl(uuid), ": ", what));
}

// Sets the monitored columns present in `row_json` on `row`; as diffs for a modify.
absl::Status ApplyColumns(const TableReplica& table, std::string_view uuid,
                          simdjson::dom::element row_json, bool is_diff, Row& row) {
  simdjson::dom::object columns;
  if (row_json.get(columns) != simdjson::SUCCESS) {
    return RowError(table, uuid, "<row> is not an object");
  }
  for (simdjson::dom::key_value_pair field : columns) {
    const int index = table.ColumnIndex(ToAbsl(field.key));
    if (index < 0) {
      continue;  // not monitored, or newer than our schema
    }
    const ColumnSchema& column = table.columns()[index];
    absl::StatusOr<Datum> value = ParseColumnValue(field.value, column);
    if (!value.ok()) {
      return WithContext(value.status(), table, uuid, field.key);
    }
    if (is_diff && column.is_composite()) {
      row.values[index].ApplyDiff(*value, /*is_scalar=*/false);
    } else {
      row.values[index] = *std::move(value);
    }
  }
  return absl::OkStatus();
}

// Initial and insert rows leave out columns at their default. Only scalar and map defaults
// differ from an empty Datum, and only scalar ones cost an allocation.
void FillDefaults(const TableReplica& table, Row& row) {
  for (size_t i = 0; i < row.values.size(); ++i) {
    const ColumnSchema& column = table.columns()[i];
    if (row.values[i].empty() && (column.is_scalar() || column.is_map())) {
      row.values[i] = column.DefaultValue();
    }
  }
}

absl::Status ApplyRowUpdate2(TableReplica& table, std::string_view uuid_text,
                             simdjson::dom::element update, std::vector<RowChange>* changes) {
  std::optional<Uuid> uuid = Uuid::Parse(ToAbsl(uuid_text));
  if (!uuid) {
    return RowError(table, uuid_text, "not a uuid");
  }
  simdjson::dom::object object;
  if (update.get(object) != simdjson::SUCCESS || object.size() != 1) {
    return RowError(table, uuid_text, "<row-update2> must be an object with one member");
  }
  const simdjson::dom::key_value_pair op = *object.begin();
  auto& rows = table.mutable_rows();
  RowChange::Kind kind;
  if (op.key == "initial" || op.key == "insert") {
    Row row;
    row.values.resize(table.columns().size());
    PN_RETURN_IF_ERROR(ApplyColumns(table, uuid_text, op.value, /*is_diff=*/false, row));
    FillDefaults(table, row);
    rows.insert_or_assign(*uuid, std::move(row));
    kind = RowChange::Kind::kInsert;
  } else if (op.key == "modify") {
    auto it = rows.find(*uuid);
    if (it == rows.end()) {
      return RowError(table, uuid_text, "modify of a row not in the replica");
    }
    PN_RETURN_IF_ERROR(ApplyColumns(table, uuid_text, op.value, /*is_diff=*/true, it->second));
    kind = RowChange::Kind::kModify;
  } else if (op.key == "delete") {
    if (rows.erase(*uuid) == 0) {
      return RowError(table, uuid_text, "delete of a row not in the replica");
    }
    kind = RowChange::Kind::kDelete;
  } else {
    return RowError(table, uuid_text, absl::StrCat("unknown update \"", ToAbsl(op.key), "\""));
  }
  if (changes != nullptr) {
    changes->push_back(RowChange{.table = table.name(), .uuid = *uuid, .kind = kind});
  }
  return absl::OkStatus();
}

absl::Status ApplyTableUpdate2(TableReplica& table, simdjson::dom::element update,
                               std::vector<RowChange>* changes) {
  simdjson::dom::object rows;
  if (update.get(rows) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(
        absl::StrCat("ovsdb update: <table-update2> for ", table.name(), " is not an object"));
  }
  // A full dump brings every row at once; growing the table step by step would rehash it
  // log(n) times.
  const size_t n = rows.size();
  table.mutable_rows().reserve(table.rows().size() + n);
  if (changes != nullptr) {
    changes->reserve(changes->size() + n);
  }
  for (simdjson::dom::key_value_pair row : rows) {
    PN_RETURN_IF_ERROR(ApplyRowUpdate2(table, row.key, row.value, changes));
  }
  return absl::OkStatus();
}

}  // namespace

TableReplica::TableReplica(std::string name, std::vector<ColumnSchema> columns)
    : name_(std::move(name)), columns_(std::move(columns)) {}

int TableReplica::ColumnIndex(absl::string_view column) const {
  // A table monitors a handful of columns: a scan beats hashing the name.
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (columns_[i].name == column) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

const Row* TableReplica::Find(const Uuid& uuid) const {
  auto it = rows_.find(uuid);
  return it == rows_.end() ? nullptr : &it->second;
}

const Datum& TableReplica::Get(const Row& row, absl::string_view column) const {
  static const Datum* const kEmpty = new Datum();
  const int index = ColumnIndex(column);
  assert(index >= 0 && "column is not monitored");
  if (index < 0 || static_cast<size_t>(index) >= row.values.size()) {
    return *kEmpty;
  }
  return row.values[index];
}

Row TableReplica::NewRowWithDefaults() const {
  Row row;
  row.values.reserve(columns_.size());
  for (const ColumnSchema& column : columns_) {
    row.values.push_back(column.DefaultValue());
  }
  return row;
}

absl::StatusOr<Replica> Replica::Create(const DatabaseSchema& schema,
                                        const std::vector<TableColumns>& monitored) {
  PN_RETURN_IF_ERROR(CheckHasColumns(schema, monitored));
  Replica replica;
  absl::flat_hash_set<std::string> seen;
  for (const TableColumns& want : monitored) {
    if (!seen.insert(want.table).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("ovsdb replica: table ", want.table, " listed twice"));
    }
    std::vector<ColumnSchema> columns;
    columns.reserve(want.columns.size());
    absl::flat_hash_set<std::string> seen_columns;
    for (const std::string& name : want.columns) {
      if (!seen_columns.insert(name).second) {
        return absl::InvalidArgumentError(
            absl::StrCat("ovsdb replica: column ", want.table, ".", name, " listed twice"));
      }
      columns.push_back(*schema.FindColumn(want.table, name));
    }
    replica.tables_.emplace_back(want.table, std::move(columns));
  }
  return replica;
}

TableReplica* Replica::FindTable(absl::string_view table) {
  for (TableReplica& t : tables_) {
    if (t.name() == table) {
      return &t;
    }
  }
  return nullptr;
}

const TableReplica* Replica::FindTable(absl::string_view table) const {
  for (const TableReplica& t : tables_) {
    if (t.name() == table) {
      return &t;
    }
  }
  return nullptr;
}

void Replica::Clear() {
  for (TableReplica& table : tables_) {
    table.mutable_rows().clear();
  }
}

absl::Status Replica::ApplyUpdates2(simdjson::dom::element table_updates,
                                    std::vector<RowChange>* changes) {
  simdjson::dom::object tables;
  if (table_updates.get(tables) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("ovsdb update: <table-updates2> is not an object");
  }
  for (simdjson::dom::key_value_pair table : tables) {
    TableReplica* replica = FindTable(ToAbsl(table.key));
    if (replica == nullptr) {
      continue;
    }
    PN_RETURN_IF_ERROR(ApplyTableUpdate2(*replica, table.value, changes));
  }
  return absl::OkStatus();
}

size_t Replica::total_rows() const {
  size_t total = 0;
  for (const TableReplica& table : tables_) {
    total += table.rows().size();
  }
  return total;
}

}  // namespace plasmanet::ovsdb
