#include "store/sqlite/sqlite_connection.h"

#include <cstdlib>

#include <absl/strings/str_cat.h>

#include "common/logging.h"

namespace plasmanet::store::sqlite {

void Statement::Bind(int index, absl::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

void Statement::Bind(int index, int64_t value) { sqlite3_bind_int64(stmt_, index, value); }

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string Statement::ColumnText(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  return text == nullptr ? std::string() : std::string(text, sqlite3_column_bytes(stmt_, column));
}

absl::Status Statement::Run() {
  int rc;
  while ((rc = Step()) == SQLITE_ROW) {
  }
  absl::Status status = rc == SQLITE_DONE ? absl::OkStatus() : Error(rc);
  Reset();
  return status;
}

absl::Status Statement::Error(int code) const {
  return absl::InternalError(
      absl::StrCat("sqlite: ", sqlite3_errstr(code), ": ", sqlite3_errmsg(db_)));
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(const std::string& path,
                                                             bool read_only) {
  sqlite3* db = nullptr;
  const int flags =
      (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
      SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status status = absl::UnavailableError(absl::StrCat(
        "cannot open sqlite database ", path, ": ", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
    sqlite3_close(db);
    return status;
  }
  // Readers may briefly wait for the WAL checkpointer; never fail a read for that.
  sqlite3_busy_timeout(db, 10'000);
  return std::unique_ptr<Connection>(new Connection(db));
}

Connection::~Connection() {
  statements_.clear();  // statements must be finalized before the database closes
  sqlite3_close(db_);
}

absl::Status Connection::Exec(absl::string_view sql) {
  char* error = nullptr;
  const int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    absl::Status status = absl::InternalError(
        absl::StrCat("sqlite: ", error ? error : sqlite3_errstr(rc), " in: ", sql));
    sqlite3_free(error);
    return status;
  }
  return absl::OkStatus();
}

Statement& Connection::Prepare(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) {
    return *it->second;
  }
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    LOG_ERROR("sqlite cannot prepare statement error=\"{}\" sql=\"{}\"", sqlite3_errmsg(db_), sql);
    std::abort();
  }
  auto [inserted, _] = statements_.emplace(sql, std::make_unique<Statement>(db_, stmt));
  return *inserted->second;
}

}  // namespace plasmanet::store::sqlite
