// Replica: an in-memory copy of the monitored tables of one OVSDB database, kept current by
// applying monitor_cond / monitor_cond_since updates ("table-updates2", ovsdb-server(7)).
//
// Rows hold only the monitored columns, in a vector indexed like TableReplica::columns(), with
// defaults filled in for columns the server left out; that keeps the per-row cost to the data
// itself, which matters at 100,000 logical switch ports.
//
// Not thread-safe; ovsdb::Client guards its replica with a mutex.
#pragma once

#include <string>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/string_view.h>
#include <simdjson.h>

#include "ovsdb/datum.h"
#include "ovsdb/schema.h"
#include "ovsdb/uuid.h"

namespace plasmanet::ovsdb {

struct Row {
  std::vector<Datum> values;  // parallel to TableReplica::columns()
};

class TableReplica {
 public:
  TableReplica(std::string name, std::vector<ColumnSchema> columns);

  const std::string& name() const { return name_; }
  const std::vector<ColumnSchema>& columns() const { return columns_; }
  // Index of `column` in columns() and Row::values, or -1.
  int ColumnIndex(absl::string_view column) const;

  const absl::flat_hash_map<Uuid, Row>& rows() const { return rows_; }
  const Row* Find(const Uuid& uuid) const;
  // The value of `column` in `row`; the column must be monitored (checked in debug builds).
  const Datum& Get(const Row& row, absl::string_view column) const;

  absl::flat_hash_map<Uuid, Row>& mutable_rows() { return rows_; }
  Row NewRowWithDefaults() const;

 private:
  std::string name_;
  std::vector<ColumnSchema> columns_;
  absl::flat_hash_map<Uuid, Row> rows_;
};

struct RowChange {
  enum class Kind { kInsert, kModify, kDelete };
  std::string table;
  Uuid uuid;
  Kind kind = Kind::kInsert;
};

class Replica {
 public:
  // One TableReplica per monitored table, with the given columns' types from `schema`.
  // FAILED_PRECONDITION if the schema lacks any of them.
  static absl::StatusOr<Replica> Create(const DatabaseSchema& schema,
                                        const std::vector<TableColumns>& monitored);

  TableReplica* FindTable(absl::string_view table);
  const TableReplica* FindTable(absl::string_view table) const;
  const std::vector<TableReplica>& tables() const { return tables_; }

  // Drops every row (before a full dump replaces the contents).
  void Clear();

  // Applies a <table-updates2> object. `changes`, if not null, receives one entry per row
  // touched. INVALID_ARGUMENT for malformed updates (the replica may then be partly updated and
  // the caller must resynchronise); updates for unmonitored tables or columns are ignored.
  absl::Status ApplyUpdates2(simdjson::dom::element table_updates, std::vector<RowChange>* changes);

  size_t total_rows() const;

 private:
  std::vector<TableReplica> tables_;
};

}  // namespace plasmanet::ovsdb
