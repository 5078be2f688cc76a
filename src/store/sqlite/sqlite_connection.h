// Thin RAII wrappers over the SQLite C API: a Connection and its prepared Statements. No
// library in Debian wraps SQLite in the shape we need (Status errors, cached statements), and
// the wrapper is small, so it is written here.
//
//   PN_ASSIGN_OR_RETURN(ConnectionPtr db, Connection::Open(path, /*read_only=*/false));
//   Statement& get = db->Prepare("SELECT value FROM kv WHERE key = ?1");
//   get.Bind(1, key);
//   if (get.Step() == SQLITE_ROW) { ... get.ColumnText(0) ... }
//   get.Reset();
//
// A Connection and its statements belong to one thread at a time.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/string_view.h>
#include <sqlite3.h>

namespace plasmanet::store::sqlite {

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  void Bind(int index, absl::string_view text);
  void Bind(int index, int64_t value);
  // SQLITE_ROW, SQLITE_DONE, or an error code (see Error()).
  int Step() { return sqlite3_step(stmt_); }
  void Reset();

  int64_t ColumnInt(int column) const { return sqlite3_column_int64(stmt_, column); }
  std::string ColumnText(int column) const;
  // Runs to completion; INTERNAL with SQLite's message on failure. Resets afterwards.
  absl::Status Run();
  absl::Status Error(int code) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class Connection {
 public:
  // Opens (creating when writable) the database at `path`.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const std::string& path, bool read_only);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more statements without results (pragmas, DDL, BEGIN/COMMIT).
  absl::Status Exec(absl::string_view sql);
  // A cached prepared statement for `sql`; lives as long as the connection. Aborts on SQL that
  // does not compile: all SQL is static text of this program.
  Statement& Prepare(const std::string& sql);

  sqlite3* handle() { return db_; }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}

  sqlite3* db_;
  std::map<std::string, std::unique_ptr<Statement>> statements_;
};

using ConnectionPtr = std::unique_ptr<Connection>;

}  // namespace plasmanet::store::sqlite
